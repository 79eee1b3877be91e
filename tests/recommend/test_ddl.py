"""Index names and DDL: quoting of reserved words, quotes, unicode; the 63-byte limit."""

import pytest

from advisor.ddl import create_index_sql, drop_index_sql, index_name, qualified, quote_ident
from advisor.model import IndexSpec


def test_reserved_word_table_is_quoted():
    spec = IndexSpec("public.order", ["user", "created_at DESC"])
    assert create_index_sql(spec, index_name(spec)) == (
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_order_user_created_at ON public."order" '
        '("user", created_at DESC)')


def test_weird_names_are_quoted_and_quotes_doubled():
    spec = IndexSpec('public.Weird "Name"', ['Mixed Col'])
    assert qualified(spec.table) == 'public."Weird ""Name"""'
    sql = create_index_sql(spec, index_name(spec), concurrently=False, if_not_exists=False)
    assert sql == 'CREATE INDEX ix_weird_name_mixed_col ON public."Weird ""Name""" ("Mixed Col")'


def test_unicode_names():
    spec = IndexSpec("public.bücher", ["titel"])
    assert index_name(spec) == "ix_bücher_titel"
    assert quote_ident("bücher") == '"bücher"'  # quote_ident() quotes anything beyond [a-z0-9_$]
    assert "ON public.\"bücher\" (titel)" in create_index_sql(spec, index_name(spec))


@pytest.mark.parametrize("columns", [["a" * 70], ["é" * 40, "ß" * 30], [f"col{i}" for i in range(20)]])
def test_names_fit_63_bytes_and_are_distinct(columns):
    spec = IndexSpec("public." + "t" * 50, columns)
    name = index_name(spec)
    assert len(name.encode()) <= 63
    assert name == index_name(IndexSpec("public." + "t" * 50, list(columns)))  # deterministic
    other = IndexSpec(spec.table, columns, where="x IS NULL")
    assert index_name(other) != name


def test_expression_partial_include_and_trigram():
    spec = IndexSpec("public.users", ["lower(email)"], include=["id", "name"], where="deleted_at IS NULL")
    assert index_name(spec) == "ix_users_lower_email_partial"
    assert create_index_sql(spec, index_name(spec), concurrently=False) == (
        "CREATE INDEX IF NOT EXISTS ix_users_lower_email_partial ON public.users (lower(email)) "
        "INCLUDE (id, name) WHERE deleted_at IS NULL")
    trgm = IndexSpec("public.products", ["name"], method="gin", opclass="gin_trgm_ops")
    assert index_name(trgm) == "ix_products_name_trgm"
    assert create_index_sql(trgm, index_name(trgm)).endswith(
        "ON public.products USING gin (name gin_trgm_ops)")


def test_non_call_expression_is_parenthesised():
    spec = IndexSpec("public.t", ["a + b"])
    assert create_index_sql(spec, "ix", concurrently=False, if_not_exists=False) == \
        "CREATE INDEX ix ON public.t ((a + b))"


def test_drop():
    assert drop_index_sql("public.ix_old") == "DROP INDEX CONCURRENTLY IF EXISTS public.ix_old"
    assert drop_index_sql("Sales.Order Ix", concurrently=False, if_exists=False) == \
        'DROP INDEX "Sales"."Order Ix"'


def test_ddl_runs_on_postgres(fresh_db):
    import psycopg

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute('CREATE TABLE "order" ("user" int, created_at timestamptz, "Mixed Col" text)')
        conn.execute('CREATE TABLE "Weird ""Name""" (id int)')
        for spec in (IndexSpec("public.order", ["user", "created_at DESC"]),
                     IndexSpec("public.order", ["lower(\"Mixed Col\")"], where="\"user\" IS NULL"),
                     IndexSpec('public.Weird "Name"', ["id"])):
            conn.execute(create_index_sql(spec, index_name(spec)))
            conn.execute(drop_index_sql("public." + index_name(spec)))
