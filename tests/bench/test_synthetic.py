"""bench.synthetic: deterministic, distinct, parseable, and runnable on ShopEase's schema."""

from __future__ import annotations

import psycopg
import pytest
import sqlglot

from advisor.fingerprint import fingerprint
from bench import synthetic


def test_the_same_seed_gives_the_same_statements_and_another_seed_others():
    assert synthetic.generate(300, seed=3) == synthetic.generate(300, seed=3)
    assert synthetic.generate(300, seed=3) != synthetic.generate(300, seed=4)


def test_n_statements_have_n_distinct_fingerprints():
    queries = synthetic.generate(2000, seed=0)
    assert len(queries) == 2000
    assert len({fingerprint(q) for q in queries}) == 2000


def test_every_statement_parses_and_the_mix_is_varied():
    queries = synthetic.generate(1000, seed=0)
    trees = [sqlglot.parse_one(q, read="postgres") for q in queries]
    kinds = {t.key for t in trees}
    assert {"select", "update", "delete"} <= kinds
    tables = {tbl.name for t in trees for tbl in t.find_all(sqlglot.exp.Table)}
    assert tables == set(synthetic.SCHEMA)
    assert sum(bool(t.find(sqlglot.exp.Join)) for t in trees) > 100
    assert sum(bool(t.args.get("order")) for t in trees) > 100
    assert sum(bool(t.args.get("limit")) for t in trees) > 100
    assert sum(bool(t.args.get("group")) for t in trees) > 50


def test_statements_rows_and_snapshot_carry_the_same_queries():
    rows = synthetic.statements(50, seed=2)
    assert [r.query for r in rows] == synthetic.generate(50, seed=2)
    assert all(r.calls >= 1 and r.total_time_ms >= 0 for r in rows)
    snap = synthetic.snapshot(50, seed=2)
    assert len(snap.statements) == 50 and len(snap.catalog.tables) == len(synthetic.SCHEMA)


def test_schema_description_matches_the_shopease_models():
    models = pytest.importorskip("app_under_test.models")
    tables = {t.name: t for t in models.Base.metadata.sorted_tables}
    assert set(tables) == set(synthetic.SCHEMA)
    for name, columns in synthetic.SCHEMA.items():
        assert list(columns) == [c.name for c in tables[name].columns], name
        for column, kind in columns.items():
            fks = {fk.column.table.name for fk in tables[name].columns[column].foreign_keys}
            assert fks == ({kind.split(":")[1]} if kind.startswith("fk:") else set()), (name, column)
            assert tables[name].columns[column].nullable == ((name, column) in synthetic.NULLABLE)


def test_every_statement_runs_on_the_schema(fresh_db):
    queries = synthetic.generate(400, seed=5)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(synthetic.schema_ddl())
        for sql in queries:
            conn.execute(sql)
        conn.execute("SELECT pg_stat_statements_reset()")
        for sql in queries:
            conn.execute(sql)
        held = conn.execute(
            "SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%'"
        ).fetchone()[0]
    assert held == len(queries)  # distinct for pg_stat_statements too, not only for us
