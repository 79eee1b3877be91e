"""Observe a database's workload as the check sees it: one ``StatementRecord`` per statement.

The statements (with pg_stat_statements timings) and traces come from ``advisor.capture``; the
check adds what it compares: the plan shape and cost of each statement's generic plan, and
whether that plan is *unstable*: planned twice, it changed, or the cheapest alternative path
(the chosen scans disabled) costs within ``tie_pct`` of it, so a tiny change of statistics could
flip it. Unstable plans are reported, never failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from advisor.capture import capture
from advisor.capture.filters import is_workload
from advisor.check.baseline import Baseline, StatementRecord
from advisor.check.explain import DISABLE_INDEXES, DISABLE_SEQ, PlanError, generic_plan
from advisor.check.requests import request_profile
from advisor.check.settings import CheckSettings
from advisor.check.shape import Shape, plan_shape
from advisor.db import describe, session
from advisor.model import Catalog, Statement, Trace
from advisor.trace import load as load_app_traces

Progress = Callable[[int, int], None]


def observe(dsn: str, *, logs: Sequence[Path] = (), app_traces: Sequence[Path] = (),
            traces: Sequence[Trace] = (), timings: bool = False,
            settings: CheckSettings | None = None,
            on_progress: Progress | None = None) -> Baseline:
    """What ``dsn``'s workload looks like now, in the baseline's terms.

    Traces (for queries per request) come from server ``logs``, ``app_traces`` files, or
    ``traces`` already in memory.
    """
    settings = settings or CheckSettings()
    traces = [*load_app_traces(app_traces), *traces] if app_traces else list(traces)
    snapshot = capture(dsn, logs=logs, on_progress=on_progress)
    snapshot.traces += traces
    statements = sorted((s for s in snapshot.statements if is_workload(s.query)),
                        key=lambda s: s.fingerprint)
    with session(dsn) as conn:
        records = []
        for done, statement in enumerate(statements, 1):
            records.append(_record(conn, statement, timings, settings))
            if on_progress:
                on_progress(done, len(statements))
    tables = _table_rows(snapshot.catalog, [r.shape for r in records if r.shape])
    requests = request_profile(snapshot.traces, settings.n_plus_one_repeats)
    return Baseline(created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    database=describe(dsn), server_version=snapshot.server_version,
                    timings=timings, traced=bool(logs or app_traces or traces), tables=tables,
                    statements=records, requests=requests, notes=list(snapshot.notes))


def _record(conn: psycopg.Connection, statement: Statement, timings: bool,
            settings: CheckSettings) -> StatementRecord:
    record = StatementRecord(fingerprint=statement.fingerprint, query=statement.query)
    if timings:
        record.calls = statement.calls
        record.mean_time_ms = round(statement.mean_time_ms, 4)
        record.stddev_time_ms = round(statement.stddev_time_ms, 4)
    if statement.plan is None:
        record.plan_error = statement.plan_error or "no plan"
        return record
    record.shape = plan_shape(statement.plan)
    try:
        second = plan_shape(generic_plan(conn, statement.query))
    except PlanError as exc:
        record.unstable = f"the second EXPLAIN failed: {exc}"
        return record
    record.unstable = _instability(conn, statement.query, record.shape, second, settings)
    return record


def _instability(conn: psycopg.Connection, query: str, first: Shape, second: Shape,
                 settings: CheckSettings) -> str | None:
    if first.signature() != second.signature():
        return "the chosen plan changed between two EXPLAINs of the same statement"
    if first.cost < settings.min_cost:
        return None
    for disable in (DISABLE_INDEXES, DISABLE_SEQ):
        if not _uses(first, disable):
            continue
        try:
            other = plan_shape(generic_plan(conn, query, disable=disable))
        except PlanError:
            continue
        if other.signature() != first.signature() and \
                abs(other.cost - first.cost) <= first.cost * settings.tie_pct / 100:
            scans = ", ".join(f"{a.table}: {a.describe()}" for a in other.accesses)
            return (f"an alternative plan ({scans}) costs {other.cost:.2f}, within "
                    f"{settings.tie_pct:g}% of the chosen {first.cost:.2f}")
    return None


def _uses(shape: Shape, disable: tuple[str, ...]) -> bool:
    if disable == DISABLE_SEQ:
        return any(a.scan == "seq" for a in shape.accesses)
    return any(a.uses_index for a in shape.accesses)


def _table_rows(catalog: Catalog, shapes: list[Shape]) -> dict[str, float]:
    """Planner row estimates of the tables the plans read (as the analyze rules count them)."""
    names = {a.relation for s in shapes for a in s.accesses}
    return {t.qualname: float(max(t.reltuples, t.n_live_tup)) for t in
            sorted(catalog.tables, key=lambda t: t.qualname) if t.qualname in names}

