"""`advisor check` on ShopEase: a baseline from the real workload, a lost index, a new N+1."""

from __future__ import annotations

import itertools
import json
import threading

import psycopg
import pytest
from sqlalchemy import event

from advisor.check import check, record
from advisor.model import Trace, TraceEvent
from app_under_test import driver

REQUESTS = 120
# Checkout writes orders, so the next run's IN-lists have other lengths; the fingerprint does not
# yet fold typed lists like IN ($1::BIGINT, $2::BIGINT), so such runs would differ by statement.
MIX = {label: weight for label, weight in driver.DEFAULT_MIX.items() if label != "checkout"}


class Recorder:
    """Per-request traces of the driver's statements: what an app-side trace hook records."""

    def __init__(self):
        self.traces: list[Trace] = []
        self._ids = itertools.count(1)
        self._local = threading.local()
        self._lock = threading.Lock()

    def before(self, label: str) -> None:
        self._local.trace = Trace(id=str(next(self._ids)), source="app", label=label)

    def after(self, label: str) -> None:
        with self._lock:
            self.traces.append(self._local.trace)
        self._local.trace = None

    def engine(self, engine) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def _statement(conn, cursor, statement, parameters, context, executemany):
            trace = getattr(self._local, "trace", None)
            if trace is not None:
                trace.events.append(TraceEvent(statement))


def _run(dsn: str, *, eager: bool) -> list[Trace]:
    recorder = Recorder()
    driver.run_workload(dsn, requests=REQUESTS, eager=eager, concurrency=2, warmup=0, seed=11, mix=MIX,
                        before_request=recorder.before, after_request=recorder.after,
                        engine_hook=recorder.engine)
    return sorted(recorder.traces, key=lambda t: int(t.id))


def test_shopease_lost_index_fails_and_stays_green_when_unchanged(shopease_db, advisor, tmp_path):
    baseline = tmp_path / "baseline.json"
    _run(shopease_db, eager=True)
    assert advisor("check", "--dsn", shopease_db, "--write-baseline", baseline).exit_code == 0
    recorded = json.loads(baseline.read_text())
    assert len(recorded["statements"]) > 10
    _run(shopease_db, eager=True)
    same = advisor("check", "--dsn", shopease_db, "--baseline", baseline)
    assert same.exit_code == 0, same.stdout
    using = [s for s in recorded["statements"] if s["shape"] and any(
        a["index"] == "ix_products_created_at" for a in s["shape"]["accesses"])]
    assert using, "the workload should use ix_products_created_at"
    with psycopg.connect(shopease_db, autocommit=True) as conn:
        conn.execute("DROP INDEX ix_products_created_at")
    _run(shopease_db, eager=True)
    lost = advisor("check", "--dsn", shopease_db, "--baseline", baseline, "--format", "json")
    assert lost.exit_code == 1, lost.stdout
    failing = [c for c in json.loads(lost.stdout)["changes"] if c["failing"]]
    seq = [c for c in failing if c["kind"] == "index-to-seq-scan"]
    assert seq and all("ix_products_created_at -> seq scan" in c["message"] for c in seq), failing
    # every statement that read through the dropped index regressed, by scan or by cost
    assert {s["fingerprint"] for s in using} <= {c["statement"] for c in failing}, failing


def test_shopease_lazy_loading_is_a_new_n_plus_one(shopease_db, tmp_path):
    baseline = tmp_path / "baseline.json"
    record(shopease_db, baseline, traces=_run(shopease_db, eager=True))
    assert not check(shopease_db, baseline, traces=_run(shopease_db, eager=True)).failed
    report = check(shopease_db, baseline, traces=_run(shopease_db, eager=False))
    kinds = {c.kind for c in report.failures}
    assert "n-plus-one" in kinds, report.summary()
    n1 = [c for c in report.failures if c.kind == "n-plus-one"]
    assert all(c.request and c.evidence["repeats"] >= 5 for c in n1)


def test_shopease_n_plus_one_from_the_server_log(shopease_db, pg, advisor, tmp_path):
    pytest.importorskip("advisor.capture.logs")

    def logged(eager: bool):
        start = pg.log_path.stat().st_size
        _run(shopease_db, eager=eager)
        with open(pg.log_path, "rb") as log:
            log.seek(start)
            path = tmp_path / f"run-{eager}-{start}.log"
            path.write_bytes(log.read())
        return path

    baseline = tmp_path / "baseline.json"
    written = advisor("check", "--dsn", shopease_db, "--write-baseline", baseline,
                      "--log", logged(True))
    assert written.exit_code == 0, written.stderr
    lazy = advisor("check", "--dsn", shopease_db, "--baseline", baseline, "--log", logged(False),
                   "--format", "json")
    assert lazy.exit_code == 1, lazy.stdout + lazy.stderr
    assert "n-plus-one" in {c["kind"] for c in json.loads(lazy.stdout)["changes"] if c["failing"]}
