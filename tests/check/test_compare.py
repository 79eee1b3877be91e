"""The comparison rules, on plans a real server produced and on hand-built records."""

from __future__ import annotations

import psycopg
import pytest

from advisor.check.baseline import Baseline, StatementRecord, read_baseline, write_baseline
from advisor.check.compare import compare
from advisor.check.explain import PlanError, generic_plan
from advisor.check.observe import observe
from advisor.check.requests import request_profile
from advisor.check.settings import CheckSettings
from advisor.check.shape import Access, Shape, plan_shape
from advisor.db import session
from advisor.errors import AdvisorError
from advisor.model import Trace, TraceEvent


def _record(fp: str, scan: str, cost: float, table: str = "public.t", unstable=None, **kw):
    index = None if scan == "seq" else "t_a_idx"
    return StatementRecord(fp, f"SELECT * FROM t WHERE a = $1 -- {fp}", unstable=unstable,
                           shape=Shape([Access(table, scan, index, filtered=scan == "seq")], [],
                                       cost), **kw)


def _failing(report):
    return sorted((c.kind, c.severity) for c in report.failures)


def test_shapes_of_real_plans(shop_like):
    with session(shop_like) as conn:
        point = plan_shape(generic_plan(conn, "SELECT * FROM orders WHERE customer_id = $1"))
        join = plan_shape(generic_plan(conn, "SELECT o.id FROM orders o JOIN customers c "
                                             "ON c.id = o.customer_id WHERE c.region = $1"))
        seq = plan_shape(generic_plan(conn, "SELECT * FROM orders WHERE customer_id = $1",
                                      disable=("enable_indexscan", "enable_bitmapscan")))
        with pytest.raises(PlanError, match="does not exist"):
            generic_plan(conn, "SELECT * FROM no_such_table")
        again = plan_shape(generic_plan(conn, "SELECT * FROM orders WHERE customer_id = $1"))
    assert [(a.table, a.uses_index, a.index) for a in point.accesses] == [
        ("public.orders", True, "orders_customer_id_idx")]
    assert {a.table for a in join.accesses} == {"public.orders o", "public.customers c"}
    assert join.joins and join.joins[0].endswith("Inner")
    assert [(a.scan, a.filtered) for a in seq.accesses] == [("seq", True)]
    assert seq.cost > point.cost > 0
    assert again == point  # a failed EXPLAIN leaves the session usable


def test_observe_marks_a_plan_unstable_when_the_alternative_is_within_the_tie(shop_like):
    settings = CheckSettings(tie_pct=10_000)  # any real alternative counts as a tie
    ties = observe(shop_like, settings=settings)
    record = next(s for s in ties.statements if "orders WHERE customer_id" in s.query)
    assert record.unstable and "alternative plan" in record.unstable
    normal = observe(shop_like)
    assert next(s for s in normal.statements if s.fingerprint == record.fingerprint).unstable is None


def test_lost_index_is_critical_on_a_large_table_and_a_warning_on_a_small_one():
    before = Baseline(tables={"public.t": 50_000}, statements=[_record("f1", "index", 8.0)])
    now = Baseline(tables={"public.t": 50_000}, statements=[_record("f1", "seq", 8.5)])
    assert _failing(compare(before, now)) == [("index-to-seq-scan", "critical")]
    small = compare(before, now, CheckSettings(large_table_rows=100_000))
    assert not small.failed
    assert [(c.kind, c.severity) for c in small.changes] == [("index-to-seq-scan", "warning")]


def test_cost_threshold_is_a_setting():
    before = Baseline(statements=[_record("f1", "index", 100.0)])
    now = Baseline(statements=[_record("f1", "index", 109.0)])
    assert not compare(before, now).failed
    assert _failing(compare(before, now, CheckSettings(cost_increase_pct=5))) == [
        ("cost-increase", "error")]
    tiny = Baseline(statements=[_record("f1", "index", 0.5)])
    assert not compare(tiny, Baseline(statements=[_record("f1", "index", 2.0)])).failed


def test_unstable_plans_are_reported_not_failed():
    before = Baseline(tables={"public.t": 50_000}, statements=[_record("f1", "index", 100.0)])
    now = Baseline(tables={"public.t": 50_000},
                   statements=[_record("f1", "seq", 100.5, unstable="tie within 1%")])
    report = compare(before, now)
    assert not report.failed
    assert report.statements[0].status == "unstable"
    assert all("unstable" in c.message for c in report.changes)


