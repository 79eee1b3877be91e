"""The server log as workload: the statements it shows that pg_stat_statements does not have.

    >>> added = add_logged(conn, snapshot, read_log([Path("slow.log")]), known=set(), ours=True)  # doctest: +SKIP

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

import psycopg

from advisor.capture.logs import LogRead
from advisor.capture.plans import plan_statements
from advisor.model import Snapshot, Statement


def add_logged(conn: psycopg.Connection, snapshot: Snapshot, logged: LogRead, known: set[str], *,
               ours: bool) -> list[Statement]:
    """Add to ``snapshot`` the log's statements not in ``known`` fingerprints, planned here, with
    the log's span and a note of what was added or left out; the statements added. ``ours``:
    the log's lines are this database's (it names databases, or it is the only workload)."""
    added, notes = _planned_here(conn, [s for s in logged.statements if s.fingerprint not in known], ours)
    if added:
        snapshot.statements = sorted(snapshot.statements + added, key=lambda s: -s.total_time_ms)
        snapshot.log_window = logged.window()
    snapshot.notes += notes
    return added


def _planned_here(conn: psycopg.Connection, new: list[Statement], ours: bool) -> tuple[list[Statement], list[str]]:
    if not new:
        return [], []
    if not ours:
        return [], [f"{len(new)} statement(s) from the server log not added to the workload: the "
                    "log does not name databases (no %d in log_line_prefix), and pg_stat_statements "
                    "does not know them here"]
    plan_statements(conn, new, conn.info.server_version)
    elsewhere = {id(s) for s in new if s.plan is None and _missing_relation(s.plan_error)}
    added = [s for s in new if id(s) not in elsewhere]
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


__all__ = ["add_logged"]
