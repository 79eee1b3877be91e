"""Every problem planted in ShopEase is found, on a snapshot captured from the running app.

The app runs its default request mix on a private copy of the test-scale database (lazy loading,
then eager loading on another copy); ``advisor.capture`` reads pg_stat_statements, the catalog,
generic plans and the server-log traces of those requests; ``analyze`` runs every rule.
"""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import psycopg
import pytest

from advisor.analyze import analyze
from advisor.config import Config, RuleSettings
from advisor.model import Analysis, Finding
from app_under_test.planted import by_kind

REQUESTS = 200
# Test scale 0.05 makes every table 20x smaller than the planted figures: scale the size floor too.
CONFIG = Config(rules={"missing-index": RuleSettings(thresholds={"min_table_rows": 1_000})})


def _snapshot(pg, template: str, tmp: Path, eager: bool):
    from advisor.capture import capture
    from app_under_test.driver import run_workload

    name = f"shopan_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name, template=template)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
            conn.execute("SELECT pg_stat_statements_reset()")
        start = pg.log_path.stat().st_size
        run_workload(dsn, requests=REQUESTS, concurrency=2, warmup=0, eager=eager)
        log = tmp / f"{name}.log"
        with open(pg.log_path, "rb") as handle:
            handle.seek(start)
            log.write_bytes(handle.read())
        return capture(dsn, logs=[log])
    finally:
        pg.drop_database(name)


@pytest.fixture(scope="module")
def lazy_snapshot(pg, shopease_template, tmp_path_factory):
    snapshot = _snapshot(pg, shopease_template, tmp_path_factory.mktemp("lazy"), eager=False)
    assert snapshot.traces, "the server log gave no traces"
    return snapshot


@pytest.fixture(scope="module")
def lazy(lazy_snapshot) -> Analysis:
    return analyze(lazy_snapshot, CONFIG)


@pytest.fixture(scope="module")
def eager(pg, shopease_template, tmp_path_factory) -> Analysis:
    return analyze(_snapshot(pg, shopease_template, tmp_path_factory.mktemp("eager"), eager=True), CONFIG)


def findings(analysis: Analysis, rule: str, table: str | None = None) -> list[Finding]:
    return [f for f in analysis.findings if f.rule == rule and (table is None or f.table == table)]


def keys(columns) -> tuple[str, ...]:
    return tuple(c.split()[0] for c in columns)


@pytest.mark.parametrize("plant", by_kind("missing_index", "partial_index"), ids=lambda p: p.id)
def test_missing_index_found(lazy, plant):
    wanted = {keys(plant.columns)} | {keys(a) for a in plant.acceptable}
    found = [keys(f.evidence["index_columns"]) for f in findings(lazy, "missing-index", f"public.{plant.table}")]
    assert any(k in wanted or k[:len(plant.columns)] == keys(plant.columns) for k in found), (plant.id, found)


def test_expression_index_for_lower_email(lazy):
    (finding,) = findings(lazy, "function-on-column", "public.users")
    assert finding.evidence["expression"] == "lower(email)"
    assert "ix_users_email" in finding.message and "lower(email)" in finding.help


def test_trigram_index_for_the_search(lazy):
    (finding,) = findings(lazy, "leading-wildcard-like", "public.products")
    assert finding.evidence["column"] == "name" and "leading wildcard" in finding.message
    assert "gin_trgm_ops" in finding.help


def test_redundant_and_unused_indexes(lazy):
    redundant = {f.evidence["index"] for f in findings(lazy, "redundant-index")}
    assert redundant == {"public.ix_products_status"}
    unused = {f.evidence["index"] for f in findings(lazy, "unused-index")}
    assert {"public.ix_products_price", "public.ix_products_name", "public.ix_users_created_at"} <= unused
    assert "public.ix_users_email" not in unused  # it enforces uniqueness


@pytest.mark.parametrize("plant", by_kind("no_index_helps"), ids=lambda p: p.id)
def test_low_selectivity_filters_are_not_worth_an_index(lazy, plant):
    table = f"public.{plant.table}"
    said = [f for f in findings(lazy, "low-selectivity-filter", table) if f.evidence["column"] == "status"]
    assert said and all(f.evidence["worth_an_index"] is False for f in said)
    assert not [f for f in findings(lazy, "missing-index", table) if keys(f.evidence["index_columns"]) == ("status",)]


def test_tiny_table(lazy):
    assert findings(lazy, "small-table", "public.categories")


@pytest.mark.parametrize("plant", by_kind("n_plus_one"), ids=lambda p: p.id)
def test_every_lazy_endpoint_is_an_n_plus_one(lazy, plant):
    found = [f for f in findings(lazy, "n-plus-one", f"public.{plant.table}") if f.evidence["kind"] == "read"]
    assert found, plant.id
    assert all(f.confidence == "high" and f.evidence["count_per_request"] >= 5 for f in found)
    assert "ANY($1)" in found[0].help and "selectinload" in found[0].help


def test_without_traces_the_call_counts_suggest_it(lazy_snapshot):
    untraced = dataclasses.replace(lazy_snapshot, traces=[])
    found = findings(analyze(untraced, CONFIG), "n-plus-one")
    assert {f.table for f in found} >= {f"public.{p.table}" for p in by_kind("n_plus_one")}
    assert all(f.confidence == "low" and f.message.startswith("Possible N+1") for f in found)


def test_no_n_plus_one_read_with_eager_loading(eager):
    reads = [f.message for f in findings(eager, "n-plus-one") if f.evidence["kind"] == "read"]
    assert reads == []
    # checkout still updates stock once per cart line: a write loop, not a loading strategy
    assert all("UPDATE products" in f.message for f in findings(eager, "n-plus-one"))


def test_findings_are_ranked(lazy):
    order = ["critical", "high", "medium", "low", "info"]
    ranks = [order.index(f.severity) for f in lazy.findings]
    assert ranks == sorted(ranks)
    assert lazy.snapshot_summary["unparsed"] == 0 and "rule_errors" not in lazy.snapshot_summary
