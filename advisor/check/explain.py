"""Generic plans of normalised statements (``$1`` parameters), as capture makes them.

On PostgreSQL 16+ this is ``EXPLAIN (GENERIC_PLAN)``; on 15 the statement is prepared and its
generic plan explained with NULL parameters (``plan_cache_mode = force_generic_plan``). Each
statement runs in its own read-only transaction, rolled back, so one failure spoils nothing.
"""

from __future__ import annotations

import json

import psycopg

_NAME = "advisor_check_stmt"
DISABLE_INDEXES = ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan", "enable_tidscan")
DISABLE_SEQ = ("enable_seqscan",)


class PlanError(Exception):
    """The statement cannot be explained; the message says why."""


def generic_plan(conn: psycopg.Connection, query: str, disable: tuple[str, ...] = ()) -> dict:
    """The ``Plan`` of ``query``'s generic plan, with the ``enable_*`` settings in ``disable`` off."""
    try:
        with conn.transaction(force_rollback=True):
            for setting in disable:
                conn.execute(f"SET LOCAL {setting} = off")
            if conn.info.server_version >= 160000:
                row = conn.execute(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {query}").fetchone()
            else:
                row = _prepared_plan(conn, query)
    except psycopg.Error as exc:
        _forget(conn)
        raise PlanError(str(exc).strip().splitlines()[0]) from None
    document = row[0] if not isinstance(row[0], str) else json.loads(row[0])
    return document[0]["Plan"]


def _prepared_plan(conn: psycopg.Connection, query: str):
    conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    conn.execute(f"PREPARE {_NAME} AS {query}")
    (types,) = conn.execute("SELECT parameter_types::text[] FROM pg_prepared_statements "
                            "WHERE name = %s", (_NAME,)).fetchone()
    args = ", ".join(f"NULL::{t}" for t in types or [])
    row = conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {_NAME}" +
                       (f"({args})" if args else "")).fetchone()
    conn.execute(f"DEALLOCATE {_NAME}")
    return row


def _forget(conn: psycopg.Connection) -> None:
    """Prepared statements outlive a rolled-back transaction: drop ours after a failure."""
    try:
        if conn.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s",
                        (_NAME,)).fetchone():
            conn.execute(f"DEALLOCATE {_NAME}")
    except psycopg.Error:
        conn.rollback()
