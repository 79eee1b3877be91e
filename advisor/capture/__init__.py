"""Capture: a live database (and its server log) -> Snapshot.

    >>> snapshot = capture("postgresql://app@db/shop", top=50, logs=[Path("postgresql.log")])  # doctest: +SKIP

The recipe: connect read-only; check the server and pg_stat_statements; read the statements, the
settings and the catalog; plan every statement (generic plans); read traces from the server logs,
and the statements they show that pg_stat_statements lacks (``logged.py``); optionally EXPLAIN
ANALYZE the SELECTs. Everything happens in one read-only transaction, with ``statement_timeout``
and ``lock_timeout``, as application 'advisor'. The one write is the explicit ``reset=True``:
``pg_stat_statements_reset()`` after reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path

import psycopg

from advisor.capture.catalog import read_catalog, read_pgss_stats_reset
from advisor.capture.checks import check_server_version, pgss_schema
from advisor.capture.logged import add_logged
from advisor.capture.logs import read_log, read_traces
from advisor.capture.plans import explain_generic, plan_statements, unplanned_notes
from advisor.capture.settings import read_settings
from advisor.capture.statements import read_statements
from advisor.db import connect, session
from advisor.model import Snapshot, Trace

__all__ = ["capture", "explain_generic", "plan_statements", "read_traces"]


def capture(dsn: str, *, top: int | None = None, min_calls: int = 1, analyze_plans: bool = False,
            logs: Sequence[Path] = (), reset: bool = False,
            on_progress: Callable[[int, int], None] | None = None,
            log_line_prefix: str | None = None) -> Snapshot:
    """A Snapshot of the database at ``dsn``: statements, catalog, plans and log traces."""
    with session(dsn) as conn:
        in_pgss: set[str] = set()  # every statement's, those --top and --min-calls leave out too
        snapshot = _read(conn, top=top, min_calls=min_calls, seen=in_pgss)
        schema = snapshot.settings.pop("_pgss_schema")
        plan_statements(conn, snapshot.statements, snapshot.server_version_num, on_progress)
        if logs:
            logged = read_log(logs, database=snapshot.database, log_line_prefix=log_line_prefix)
            add_logged(conn, snapshot, logged, in_pgss, ours=logged.names_databases)
            snapshot.traces += _ours(logged.traces, snapshot)
        snapshot.notes += unplanned_notes(snapshot.statements)
        if analyze_plans:
            from advisor.capture.samples import analyze_plans as run_analyze

            run_analyze(conn, snapshot.statements, snapshot.catalog, snapshot.traces,
                        snapshot.notes)
        conn.rollback()
    if reset:
        _reset(dsn, schema)
        snapshot.notes.append("pg_stat_statements was reset after this capture (--reset)")
    return snapshot


def _read(conn: psycopg.Connection, *, top: int | None, min_calls: int, seen: set[str]) -> Snapshot:
    version_num = conn.info.server_version
    version = conn.execute("SHOW server_version").fetchone()[0]
    check_server_version(version_num, version)
    schema = pgss_schema(conn)
    notes: list[str] = []
    # the server's clock, to the microsecond: the window runs from its statistics reset to now,
    # and a client clock that is off (or seconds cut off) would shorten or lose it
    now = conn.execute("SELECT pg_catalog.clock_timestamp()").fetchone()[0]
    snapshot = Snapshot(created_at=now.astimezone(UTC).isoformat(),
                        database=conn.info.dbname, server_version=version,
                        server_version_num=version_num, settings=read_settings(conn),
                        notes=notes)
    snapshot.statements = read_statements(conn, schema, top=top, min_calls=min_calls, seen=seen)
    snapshot.catalog = read_catalog(conn, notes)
    snapshot.catalog.pgss_stats_reset = read_pgss_stats_reset(conn, schema)
    snapshot.settings["_pgss_schema"] = schema
    return snapshot


def _ours(traces: list[Trace], snapshot: Snapshot) -> list[Trace]:
    """The traces of this database: a stderr log without %d mixes every database's lines, so a
    trace counts when one of its statements is one pg_stat_statements saw here."""
    known = {s.fingerprint for s in snapshot.statements}
    kept = [t for t in traces if any(e.fingerprint in known for e in t.events)]
    if len(kept) < len(traces):
        snapshot.notes.append(f"{len(traces) - len(kept)} log trace(s) left out: none of their "
                              "statements was seen in this database")
    return kept


def _reset(dsn: str, schema: str) -> None:
    with connect(dsn, readonly=False, autocommit=True) as conn:
        conn.execute(f'SELECT "{schema}".pg_stat_statements_reset()')
