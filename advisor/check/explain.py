"""Generic plans for the check, through capture's ``explain_generic``, optionally with some
``enable_*`` planner settings off (to price the alternative the planner did not choose).

    >>> generic_plan(conn, "SELECT * FROM t WHERE a = $1", disable=DISABLE_SEQ)  # doctest: +SKIP
"""

from __future__ import annotations

import psycopg

from advisor.capture.plans import explain_generic

DISABLE_INDEXES = ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan", "enable_tidscan")
DISABLE_SEQ = ("enable_seqscan",)


class PlanError(Exception):
    """The statement cannot be explained; the message says why."""


def generic_plan(conn: psycopg.Connection, query: str, disable: tuple[str, ...] = ()) -> dict:
    """The ``Plan`` of ``query``'s generic plan, with the ``enable_*`` settings in ``disable`` off."""
    with conn.transaction(force_rollback=True):  # SET LOCAL ends with it
        for setting in disable:
            conn.execute(f"SET LOCAL {setting} = off")
        plan, error = explain_generic(conn, query, conn.info.server_version)
    if plan is None:
        raise PlanError(error or "no plan")
    return plan
