"""The workload as pg_stat_statements saw it, for the current database.

The view's columns differ between versions (13: ``total_exec_time`` and planning columns; 14:
``toplevel``; 17: ``shared_blk_read_time``), so the columns are read from the catalog first and
only those present are selected. Rows of the same statement (several roles, or a text that
normalises alike) are merged by fingerprint. Only top-level statements count when the view
tells (``toplevel``), so a statement is not counted twice through a function or EXPLAIN.
"""

from __future__ import annotations

import math

import psycopg
from psycopg import sql

from advisor.capture.checks import HIDDEN_QUERY, check_privilege
from advisor.capture.filters import is_workload
from advisor.model import Statement

# Statement field -> candidate view columns, newest name first.
COLUMNS = {
    "total_time_ms": ("total_exec_time", "total_time"),
    "mean_time_ms": ("mean_exec_time", "mean_time"),
    "stddev_time_ms": ("stddev_exec_time", "stddev_time"),
    "rows": ("rows",),
    "shared_blks_hit": ("shared_blks_hit",),
    "shared_blks_read": ("shared_blks_read",),
    "shared_blks_dirtied": ("shared_blks_dirtied",),
    "shared_blks_written": ("shared_blks_written",),
    "local_blks_hit": ("local_blks_hit",),
    "local_blks_read": ("local_blks_read",),
    "temp_blks_read": ("temp_blks_read",),
    "temp_blks_written": ("temp_blks_written",),
}
_SUMMED = [f for f in COLUMNS if f not in ("mean_time_ms", "stddev_time_ms")]


def view_columns(conn: psycopg.Connection, schema: str) -> set[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped", (f"{sql.Identifier(schema).as_string(conn)}.pg_stat_statements",))
    return {r[0] for r in rows}


def read_statements(conn: psycopg.Connection, schema: str, *, top: int | None = None,
                    min_calls: int = 1, seen: set[str] | None = None) -> list[Statement]:
    """The workload's statements, most total time first; ``seen`` gets the fingerprint of every
    one, those ``top`` and ``min_calls`` leave out included."""
    present = view_columns(conn, schema)
    picked = {field: next((c for c in names if c in present), None) for field, names in COLUMNS.items()}
    select = [sql.SQL("queryid::text"), sql.SQL("query"), sql.SQL("calls")]
    select += [sql.Identifier(col) if col else sql.SQL("0") for col in picked.values()]
    select.append(sql.SQL("total_plan_time" if "total_plan_time" in present and "plans" in present
                          else "NULL::float8"))
    select.append(sql.SQL("plans" if "plans" in present else "0"))
    where = [sql.SQL("dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")]
    if "toplevel" in present:
        where.append(sql.SQL("toplevel"))
    query = sql.SQL("SELECT {} FROM {}.pg_stat_statements WHERE {}").format(
        sql.SQL(", ").join(select), sql.Identifier(schema), sql.SQL(" AND ").join(where))
    rows = conn.execute(query).fetchall()
    check_privilege(sum(1 for r in rows if r[1] is None or r[1] == HIDDEN_QUERY))
    merged: dict[str, Statement] = {}
    for row in rows:
        statement = _statement(row, list(picked))
        if not is_workload(statement.query):
            continue
        known = merged.get(statement.fingerprint)
        merged[statement.fingerprint] = _merge(known, statement) if known else statement
    if seen is not None:
        seen.update(merged)
    chosen = [s for s in merged.values() if s.calls >= min_calls]
    chosen.sort(key=lambda s: (-s.total_time_ms, s.fingerprint))
    return chosen[:top] if top else chosen


def _statement(row, fields: list[str]) -> Statement:
    queryid, query, calls, *values = row
    *metrics, plan_time, plans = values
    statement = Statement(query=query, queryid=queryid, calls=int(calls))
    for field, value in zip(fields, metrics, strict=True):
        kind = type(getattr(statement, field))
        setattr(statement, field, kind(value or 0))
    statement.total_plan_time_ms = float(plan_time) if plan_time is not None and plans else None
    return statement


def _merge(a: Statement, b: Statement) -> Statement:
    """One statement from two rows: sums, and the pooled mean and standard deviation."""
    calls = a.calls + b.calls
    mean = (a.total_time_ms + b.total_time_ms) / calls if calls else 0.0
    square = sum(s.calls * (s.stddev_time_ms ** 2 + s.mean_time_ms ** 2) for s in (a, b))
    for field in _SUMMED:
        setattr(a, field, getattr(a, field) + getattr(b, field))
    if b.total_plan_time_ms is not None:
        a.total_plan_time_ms = (a.total_plan_time_ms or 0.0) + b.total_plan_time_ms
    a.calls, a.mean_time_ms = calls, mean
    a.stddev_time_ms = math.sqrt(max(square / calls - mean ** 2, 0.0)) if calls else 0.0
    return a
