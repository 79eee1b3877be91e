"""Candidates from hand-built query shapes and catalog statistics (no server)."""

from advisor.model import (
    Catalog,
    Column,
    ColumnStats,
    Index,
    OrderItem,
    Predicate,
    QueryShape,
    Table,
    TableAccess,
)
from advisor.recommend.candidates import generate


def _catalog(indexes=(), extensions=None):
    orders = Table("public", "orders", reltuples=200_000, columns=[
        Column("id", "bigint", stats=ColumnStats(n_distinct=-1)),
        Column("user_id", "bigint", stats=ColumnStats(n_distinct=20_000)),
        Column("status", "text", stats=ColumnStats(
            n_distinct=4, most_common_vals=["delivered", "shipped", "pending", "cancelled"],
            most_common_freqs=[0.8, 0.15, 0.02, 0.03])),
        Column("created_at", "timestamptz", stats=ColumnStats(n_distinct=-0.9)),
        Column("total", "numeric", stats=ColumnStats(n_distinct=5000))])
    users = Table("public", "users", reltuples=50_000, columns=[
        Column("id", "bigint", stats=ColumnStats(n_distinct=-1)),
        Column("email", "text", stats=ColumnStats(n_distinct=-1))])
    categories = Table("public", "categories", reltuples=60, columns=[Column("id", "int"), Column("slug", "text")])
    products = Table("public", "products", reltuples=100_000, columns=[Column("name", "text")])
    items = Table("public", "order_items", reltuples=600_000, columns=[
        Column("order_id", "bigint", stats=ColumnStats(n_distinct=-0.3)),
        Column("product_id", "bigint", stats=ColumnStats(n_distinct=90_000))])
    return Catalog([orders, users, categories, products, items], indexes=list(indexes),
                   extensions=extensions or {"pg_trgm": "1.6"})


def _shape(*accesses, fp="f1"):
    return QueryShape(fp, "select", list(accesses))


def _columns(specs):
    return [(s.columns, s.where, s.include, s.method) for s in specs]


def test_equality_columns_first_most_selective_then_the_sort_column():
    shape = _shape(TableAccess("public.orders", predicates=[
        Predicate("status", "="), Predicate("user_id", "=")], order_by=[OrderItem("created_at", desc=True)]))
    specs = generate([shape], _catalog())["f1"]
    assert specs[0].columns == ["user_id", "status", "created_at"]  # scanned backwards for DESC
    assert ["user_id", "status"] in [s.columns for s in specs]
    assert all(s.columns[0] != "created_at" or len(s.columns) == 1 for s in specs)


def test_mixed_sort_directions_keep_their_order_and_directions():
    shape = _shape(TableAccess("public.orders", order_by=[
        OrderItem("created_at", desc=True), OrderItem("id"), OrderItem("total", desc=True)]))
    columns = [s.columns for s in generate([shape], _catalog(), max_width=3)["f1"]]
    assert ["created_at DESC", "id", "total DESC"] in columns
    both_desc = _shape(TableAccess("public.orders", order_by=[
        OrderItem("created_at", desc=True), OrderItem("total", desc=True)]), fp="f2")
    assert ["created_at", "total"] in [s.columns for s in generate([both_desc], _catalog())["f2"]]


def test_a_literal_earns_a_partial_index_only_as_a_rare_value_of_a_few_valued_column():
    def partials(*predicates):
        shape = _shape(TableAccess("public.orders", predicates=list(predicates)))
        return [(s.columns, s.where) for s in generate([shape], _catalog())["f1"] if s.where]

    assert partials(Predicate("status", "=", "'pending'"), Predicate("user_id", "=", "7")) == [
        (["user_id"], "status = 'pending'")]
    assert partials(Predicate("status", "=", "'delivered'")) == []  # 80 % of the rows
    assert partials(Predicate("user_id", "=", "7"), Predicate("total", "=", "10")) == []


def test_at_most_one_range_column_after_equalities():
    shape = _shape(TableAccess("public.orders", predicates=[
        Predicate("user_id", "="), Predicate("created_at", ">"), Predicate("total", "<")]))
    first = generate([shape], _catalog(), max_width=3)["f1"][0]
    assert first.columns == ["user_id", "created_at"]


def test_expression_index_for_function_predicate():
    shape = _shape(TableAccess("public.users", predicates=[Predicate("lower(email)", "=", function="lower")]))
    specs = generate([shape], _catalog())["f1"]
    assert specs[0].columns == ["lower(email)"]


def test_partial_index_for_selective_constant_not_for_common_one():
    pending = _shape(TableAccess("public.orders", predicates=[Predicate("status", "=", "'pending'")],
                                 order_by=[OrderItem("created_at")]), fp="p")
    delivered = _shape(TableAccess("public.orders", predicates=[Predicate("status", "=", "'delivered'")],
                                   order_by=[OrderItem("created_at")]), fp="d")
    found = generate([pending, delivered], _catalog())
    assert (["created_at"], "status = 'pending'", [], "btree") in _columns(found["p"])
    assert not any(s.where for s in found["d"])


def test_include_columns_for_index_only_scan_when_few_columns_read():
    shape = _shape(TableAccess("public.orders", predicates=[Predicate("user_id", "=")],
                               columns_used=["user_id", "total"]))
    specs = generate([shape], _catalog())["f1"]
    assert (["user_id"], None, ["total"], "btree") in _columns(specs)


def test_trigram_gin_for_leading_wildcard():
    shape = _shape(TableAccess("public.products", predicates=[
        Predicate("name", "ilike", "'%shoe%'", leading_wildcard=True)]))
    specs = generate([shape], _catalog())["f1"]
    assert _columns(specs) == [(["name"], None, [], "gin")]
    assert specs[0].opclass == "gin_trgm_ops"


