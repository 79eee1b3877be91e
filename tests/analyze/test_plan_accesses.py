"""The accesses a plan adds to a statement's shape, on real PostgreSQL plans."""

from __future__ import annotations

import psycopg

from advisor.analyze.plan_accesses import with_plan_accesses
from advisor.analyze.shapes import extract_shape
from advisor.model import Catalog, Column, Table
from tests.analyze.dbsnap import generic_plan

DDL = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, active boolean NOT NULL);
INSERT INTO users SELECT g, 'u' || g, g % 2 = 0 FROM generate_series(1, 1000) g;
ANALYZE users;
CREATE VIEW active_u AS SELECT * FROM users u WHERE active;
CREATE VIEW active_x AS SELECT * FROM users x WHERE active;
"""
CATALOG = Catalog([Table("public", "users", reltuples=1000.0, columns=[
    Column("id", "bigint"), Column("email", "text"), Column("active", "boolean")])])


def _with_plan(dsn: str, sql: str):
    with psycopg.connect(dsn, autocommit=True) as conn:
        plan = generic_plan(conn, sql)
    shape = extract_shape(sql, CATALOG)
    return shape, with_plan_accesses(shape, plan, CATALOG)


def test_views_add_their_base_table_under_each_scans_alias(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(DDL)
    for view, alias in (("active_u", "u"), ("active_x", "x"), ("active_u", "u")):
        shape, full = _with_plan(fresh_db, f"SELECT * FROM {view} WHERE email = $1")
        added = full.tables[len(shape.tables):]
        assert [(a.table, a.alias) for a in added] == [("public.users", alias)]
        assert {(p.column, p.op) for p in added[0].predicates} == {("email", "="), ("active", "=")}
        assert added[0].columns_used == []
        assert all(a.table != "public.users" for a in shape.tables)  # the shape itself is unchanged


def test_a_plan_that_adds_nothing_keeps_the_shape(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(DDL)
    shape, full = _with_plan(fresh_db, "SELECT id FROM users WHERE email = $1 ORDER BY id")
    assert full is shape
