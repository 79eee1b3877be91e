"""``--analyze-plans``: EXPLAIN (ANALYZE, BUFFERS) of SELECTs with sample parameter values.

Values come from the server log when it logged the statement (``DETAIL: parameters``), else from
the most common value pg_stats knows for the column a parameter is compared with; ``LIMIT $n``
gets 10 and ``OFFSET $n`` 0. A statement whose parameters cannot all be given a value is skipped
with a note. Each runs in a savepoint of the capture's read-only transaction, rolled back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import psycopg
from psycopg import sql

from advisor.capture.filters import first_word
from advisor.capture.plans import prepared
from advisor.model import Catalog, Statement, Trace

SAMPLE_LIMIT = "10"
SAMPLE_OFFSET = "0"
_PARAM = re.compile(r"\$(\d+)")
_COMPARED = re.compile(r"(?:\w+\.)?\"?(\w+)\"?\s*(?:=|<>|!=|<=|>=|<|>|\bLIKE\b|\bILIKE\b)\s*(?:ANY\s*\()?\$(\d+)", re.I)
_REVERSED = re.compile(r"\$(\d+)\s*(?:=|<>|!=|<=|>=|<|>)\s*(?:\w+\.)?\"?(\w+)\"?", re.I)
_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\s+\$(\d+)", re.I)


def analyze_plans(conn: psycopg.Connection, statements: Sequence[Statement], catalog: Catalog,
                  traces: Sequence[Trace], notes: list[str]) -> int:
    """Fill ``analyze_plan`` of the SELECT statements; the number analysed."""
    logged = _logged_params(traces)
    done = 0
    for statement in statements:
        if first_word(statement.query) not in ("select", "with") or statement.plan is None:
            continue
        params = logged.get(statement.fingerprint) or sample_params(statement.query, catalog)
        if params is None:
            notes.append(f"analyze-plans skipped {statement.fingerprint}: no sample value for "
                         "every parameter")
            continue
        try:
            statement.analyze_plan = _explain_analyze(conn, statement.query, params)
            done += 1
        except psycopg.Error as exc:
            notes.append(f"analyze-plans failed for {statement.fingerprint}: "
                         f"{str(exc).strip().splitlines()[0]}")
    return done


def sample_params(query: str, catalog: Catalog) -> list[str | None] | None:
    """A value for each ``$n`` of ``query``, or None when one is missing."""
    count = max((int(n) for n in _PARAM.findall(query)), default=0)
    values: dict[int, str] = {}
    for keyword, n in _LIMIT.findall(query):
        values[int(n)] = SAMPLE_LIMIT if keyword.upper() == "LIMIT" else SAMPLE_OFFSET
    pairs = [(int(n), col) for col, n in _COMPARED.findall(query)]
    pairs += [(int(n), col) for n, col in _REVERSED.findall(query)]
    for n, column in pairs:
        if n not in values:
            value = _common_value(column, query, catalog)
            if value is not None:
                values[n] = value
    if any(n not in values for n in range(1, count + 1)):
        return None
    return [values[n] for n in range(1, count + 1)]


def _common_value(column: str, query: str, catalog: Catalog) -> str | None:
    lowered = query.lower()
    for table in catalog.tables:
        if table.name.lower() not in lowered:
            continue
        found = table.column(column)
        if found and found.stats and found.stats.most_common_vals:
            return found.stats.most_common_vals[0]
    return None


def _logged_params(traces: Sequence[Trace]) -> dict[str, list[str | None]]:
    params: dict[str, list[str | None]] = {}
    for trace in traces:
        for event in trace.events:
            if event.params and event.fingerprint not in params:
                params[event.fingerprint] = event.params
    return params


def _explain_analyze(conn: psycopg.Connection, query: str, params: list[str | None]) -> dict:
    with prepared(conn, query) as name:
        args = sql.SQL(", ").join(sql.Literal(p) for p in params)
        explain = sql.SQL("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE {}").format(
            sql.Identifier(name))
        if params:
            explain = sql.SQL("{}({})").format(explain, args)
        row = conn.execute(explain).fetchone()
    document = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    return document[0]["Plan"]