def test_no_candidate_an_existing_index_covers():
    existing = Index("public", "ix_orders_user_id_created_at", "public.orders",
                     "CREATE INDEX ix ON public.orders USING btree (user_id, created_at)",
                     columns=["user_id", "created_at"])
    shape = _shape(TableAccess("public.orders", predicates=[Predicate("user_id", "=")]))
    assert "f1" not in generate([shape], _catalog([existing]))
    partial = Index("public", "ix_p", "public.orders", "CREATE INDEX ix_p ON public.orders (user_id) WHERE total > 0",
                    columns=["user_id"], predicate="total > 0")
    assert generate([shape], _catalog([partial]))["f1"][0].columns == ["user_id"]  # other predicate
    invalid = Index("public", "ix_i", "public.orders", "...", columns=["user_id"], is_valid=False)
    assert "f1" in generate([shape], _catalog([invalid]))


def test_tiny_tables_and_unparsed_statements_get_nothing():
    tiny = _shape(TableAccess("public.categories", predicates=[Predicate("slug", "=")]))
    broken = QueryShape("f2", "other", parse_error="syntax error")
    assert generate([tiny, broken], _catalog()) == {}


def test_join_columns_are_equality_columns():
    shape = _shape(TableAccess("public.orders", join_columns=["user_id"], predicates=[
        Predicate("created_at", ">=")]))
    assert generate([shape], _catalog())["f1"][0].columns == ["user_id", "created_at"]


def test_width_limit():
    shape = _shape(TableAccess("public.orders", predicates=[
        Predicate("id", "="), Predicate("user_id", "="), Predicate("status", "=")],
        order_by=[OrderItem("created_at")]))
    assert max(len(s.columns) for s in generate([shape], _catalog(), max_width=2)["f1"]) == 2


def test_each_join_key_gets_a_covering_variant():
    # order_items joined to orders and to products: a nested loop probes it by one key or the
    # other, so each key alone, covering the columns read, is a candidate.
    shape = _shape(TableAccess("public.order_items", join_columns=["order_id", "product_id"],
                               columns_used=["order_id", "product_id", "quantity", "unit_price"]))
    found = _columns(generate([shape], _catalog())["f1"])
    assert (["product_id"], None, ["order_id", "quantity", "unit_price"], "btree") in found
    assert (["order_id"], None, ["product_id", "quantity", "unit_price"], "btree") in found


def test_no_covering_variant_on_a_unique_key():
    pk = Index("public", "pk_orders", "public.orders", "CREATE UNIQUE INDEX pk_orders ON public.orders "
               "USING btree (id)", columns=["id"], is_unique=True, is_primary=True)
    shape = _shape(TableAccess("public.orders", join_columns=["id"], columns_used=["id", "total", "status"]))
    assert not any(s.include for s in generate([shape], _catalog([pk])).get("f1", []))
    # a join probe on a column unique by its statistics: covered, one heap visit saved per probe
    assert any(s.include == ["total", "status"] for s in generate([shape], _catalog())["f1"])


def test_a_covering_variant_for_a_lookup_only_where_it_finds_several_rows():
    def includes(column):
        shape = _shape(TableAccess("public.orders", predicates=[Predicate(column, "=")],
                                   columns_used=[column, "total", "status"]))
        return [s.include for s in generate([shape], _catalog())["f1"] if s.include]

    assert includes("user_id") == [["total", "status"]]  # ~10 orders per user
    assert includes("id") == []  # one row: one heap visit per call is all it would save


def _docs(*predicates, indexes=(), any_of=()):
    docs = Table("public", "docs", reltuples=80_000, columns=[
        Column("doc", "jsonb"), Column("tags", "text[]"), Column("during", "tstzrange"),
        Column("a", "int"), Column("b", "int")])
    shape = _shape(TableAccess("public.docs", predicates=list(predicates), any_of=[list(o) for o in any_of]))
    return generate([shape], Catalog([docs], indexes=list(indexes))).get("f1", [])


def _gins(specs):
    return [(s.columns, s.opclass) for s in specs if s.method == "gin"]


def test_containment_gets_a_gin_of_the_operator_class_its_operators_need():
    assert _gins(_docs(Predicate("doc", "@>"), Predicate("doc", "@?"))) == [(["doc"], "jsonb_path_ops")]
    assert _gins(_docs(Predicate("doc", "@>"), Predicate("doc", "?"))) == [(["doc"], None)]
    assert _gins(_docs(Predicate("tags", "&&"), Predicate("tags", "<@"))) == [(["tags"], None)]
    # jsonb <@ and a range's @> have no GIN operator class; a function of the column is no column
    assert not _docs(Predicate("doc", "<@"), Predicate("during", "@>"),
                     Predicate("doc -> 'a'", "@>", function="->"))


def test_an_existing_gin_serves_the_searches_of_its_operator_class():
    def gin(opclass=""):
        return Index("public", "ix", "public.docs", f"CREATE INDEX ix ON public.docs USING gin (doc{opclass})",
                     columns=["doc"], method="gin")
    assert not _docs(Predicate("doc", "?"), indexes=[gin()])
    assert not _docs(Predicate("doc", "@>"), indexes=[gin(" jsonb_path_ops")])
    assert _gins(_docs(Predicate("doc", "?"), indexes=[gin(" jsonb_path_ops")])) == [(["doc"], None)]


def test_each_branch_of_an_or_across_columns_gets_its_single_column_candidate():
    specs = _docs(any_of=[(Predicate("a", "="), Predicate("b", ">"))])
    assert [s.columns for s in specs if not s.include] == [["a"], ["b"]]
