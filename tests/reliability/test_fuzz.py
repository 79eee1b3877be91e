"""Fuzzing the analyzer: generated SQL (a small grammar of fragments plus random text) and
generated plan JSON never crash ``advisor.analyze.analyze``; whatever cannot be read is recorded
as an unparseable statement, and no rule fails."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.analyze import analyze
from advisor.model import Catalog, Column, ColumnStats, Index, Snapshot, Statement, Table

CATALOG = Catalog(
    tables=[Table("public", "t", [Column("a", "integer", True, ColumnStats(n_distinct=-1.0)),
                                  Column("b", "text", stats=ColumnStats(n_distinct=20.0)),
                                  Column("c", "timestamp with time zone")],
                  reltuples=50_000, relpages=500, n_live_tup=50_000, seq_scan=40),
            Table("public", "u", [Column("id", "integer", True), Column("t_a", "integer")],
                  reltuples=2_000, relpages=20, n_live_tup=2_000)],
    indexes=[Index("public", "t_pkey", "public.t", "CREATE UNIQUE INDEX t_pkey ON public.t (a)",
                   ["a"], is_unique=True, is_primary=True, constraint="t_pkey")])

names = st.sampled_from(["t", "u", "public.t", '"t"', "x", "order", '"we""ird"', "pg_class"])
columns = st.sampled_from(["a", "b", "c", "id", "t_a", "*", "t.a", "u.id", '"A"', "zz"])
values = st.one_of(st.integers(-5, 10**6).map(str), st.sampled_from(["$1", "$2", "NULL", "'x'",
                   "'it''s'", "now()", "$$dollar$$", "ARRAY[1,2]", "'{}'::jsonb"]))
operators = st.sampled_from(["=", "<", ">=", "<>", "LIKE", "ILIKE", "IN", "IS", "@>", "~"])
junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@st.composite
def predicates(draw, depth=0):
    if depth < 2 and draw(st.booleans()):
        joiner = draw(st.sampled_from([" AND ", " OR "]))
        return "(" + joiner.join(draw(st.lists(predicates(depth + 1), min_size=2, max_size=3))) + ")"
    op = draw(operators)
    value = draw(values)
    if op == "IN":
        value = "(" + ", ".join(draw(st.lists(values, min_size=1, max_size=4))) + ")"
    return f"{draw(columns)} {op} {value}"


@st.composite
def statements(draw):
    kind = draw(st.sampled_from(["select", "join", "insert", "update", "delete", "cte", "utility"]))
    table, where = draw(names), draw(predicates())
    sql = {
        "select": f"SELECT {draw(columns)} FROM {table} WHERE {where}"
                  + draw(st.sampled_from(["", " ORDER BY a", " ORDER BY b DESC LIMIT $1",
                                          " GROUP BY b", " LIMIT 10 OFFSET 5000"])),
        "join": f"SELECT * FROM t JOIN u ON u.t_a = t.a WHERE {where}",
        "insert": f"INSERT INTO {table} (a, b) VALUES ({draw(values)}, {draw(values)})",
        "update": f"UPDATE {table} SET b = {draw(values)} WHERE {where}",
        "delete": f"DELETE FROM {table} WHERE {where}",
        "cte": f"WITH s AS (SELECT * FROM {table} WHERE {where}) SELECT count(*) FROM s",
        "utility": draw(st.sampled_from(["BEGIN", "COMMIT", "SET x = 1", "VACUUM t",
                                         "CREATE INDEX ON t (a)", "LOCK t", "SHOW ALL"])),
    }[kind]
    # damage: cut it, splice random text in, or leave it whole
    cut = draw(st.integers(0, len(sql)))
    return draw(st.sampled_from([sql, sql[:cut], sql[:cut] + draw(junk) + sql[cut:],
                                 draw(junk) + sql, sql + " " + draw(junk)]))


plan_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**9),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
plan_nodes = st.recursive(
    st.fixed_dictionaries(
        {"Node Type": st.sampled_from(["Seq Scan", "Index Scan", "Index Only Scan", "Sort",
                                       "Nested Loop", "Hash Join", "Bitmap Heap Scan", "Limit",
                                       "Aggregate", "Weird Node", ""])},
        optional={"Relation Name": st.one_of(names, plan_scalars), "Schema": st.just("public"),
                  "Alias": st.one_of(names, plan_scalars),
                  "Index Name": st.one_of(st.just("t_pkey"), plan_scalars),
                  "Filter": st.one_of(st.just("(b = 'x'::text)"), st.just("((a)::text ~~ $1)"),
                                      plan_scalars),
                  "Index Cond": st.one_of(st.just("(a = $1)"), plan_scalars),
                  "Sort Key": st.one_of(st.lists(st.sampled_from(["a", "t.b DESC", "?"])),
                                        plan_scalars),
                  "Total Cost": plan_scalars, "Startup Cost": plan_scalars,
                  "Plan Rows": plan_scalars, "Plan Width": plan_scalars,
                  "Rows Removed by Filter": plan_scalars, "Actual Rows": plan_scalars}),
    lambda children: st.fixed_dictionaries(
        {"Node Type": st.sampled_from(["Nested Loop", "Hash Join", "Sort", "Limit", "Gather"]),
         "Plans": st.one_of(st.lists(children, max_size=3), plan_scalars)}),
    max_leaves=8)


def _check(snapshot: Snapshot, tally, what: str) -> None:
    try:
        result = analyze(snapshot)
    except Exception as exc:  # the tally records the crash before the test fails with it
        tally("fuzz", f"{what}: {type(exc).__name__}", False)
        raise
    distinct = {s.fingerprint for s in snapshot.statements}
    shaped = {s.fingerprint for s in result.shapes}
    unparsed = {u["statement"] for u in result.unparsed}
    every_recorded = distinct <= shaped and unparsed <= distinct and all(
        s.fingerprint in unparsed for s in result.shapes if s.parse_error)
    ok = every_recorded and "rule_errors" not in result.snapshot_summary
    tally("fuzz", what, ok)
    assert every_recorded, (distinct - shaped, unparsed)
    assert "rule_errors" not in result.snapshot_summary, result.snapshot_summary["rule_errors"]


FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.lists(statements(), min_size=1, max_size=6))
@example(["DELETE FRO"])  # once a crash: sqlglot's DELETE without a table
@example(["UPDATE", "INSERT INTO", "WITH", "SELECT FROM WHERE", ")(", "\x00", ""])
def test_generated_sql_never_crashes_analysis(tally, texts):
    snapshot = Snapshot(database="fuzz", catalog=CATALOG, statements=[
        Statement(text, calls=i + 1, total_time_ms=10.0 * (i + 1), mean_time_ms=10.0)
        for i, text in enumerate(texts)])
    _check(snapshot, tally, "generated SQL")


@FUZZ
@given(st.lists(st.tuples(statements(), plan_nodes), min_size=1, max_size=4))
def test_generated_plans_never_crash_analysis(tally, pairs):
    snapshot = Snapshot(database="fuzz", catalog=CATALOG, statements=[
        Statement(text, calls=5, total_time_ms=50.0, mean_time_ms=10.0, plan=plan,
                  analyze_plan=plan if i % 2 else None)
        for i, (text, plan) in enumerate(pairs)])
    _check(snapshot, tally, "generated plan JSON")
