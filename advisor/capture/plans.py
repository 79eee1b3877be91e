"""Generic plans of normalised statements (``$n`` parameters), one failure never spoiling the rest.

    >>> plan, error = explain_generic(conn, "SELECT * FROM orders WHERE user_id = $1", 150000)  # doctest: +SKIP
    >>> plan["Node Type"]                                                                       # doctest: +SKIP
    'Seq Scan'

PostgreSQL 16+ has ``EXPLAIN (GENERIC_PLAN)``. Before that the statement is prepared (the server
infers its parameter types) and ``EXPLAIN EXECUTE`` runs it with NULLs under
``plan_cache_mode = force_generic_plan``, which plans without looking at the values. Each
statement runs inside its own savepoint, rolled back: an error or a lock timeout ends only that
statement. Utility statements (BEGIN, SET, DDL, ...) are not planned; the reason is recorded.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg

from advisor.capture.filters import is_utility
from advisor.model import Statement

GENERIC_PLAN_VERSION = 160000
UTILITY_REASON = "utility statement: not planned"
_NAME = "advisor_generic"
_PARAM = re.compile(r"\$(\d+)")
_counter = itertools.count(1)


def explain_generic(conn: psycopg.Connection, sql: str,
                    server_version_num: int) -> tuple[dict | None, str | None]:
    """The top ``Plan`` node of ``sql``'s generic plan, or None and the reason it failed."""
    if is_utility(sql):
        return None, UTILITY_REASON
    try:
        if server_version_num >= GENERIC_PLAN_VERSION:
            with conn.transaction(force_rollback=True):
                row = conn.execute(f"EXPLAIN (GENERIC_PLAN, FORMAT JSON) {sql}").fetchone()
        else:
            row = _explain_prepared(conn, sql)
    except psycopg.errors.LockNotAvailable as exc:
        return None, f"lock timeout: {_first_line(exc)}"
    except psycopg.errors.QueryCanceled as exc:
        return None, f"timeout: {_first_line(exc)}"
    except psycopg.Error as exc:
        return None, _first_line(exc)
    document = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return document[0]["Plan"], None


def _explain_prepared(conn: psycopg.Connection, sql: str):
    count = max((int(n) for n in _PARAM.findall(sql)), default=0)
    args = f"({', '.join(['NULL'] * count)})" if count else ""
    with prepared(conn, sql, setup="SET LOCAL plan_cache_mode = force_generic_plan") as name:
        return conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}{args}").fetchone()


@contextmanager
def prepared(conn: psycopg.Connection, sql: str, setup: str | None = None) -> Iterator[str]:
    """``sql`` prepared inside a savepoint that is rolled back; deallocated after (PREPARE is
    not transactional). Yields the statement's name."""
    name = f"{_NAME}_{next(_counter)}"
    made = False
    try:
        with conn.transaction(force_rollback=True):
            if setup:
                conn.execute(setup)
            conn.execute(f"PREPARE {name} AS {sql}")
            made = True
            yield name
    finally:
        if made:
            with conn.transaction():
                conn.execute(f"DEALLOCATE {name}")


def plan_statements(conn: psycopg.Connection, statements: Sequence[Statement],
                    server_version_num: int,
                    on_progress: Callable[[int, int], None] | None = None) -> int:
    """Fill ``plan`` / ``plan_error`` of each statement in place; the number planned."""
    planned = 0
    total = len(statements)
    for done, statement in enumerate(statements, start=1):
        statement.plan, statement.plan_error = explain_generic(conn, statement.query,
                                                               server_version_num)
        planned += statement.plan is not None
        if on_progress:
            on_progress(done, total)
    return planned


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
