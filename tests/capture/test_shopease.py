"""Capture after a ShopEase workload run: statements, catalog, plans, and N+1 traces."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from advisor.capture import capture
from advisor.trace import Tracer, load

N_PLUS_ONE = {"list_products", "product_detail", "order_history", "view_cart"}


@pytest.fixture
def shopease_run(pg, shopease_db, tmp_path):
    from app_under_test.driver import run_workload

    tracer = Tracer(tmp_path / "app.jsonl")
    offset = pg.log_path.stat().st_size
    result = run_workload(shopease_db, requests=80, concurrency=2, warmup=0, seed=11,
                          before_request=tracer.before_request, after_request=tracer.after_request,
                          engine_hook=tracer.instrument)
    log = tmp_path / "server.log"
    with pg.log_path.open("rb") as handle:
        handle.seek(offset)
        log.write_bytes(handle.read())
    return shopease_db, log, tmp_path / "app.jsonl", result


def _max_repeat(trace) -> int:
    return max(Counter(e.fingerprint for e in trace.events).values(), default=0)


def test_capture_after_workload(shopease_run):
    dsn, log, _app, _result = shopease_run
    started = time.perf_counter()
    snap = capture(dsn, logs=[log])
    elapsed = time.perf_counter() - started
    print(f"\nShopEase capture: {elapsed:.2f}s, {len(snap.statements)} statements, "
          f"{sum(s.plan is not None for s in snap.statements)} planned, {len(snap.traces)} traces")
    tables = {t.name for t in snap.catalog.tables}
    assert {"users", "products", "orders", "order_items", "reviews"} <= tables
    assert snap.catalog.indexes and snap.catalog.foreign_keys
    assert len(snap.statements) >= 10
    assert all(s.plan is not None for s in snap.statements if s.query.lstrip()[:6].lower() == "select")
    assert all("pg_" not in s.query for s in snap.statements)
    # the log traces join pg_stat_statements by fingerprint, and show N+1 within one transaction
    known = {s.fingerprint for s in snap.statements}
    assert snap.traces and all(any(e.fingerprint in known for e in t.events) for t in snap.traces)
    assert max(_max_repeat(t) for t in snap.traces) >= 3


def test_app_traces_show_n_plus_one_per_endpoint(shopease_run):
    _dsn, _log, app, result = shopease_run
    traces = load([app])
    assert len(traces) == 80
    repeats = {t.label: max(_max_repeat(t), 0) for t in traces}
    assert any(repeats[label] >= 3 for label in repeats if label in N_PLUS_ONE)
    sites = Counter(e.call_site for t in traces for e in t.events)
    assert all(site and "app_under_test" in site for site in sites), [s for s in sites if not s or "app_under_test" not in s]
