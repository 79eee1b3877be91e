"""validate: before/after on a scratch copy; judges each recommendation; cleans up after itself."""

from __future__ import annotations

import sys

import psycopg
import pytest

from advisor.ddl import create_index_sql, index_name
from advisor.demo import shopease_migrations
from advisor.emit.migrations import write_migrations
from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Plan, Recommendation, StatementGain
from advisor.validate import CommandWorkload, ShopeaseWorkload, validate

LOOKUP = "SELECT id, v FROM items WHERE k = $1"

WORKLOAD = (
    f"{sys.executable} -c \"import psycopg, sys; c = psycopg.connect(sys.argv[1]); "
    "[c.execute('SELECT id, v FROM items WHERE k = %s', (i,)).fetchall() for i in range(150)]\" {dsn}"
)


@pytest.fixture
def items_db(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id serial PRIMARY KEY, k int NOT NULL, v text NOT NULL)")
        conn.execute("INSERT INTO items (k, v) SELECT g % 5000, md5(g::text) FROM generate_series(1, 120000) g")
        conn.execute("ANALYZE items")
    return fresh_db


def _create(columns: list[str], served: list[str]) -> Recommendation:
    spec = IndexSpec(table="public.items", columns=columns)
    name = index_name(spec)
    return Recommendation(action="create", table="public.items", name=name,
                          ddl=create_index_sql(spec, name), index=spec,
                          statements=[StatementGain(statement=s, calls=150, cost_before=2000,
                                                    cost_after=10) for s in served])


def _state(dsn: str) -> tuple:
    with psycopg.connect(dsn) as conn:
        indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'items' "
                               "ORDER BY 1").fetchall()
        tables = conn.execute("SELECT relname FROM pg_class WHERE relkind = 'r' AND "
                              "relnamespace = 'public'::regnamespace ORDER BY 1").fetchall()
        data = conn.execute("SELECT md5(string_agg(id || ':' || k || v, ',' ORDER BY id)) FROM items").fetchone()
    return indexes, tables, data


def _scratch_databases(pg) -> list:
    with psycopg.connect(pg.dsn_for("postgres")) as conn:
        return conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'advisor_scratch_%'").fetchall()


def test_validate_measures_and_flags_and_leaves_source_untouched(pg, items_db, tmp_path):
    from advisor.fingerprint import fingerprint

    helpful = _create(["k"], [fingerprint(LOOKUP)])
    useless = _create(["v"], [])
    plan = Plan(recommendations=[helpful, useless])
    migrations = tmp_path / "migrations"
    write_migrations(plan, migrations)
    before = _state(items_db)

    result = validate(items_db, migrations, CommandWorkload(WORKLOAD), plan=plan, repetitions=1)

    verdicts = {r["name"]: r for r in result["recommendations"]}
    assert verdicts[helpful.name]["helps"], verdicts[helpful.name]
    assert verdicts[helpful.name]["idx_scan"] >= 150
    assert verdicts[helpful.name]["measured_speedup"] > 2
    assert not verdicts[useless.name]["helps"]
    assert verdicts[useless.name]["idx_scan"] == 0
    lookup = next(s for s in result["statements"] if s["statement"] == fingerprint(LOOKUP))
    assert lookup["after"]["blks_per_call"] < lookup["before"]["blks_per_call"]
    assert _state(items_db) == before
    assert _scratch_databases(pg) == []


def test_failing_workload_is_a_clear_error_and_cleans_up(pg, items_db, tmp_path):
    plan = Plan(recommendations=[_create(["k"], [])])
    migrations = tmp_path / "migrations"
    write_migrations(plan, migrations)
    failing = CommandWorkload(f"{sys.executable} -c \"import sys; sys.exit('boom: no such table')\"")
    with pytest.raises(AdvisorError, match="workload command failed.*boom"):
        validate(items_db, migrations, failing, plan=plan, repetitions=1)
    assert _scratch_databases(pg) == []


def test_shopease_latency_is_measured_open_loop_at_one_rate_for_both_phases(shopease_db, tmp_path):
    spec = IndexSpec(table="public.cart_items", columns=["cart_id"])
    plan = Plan(recommendations=[Recommendation(action="create", table="public.cart_items",
                                                name=index_name(spec), ddl=create_index_sql(spec, index_name(spec)),
                                                index=spec)])
    migrations = shopease_migrations(tmp_path / "shopease")
    write_migrations(plan, migrations)
    workload = ShopeaseWorkload(requests=30, latency_requests=40, warmup=5)

    result = validate(shopease_db, migrations, workload, repetitions=1, rate=40.0)

    assert result["open_loop_rate"] == 40.0
    overall = result["overall"]
    assert overall["before"]["load_requests"] == overall["after"]["load_requests"] == 40
    assert overall["before"]["requests"] == 30
    for row in result["endpoints"]:
        before, after = row["before"].get("load_p95_ms"), row["after"].get("load_p95_ms")
        if before and after:  # the speed-up compares the open-loop p95, not the closed-loop one
            assert row["p95_speedup"] == pytest.approx(before / after)
