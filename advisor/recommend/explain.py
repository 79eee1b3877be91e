"""EXPLAIN of one statement, its generic plan when it has ``$n`` parameters.

    >>> parameter_count("SELECT * FROM t WHERE a = $1 AND b > $12")
    12

PostgreSQL 16+ ``EXPLAIN (GENERIC_PLAN)``; before that PREPARE with unknown parameter types,
``plan_cache_mode = force_generic_plan`` and ``EXPLAIN EXECUTE`` with NULLs (nothing is written).
Not ``advisor.capture.plans.explain_generic``: on the what-if session's autocommit connection its
savepoint-wrapped PREPARE fails ("prepared statement ... does not exist"), and statements without
parameters need one plain EXPLAIN round trip here, not four.
"""

from __future__ import annotations

import itertools
import re

import psycopg

from advisor.errors import AdvisorError

_PARAM = re.compile(r"\$(\d+)")
_names = itertools.count()


GENERIC_PLAN_VERSION = 160000


def parameter_count(sql: str) -> int:
    return max((int(n) for n in _PARAM.findall(sql)), default=0)


def explain_json(conn, sql: str, server_version_num: int) -> dict:
    """The root plan node (``[0]["Plan"]``) of the statement's (generic) plan."""
    if not parameter_count(sql):  # a plain EXPLAIN: one round trip
        return plan_root(conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0])
    try:
        return plan_root(_explain_generic(conn, sql, server_version_num))
    except psycopg.Error as exc:
        raise ExplainFailed(f"cannot plan: {str(exc).splitlines()[0]}") from None


def send_explain(conn, sql: str, server_version_num: int):
    """Send the EXPLAIN of ``sql``'s (generic) plan without waiting (pipeline mode): its cursor,
    whose ``fetchone()[0]`` is the JSON. Before PostgreSQL 16 a ``$n`` statement is prepared and
    explained under the session's ``plan_cache_mode = force_generic_plan``, set by the caller, who
    also deallocates the statements (``DEALLOCATE ALL`` after the batch)."""
    count = parameter_count(sql)
    if not count:
        return conn.execute(f"EXPLAIN (FORMAT JSON) {sql}")
    if server_version_num >= GENERIC_PLAN_VERSION:
        return conn.execute(f"EXPLAIN (FORMAT JSON, GENERIC_PLAN) {sql}")
    name = f"advisor_whatif_{next(_names)}"
    conn.execute(f"PREPARE {name} AS {sql}")
    return conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({', '.join(['NULL'] * count)})")


class ExplainFailed(AdvisorError):
    """The statement could not be planned (syntax, missing table, timeout)."""


def plan_root(result) -> dict:
    """``[{"Plan": ...}]``, ``{"Plan": ...}`` or the node itself -> the node."""
    if isinstance(result, list):
        result = result[0]
    if isinstance(result, dict) and "Plan" in result:
        return result["Plan"]
    return result


def _explain_generic(conn, sql: str, server_version_num: int) -> dict:
    count = parameter_count(sql)
    if not count:
        return conn.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchone()[0]
    if server_version_num >= GENERIC_PLAN_VERSION:
        return conn.execute(f"EXPLAIN (FORMAT JSON, GENERIC_PLAN) {sql}").fetchone()[0]
    name = f"advisor_whatif_{next(_names)}"
    conn.execute(f"PREPARE {name} AS {sql}")
    try:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        nulls = ", ".join(["NULL"] * count)
        return conn.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {name}({nulls})").fetchone()[0]
    finally:
        conn.execute(f"DEALLOCATE {name}")
        conn.execute("RESET plan_cache_mode")
