"""Observe a database's workload as the check sees it: one ``StatementRecord`` per statement.

The statements (with pg_stat_statements timings) and traces come from ``advisor.capture``; the
check adds what it compares: the plan shape and cost of each statement's generic plan, and
whether that plan is *unstable*: planned twice, it changed, or the cheapest alternative path
(the chosen scans disabled) costs within ``tie_pct`` of it, so a tiny change of statistics could
flip it. Unstable plans are reported, never failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from advisor.check.baseline import Baseline, StatementRecord
from advisor.check.explain import DISABLE_INDEXES, DISABLE_SEQ, PlanError, generic_plan
from advisor.check.requests import request_profile
from advisor.check.settings import CheckSettings
from advisor.check.shape import Shape, plan_shape
from advisor.db import describe, session
from advisor.errors import AdvisorError
from advisor.model import Snapshot, Statement, Trace

_WORKLOAD = re.compile(r"^\s*(select|insert|update|delete|with|values|table)\b", re.I)
_SYSTEM = re.compile(r"\b(pg_catalog\.|information_schema\.|(from|join)\s+pg_\w+)|"
                     r"^\s*select\s+pg_\w+\s*\(", re.I)  # catalog reads, admin calls

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
    snapshot = _snapshot(dsn, logs)
    if app_traces:
        snapshot.traces += _optional("advisor.trace", "load", "--trace")(app_traces)
    snapshot.traces += list(traces)
    statements = sorted((s for s in snapshot.statements if is_workload(s.query)),
                        key=lambda s: s.fingerprint)
    with session(dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        records = []
        for done, statement in enumerate(statements, 1):
            records.append(_record(conn, statement, timings, settings))
            if on_progress:
                on_progress(done, len(statements))
        tables = _table_rows(conn, [r.shape for r in records if r.shape])
    return Baseline(created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    database=describe(dsn), server_version=version, timings=timings,
                    traced=bool(logs or app_traces or traces), tables=tables, statements=records,
                    requests=request_profile(snapshot.traces,
                                                            settings.n_plus_one_repeats), notes=list(snapshot.notes))


def is_workload(query: str) -> bool:
    """Plannable statements of the application (not catalog look-ups, not utility commands)."""
    return bool(_WORKLOAD.match(query)) and not _SYSTEM.search(query)


def _record(conn: psycopg.Connection, statement: Statement, timings: bool,
            settings: CheckSettings) -> StatementRecord:
    record = StatementRecord(fingerprint=statement.fingerprint, query=statement.query)
    if timings:
        record.calls = statement.calls
        record.mean_time_ms = round(statement.mean_time_ms, 4)
        record.stddev_time_ms = round(statement.stddev_time_ms, 4)
    try:
        first = plan_shape(generic_plan(conn, statement.query))
        second = plan_shape(generic_plan(conn, statement.query))
    except PlanError as exc:
        record.plan_error = str(exc)
        return record
    record.shape = plan_shape(statement.plan) if statement.plan else first
    record.unstable = _instability(conn, statement.query, first, second, settings)
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


def _table_rows(conn: psycopg.Connection, shapes: list[Shape]) -> dict[str, float]:
    names = sorted({a.relation for s in shapes for a in s.accesses})
    if not names:
        return {}
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname, greatest(c.reltuples, 0)::float8 "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname || '.' || c.relname = ANY(%s)", (names,)).fetchall()
    conn.rollback()
    return {name: float(count) for name, count in sorted(rows)}


def _snapshot(dsn: str, logs: Sequence[Path]) -> Snapshot:
    try:
        from advisor.capture import capture
    except ImportError:
        return _statements_only(dsn, logs)
    return capture(dsn, logs=logs)


def _statements_only(dsn: str, logs: Sequence[Path]) -> Snapshot:
    """Until capture lands: pg_stat_statements rows of the current database, no catalog."""
    if logs:
        _optional("advisor.capture.logs", "read_traces", "--log")
    with session(dsn) as conn:
        rows = conn.execute(
            "SELECT query, queryid::text, calls, mean_exec_time, stddev_exec_time "
            "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) AND toplevel").fetchall()
    merged: dict[str, Statement] = {}
    for query, queryid, calls, mean, stddev in rows:
        s = Statement(query=query, queryid=queryid, calls=calls, mean_time_ms=mean,
                      stddev_time_ms=stddev)
        if s.fingerprint not in merged or merged[s.fingerprint].calls < calls:
            merged[s.fingerprint] = s
    return Snapshot(statements=list(merged.values()))


def _optional(module: str, name: str, option: str):
    """A function of another stage, or a clear error when this installation lacks it."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        raise AdvisorError(f"{option} needs {module}.{name}, which this advisor lacks") from None
