"""Every problem planted in ShopEase is found, on a snapshot captured from the running app.

The app runs its default request mix on a private copy of the test-scale database (lazy loading,
then eager loading on another copy); ``advisor.capture`` reads pg_stat_statements, the catalog,
generic plans and the server-log traces of those requests; the lazy run is also traced by the
SQLAlchemy hook (``advisor.trace``); ``analyze`` runs every rule.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from pathlib import Path

import psycopg
import pytest

from advisor.analyze import analyze
from advisor.config import Config, RuleSettings
from advisor.model import Analysis, Finding
from app_under_test import models
from app_under_test.planted import by_kind

REQUESTS = 200
# Test scale 0.05 makes every table 20x smaller than the planted figures: scale the size floor too.
CONFIG = Config(rules={"missing-index": RuleSettings(thresholds={"min_table_rows": 1_000})})


def _snapshot(pg, template: str, tmp: Path, eager: bool):
    from advisor.capture import capture
    from advisor.trace import Tracer, load
    from app_under_test.driver import run_workload

    name = f"shopan_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name, template=template)
    tracer = Tracer(tmp / "app.jsonl")
    hooks = {} if eager else {"before_request": tracer.before_request, "after_request": tracer.after_request,
                              "engine_hook": tracer.instrument}
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
            conn.execute("SELECT pg_stat_statements_reset()")
        start = pg.log_path.stat().st_size
        run_workload(dsn, requests=REQUESTS, concurrency=2, warmup=0, eager=eager, **hooks)
        log = tmp / f"{name}.log"
        with open(pg.log_path, "rb") as handle:
            handle.seek(start)
            log.write_bytes(handle.read())
        snapshot = capture(dsn, logs=[log])
        snapshot.traces += [] if eager else load([tmp / "app.jsonl"])
        return snapshot
    finally:
        tracer.close()
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
def log_only(lazy_snapshot) -> Analysis:
    return analyze(dataclasses.replace(lazy_snapshot, traces=[t for t in lazy_snapshot.traces if t.source == "log"]),
                   CONFIG)


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


def reads(analysis: Analysis) -> list[Finding]:
    return [f for f in findings(analysis, "n-plus-one") if f.evidence["kind"] == "read"]


def relationships(finding: Finding) -> set[str]:
    named = [finding.evidence["relationship"]] + [n["relationship"] for n in finding.evidence["nested"]]
    return {name for name in named if name}


@pytest.mark.parametrize("plant", by_kind("n_plus_one"), ids=lambda p: p.id)
def test_every_planted_loop_is_one_finding_with_its_fix(lazy, plant):
    (finding,) = [f for f in reads(lazy) if relationships(f) & set(plant.relations)]
    assert relationships(finding) == set(plant.relations)
    assert finding.evidence["seen_in"] == ["app", "log"] and finding.evidence["endpoints"] == list(plant.endpoints)
    assert finding.confidence == "high" and finding.evidence["count_per_request"] >= 5
    assert f"`{plant.relations[0]}` lazy-loads" in finding.message
    parent = finding.evidence["parent_call_site"]
    assert parent.startswith("app_under_test/endpoints.py:") and f"from {parent}" in finding.message
    fix = finding.evidence["fix"]
    (option,) = fix["options"]
    assert option.split("(")[0] == ("selectinload" if plant.id in ("N3", "N4") else "joinedload")
    assert fix["at"].startswith("app_under_test/endpoints.py:")
    assert f"`.options({option})`" in finding.help and fix["at"] in finding.help


@pytest.fixture(scope="module")
def shop_copy(pg, shopease_template):
    name = f"shopfix_{uuid.uuid4().hex[:8]}"
    yield pg.create_database(name, template=shopease_template)
    pg.drop_database(name)


@pytest.mark.parametrize("plant", by_kind("n_plus_one"), ids=lambda p: p.id)
def test_the_suggested_option_makes_the_loop_constant(lazy, shop_copy, plant):
    """The finding's option, added to its root query as written, turns 1 + N queries into a
    number that no longer depends on N."""
    (finding,) = [f for f in reads(lazy) if relationships(f) & set(plant.relations)]
    (text,) = finding.evidence["fix"]["options"]
    root = getattr(models, text.split("(")[1].split(".")[0])
    as_is = _queries(shop_copy, plant.endpoints[0])
    fixed = _queries(shop_copy, plant.endpoints[0], root, _option(text))
    assert len(set(fixed)) == 1, fixed
    assert max(as_is) > fixed[0] and len(set(as_is)) > 1, as_is


def _option(text: str):
    from sqlalchemy.orm import joinedload, selectinload

    names = {name: getattr(models, name) for name in dir(models) if isinstance(getattr(models, name), type)}
    return eval(text, {"__builtins__": {}, "joinedload": joinedload, "selectinload": selectinload, **names})


def _queries(dsn: str, endpoint: str, root=None, option=None, requests: int = 12) -> list[int]:
    """Statements per request of ``endpoint`` over the driver's requests for it, with ``option``
    added to every query that loads ``root`` objects."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app_under_test.db import make_engine
    from app_under_test.driver import Planner, Population
    from app_under_test.endpoints import ENDPOINTS

    def add_option(state) -> None:
        if state.is_select and not state.is_relationship_load and \
                any(d.get("entity") is root for d in state.statement.column_descriptions):
            state.statement = state.statement.options(option)

    planned = itertools.islice(iter(Planner(Population.load(dsn), {endpoint: 1.0}, 5, eager=False)), requests)
    engine = make_engine(dsn)
    ran: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: ran.append(sql))
    counts = []
    try:
        for request in planned:
            with Session(engine) as session:
                if option is not None:
                    event.listen(session, "do_orm_execute", add_option)
                before = len(ran)
                ENDPOINTS[endpoint](session, **request.params)
                counts.append(len(ran) - before)
    finally:
        engine.dispose()
    return counts


def test_one_finding_per_loop(lazy):
    assert len(reads(lazy)) == len(by_kind("n_plus_one")), [f.message for f in reads(lazy)]


@pytest.mark.parametrize("plant", by_kind("n_plus_one"), ids=lambda p: p.id)
def test_from_the_server_log_alone_the_foreign_key_names_it(log_only, plant):
    (finding,) = [f for f in reads(log_only) if f.table == f"public.{plant.table}"]
    assert finding.confidence == "high" and finding.evidence["count_per_request"] >= 5
    likely = finding.evidence["likely_relationship"]
    assert likely.split(".")[0] == plant.relations[0].split(".")[0], likely  # the parent's class
    assert "ANY($1)" in finding.help and f"load({likely})" in finding.help


def test_without_traces_the_call_counts_suggest_it(lazy_snapshot):
    untraced = dataclasses.replace(lazy_snapshot, traces=[])
    found = findings(analyze(untraced, CONFIG), "n-plus-one")
    assert {f.table for f in found} >= {f"public.{p.table}" for p in by_kind("n_plus_one")}
    assert all(f.confidence == "low" and f.message.startswith("Possible N+1") for f in found)


def test_no_n_plus_one_read_with_eager_loading(eager):
    assert [f.message for f in reads(eager)] == []
    # checkout still updates stock once per cart line: a write loop, not a loading strategy
    assert all(f.message.startswith("N+1 writes") and "update of products by id" in f.message
               for f in findings(eager, "n-plus-one"))


def test_findings_are_ranked(lazy):
    order = ["critical", "high", "medium", "low", "info"]
    ranks = [order.index(f.severity) for f in lazy.findings]
    assert ranks == sorted(ranks)
    assert lazy.snapshot_summary["unparsed"] == 0 and "rule_errors" not in lazy.snapshot_summary
