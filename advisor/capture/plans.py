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
BATCH = 100  # statements planned in one round trip
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
    """Fill ``plan`` / ``plan_error`` of each statement in place; the number planned.

    Statements go ``BATCH`` at a time in one round trip (pipeline mode) inside a savepoint that is
    rolled back; when one of a batch fails, the batch is planned again one statement at a time
    (``explain_generic``), so each failure is its own and ends nothing else."""
    total = len(statements)
    plannable = [s for s in statements if not is_utility(s.query)]
    for s in statements:
        if is_utility(s.query):
            s.plan, s.plan_error = None, UTILITY_REASON
    done = total - len(plannable)
    for start in range(0, len(plannable), BATCH):
        batch = plannable[start:start + BATCH]
        plans = _plan_batch(conn, [s.query for s in batch], server_version_num)
        for statement, plan in zip(batch, plans or [None] * len(batch), strict=True):
            if plans is None:
                statement.plan, statement.plan_error = explain_generic(conn, statement.query,
                                                                       server_version_num)
            else:
                statement.plan, statement.plan_error = plan, None
            done += 1
            if on_progress:
                on_progress(done, total)
    return sum(1 for s in statements if s.plan is not None)



def unplanned_notes(statements: Sequence[Statement]) -> list[str]:
    """A note per statement the server could not plan, with its error; a utility statement
    (BEGIN, SET, DDL) has no plan by nature and gets none."""
    return [f"no plan for {s.fingerprint} ({s.query[:80]!r}): {s.plan_error}"
            for s in statements if s.plan is None and s.plan_error != UTILITY_REASON]

def _plan_batch(conn: psycopg.Connection, queries: list[str], server_version_num: int) -> list[dict] | None:
    """The plan of each query, in one round trip; None when any of them failed (the savepoint
    is then rolled back and the prepared statements deallocated)."""
    if not queries or conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        return None
    generic = server_version_num >= GENERIC_PLAN_VERSION
    names = [f"{_NAME}_{next(_counter)}" for _ in queries]
    cursors, prepared = [], []
    try:
        with conn.pipeline():
            conn.execute("SAVEPOINT advisor_plans")
            conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            for sql, name in zip(queries, names, strict=True):
                count = max((int(n) for n in _PARAM.findall(sql)), default=0)
                if generic or not count:
                    cursors.append(conn.execute(f"EXPLAIN ({'GENERIC_PLAN, ' if generic and count else ''}"
                                                f"FORMAT JSON) {sql}"))
                    continue
                conn.execute(f"PREPARE {name} AS {sql}")
                prepared.append(name)
                cursors.append(conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}"
                                            f"({', '.join(['NULL'] * count)})"))
            conn.execute("ROLLBACK TO SAVEPOINT advisor_plans")  # undoes the SET LOCAL
            conn.execute("RELEASE SAVEPOINT advisor_plans")
            for name in prepared:  # PREPARE is not transactional
                conn.execute(f"DEALLOCATE {name}")
    except psycopg.Error:
        conn.execute("ROLLBACK TO SAVEPOINT advisor_plans")
        conn.execute("RELEASE SAVEPOINT advisor_plans")
        for (name,) in conn.execute("SELECT name FROM pg_prepared_statements WHERE name = ANY(%s)",
                                    (prepared,)).fetchall():
            conn.execute(f"DEALLOCATE {name}")
        return None
    return [_root(c.fetchone()[0]) for c in cursors]


def _root(document) -> dict:
    document = json.loads(document) if isinstance(document, str) else document
    return document[0]["Plan"]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
