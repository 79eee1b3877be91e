"""``--analyze-plans``: EXPLAIN (ANALYZE, BUFFERS) of SELECTs with sample parameter values.

Values come from the server log when it logged the statement (``DETAIL: parameters``), else from
the most common value pg_stats knows for the column a parameter is compared with (for a
unique key, which has none, one value read from the table); ``LIMIT $n``
gets 10 and ``OFFSET $n`` 0. A statement whose parameters cannot all be given a value is skipped
with a note. Each runs in a savepoint of the capture's read-only transaction, rolled back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

import psycopg
from psycopg import sql

from advisor.capture.filters import first_word
from advisor.capture.plans import prepared
from advisor.model import Catalog, Statement, Trace

SAMPLE_LIMIT = "10"
SAMPLE_OFFSET = "0"
_PARAM = re.compile(r"\$(\d+)")
_OP = r"(?:=|<>|!=|<=|>=|<|>|\bLIKE\b|\bILIKE\b)"
_COMPARED = re.compile(r"(?:\w+\.)?\"?(\w+)\"?\)?\s*" + _OP +
                       r"\s*(?:\w+\s*\()?\s*(?:ANY\s*\()?\$(\d+)", re.I)
_REVERSED = re.compile(r"\$(\d+)(?:::\w+)?\s*" + _OP + r"\s*(?:\w+\.)?\"?(\w+)\"?", re.I)
_IN_LIST = re.compile(r"(?:\w+\.)?\"?(\w+)\"?\s+IN\s*\(([^()]*)\)", re.I)
_LIMIT = re.compile(r"\b(LIMIT|OFFSET)\s+\$(\d+)", re.I)


def analyze_plans(conn: psycopg.Connection, statements: Sequence[Statement], catalog: Catalog,
                  traces: Sequence[Trace], notes: list[str]) -> int:
    """Fill ``analyze_plan`` of the SELECT statements; the number analysed."""
    logged = _logged_params(traces)
    done = 0
    for statement in statements:
        if first_word(statement.query) not in ("select", "with") or statement.plan is None:
            continue
        params = logged.get(statement.fingerprint) or sample_params(
            statement.query, catalog, lambda table, column: _live_value(conn, table, column))
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


def sample_params(query: str, catalog: Catalog,
                  live: Callable[[str, str], str | None] | None = None) -> list[str | None] | None:
    """A value for each ``$n`` of ``query``, or None when one is missing.

    ``live(table, column)`` is asked for a value when pg_stats has no common one (unique keys).
    """
    count = max((int(n) for n in _PARAM.findall(query)), default=0)
    values: dict[int, str] = {}
    for keyword, n in _LIMIT.findall(query):
        values[int(n)] = SAMPLE_LIMIT if keyword.upper() == "LIMIT" else SAMPLE_OFFSET
    pairs = [(int(n), col) for col, n in _COMPARED.findall(query)]
    pairs += [(int(n), col) for n, col in _REVERSED.findall(query)]
    for column, listed in _IN_LIST.findall(query):
        pairs += [(int(n), column) for n in _PARAM.findall(listed)]
    for n, column in pairs:
        if n not in values:
            value = _common_value(column, query, catalog, live)
            if value is not None:
                values[n] = value
    if any(n not in values for n in range(1, count + 1)):
        return None
    return [values[n] for n in range(1, count + 1)]


def _common_value(column: str, query: str, catalog: Catalog, live) -> str | None:
    words = set(re.findall(r"\w+", query.lower()))
    tables = [t for t in catalog.tables if t.name.lower() in words and t.column(column)]
    for table in tables:
        stats = table.column(column).stats
        if stats and stats.most_common_vals:
            return stats.most_common_vals[0]
    for table in tables if live else ():
        value = live(table.qualname, column)
        if value is not None:
            return value
    return None


def _live_value(conn: psycopg.Connection, table: str, column: str) -> str | None:
    """One value of ``column`` read from the table (for keys pg_stats keeps no common value of)."""
    schema, name = table.split(".", 1)
    query = sql.SQL("SELECT {col}::text FROM {schema}.{name} WHERE {col} IS NOT NULL LIMIT 1").format(
        col=sql.Identifier(column), schema=sql.Identifier(schema), name=sql.Identifier(name))
    try:
        with conn.transaction():
            row = conn.execute(query).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


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