def test_timings_need_enough_calls_and_a_real_increase():
    def timed(mean, calls, stddev=0.1):
        return Baseline(timings=True, statements=[_record("f1", "index", 8.0, calls=calls,
                                                          mean_time_ms=mean,
                                                          stddev_time_ms=stddev)])
    assert _failing(compare(timed(2.0, 100), timed(5.0, 100))) == [("mean-time-increase", "error")]
    assert not compare(timed(2.0, 100), timed(5.0, 5)).failed  # too few repetitions
    assert not compare(timed(2.0, 100), timed(2.5, 100)).failed  # under the threshold
    assert not compare(timed(0.02, 100), timed(0.2, 100)).failed  # under a millisecond
    assert not compare(timed(2.0, 100, 40.0), timed(5.0, 100, 40.0)).failed  # noise
    untimed = Baseline(statements=[_record("f1", "index", 8.0)])
    assert not compare(untimed, timed(50.0, 1000)).failed  # baseline without timings


def _trace(i: int, label: str, lazy: bool) -> Trace:
    events = [TraceEvent("SELECT * FROM orders WHERE customer_id = 7")]
    if lazy:
        events += [TraceEvent(f"SELECT * FROM items WHERE order_id = {n}") for n in range(8)]
    else:
        events += [TraceEvent("SELECT * FROM items WHERE order_id IN (1, 2, 3, 4, 5, 6, 7, 8)")]
    return Trace(id=str(i), source="app", label=label, events=events)


def test_a_new_n_plus_one_pattern_fails():
    eager = Baseline(traced=True, requests=request_profile(
        [_trace(i, "order_history", lazy=False) for i in range(3)]))
    lazy = Baseline(traced=True, requests=request_profile(
        [_trace(i, "order_history", lazy=True) for i in range(3)]))
    report = compare(eager, lazy)
    assert _failing(report) == [("n-plus-one", "error"), ("queries-per-request", "error")]
    n1 = next(c for c in report.failures if c.kind == "n-plus-one")
    assert n1.request == "order_history" and "8 times" in n1.message
    assert "items WHERE order_id" in n1.query
    assert not compare(lazy, lazy).failed  # a known pattern is not a new one
    untraced = compare(Baseline(), lazy)
    assert not untraced.failed and untraced.changes[0].kind == "untraced"


def test_comparison_is_deterministic_and_sorted():
    before = Baseline(tables={"public.t": 50_000},
                      statements=[_record(f"f{i}", "index", 10.0 + i) for i in range(5)])
    now = Baseline(tables={"public.t": 50_000},
                   statements=[_record(f"f{i}", "seq", 900.0) for i in reversed(range(5))])
    first, second = compare(before, now), compare(before, now)
    assert first.to_dict() == second.to_dict()
    assert [s.fingerprint for s in first.statements] == [f"f{i}" for i in range(5)]
    assert [c.failing for c in first.changes] == sorted((c.failing for c in first.changes),
                                                        reverse=True)


def test_baseline_round_trip_is_atomic_and_versioned(tmp_path):
    path = tmp_path / "sub" / "baseline.json"
    baseline = Baseline(statements=[_record("f1", "index", 8.0)], traced=True,
                        requests=request_profile([_trace(1, "x", lazy=True)]))
    write_baseline(baseline, path)
    assert read_baseline(path) == baseline
    assert [p.name for p in path.parent.iterdir()] == ["baseline.json"]  # no temp file left
    path.write_text(path.read_text().replace('"format_version": 1', '"format_version": 99'))
    with pytest.raises(AdvisorError, match="format version 99"):
        read_baseline(path)


def test_check_writes_nothing_to_the_database(shop_like):
    with psycopg.connect(shop_like) as conn:
        before = conn.execute("SELECT count(*), max(id) FROM orders").fetchone()
        indexes = conn.execute("SELECT count(*) FROM pg_indexes").fetchone()
    observe(shop_like)
    with psycopg.connect(shop_like) as conn:
        assert conn.execute("SELECT count(*), max(id) FROM orders").fetchone() == before
        assert conn.execute("SELECT count(*) FROM pg_indexes").fetchone() == indexes
