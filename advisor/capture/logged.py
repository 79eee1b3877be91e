"""The server log as workload: the statements it shows that pg_stat_statements does not have.

    >>> added, notes = logged_workload(conn, logged, known=set(), server_version_num=150000)  # doctest: +SKIP

With ``log_min_duration_statement`` set, the log names the slow statements, with their
durations: the workload Dexter reads. pg_stat_statements stays the authority where it has a
statement (its counters cover every call); the log adds what it lacks (reset since, evicted, or
not installed), each statement with the calls and time the log shows. A stderr log without
``%d`` in its prefix mixes every database's lines, and databases often share a schema (one per
tenant, staging next to production): such a log adds statements only when it is the whole
workload (no pg_stat_statements). Either way a statement naming a relation this database does
not have is another database's, and is left out with a note.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from advisor.capture.plans import plan_statements
from advisor.model import Statement


def logged_workload(conn: psycopg.Connection, logged: Sequence[Statement], known: set[str],
                    server_version_num: int, *, ours: bool = True) -> tuple[list[Statement], list[str]]:
    """(the log's statements not in ``known`` fingerprints, planned here; notes). ``ours``:
    the log's lines are this database's (it names databases, or it is the only workload)."""
    new = [s for s in logged if s.fingerprint not in known]
    if not new:
        return [], []
    if not ours:
        return [], [f"{len(new)} statement(s) from the server log not added to the workload: the "
                    "log does not name databases (no %d in log_line_prefix), and pg_stat_statements "
                    "does not know them here"]
    plan_statements(conn, new, server_version_num)
    elsewhere = [s for s in new if s.plan is None and _missing_relation(s.plan_error)]
    added = [s for s in new if s not in elsewhere]
    notes = []
    if added:
        notes.append(f"{len(added)} statement(s) from the server log added to the workload "
                     "(not in pg_stat_statements), with the calls and durations the log shows")
    if elsewhere:
        notes.append(f"{len(elsewhere)} statement(s) from the server log left out: they name "
                     "relations this database does not have (another database's, in a shared log)")
    return added, notes


def _missing_relation(error: str | None) -> bool:
    return bool(error) and error.startswith("relation ") and "does not exist" in error


__all__ = ["logged_workload"]
