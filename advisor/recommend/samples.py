"""Cost statements with the parameter values the workload really uses.

    >>> bind("SELECT * FROM orders WHERE status = $1::VARCHAR LIMIT $2", ["pending", "50"])
    "SELECT * FROM orders WHERE status = 'pending'::VARCHAR LIMIT '50'"

A generic plan prices ``status = $1`` at the average selectivity, so an index for the rare value
the application always asks for ('pending': 2% of the rows) looks useless. When traces carry the
values, each statement is priced with its most frequent set of values instead (PostgreSQL itself
plans the first executions of a prepared statement with the values, too).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from advisor.model import Trace

_PARAM = re.compile(r"\$(\d+)\b")


def typical_parameters(traces: Iterable[Trace]) -> dict[str, list[str | None]]:
    """Per fingerprint, the most frequent list of parameter values seen in the traces."""
    seen: dict[str, Counter] = {}
    for trace in traces:
        for event in trace.events:
            if event.params:
                seen.setdefault(event.fingerprint, Counter())[tuple(event.params)] += 1
    return {fp: list(counts.most_common(1)[0][0]) for fp, counts in seen.items()}


def bind(sql: str, params: list[str | None]) -> str | None:
    """``sql`` with ``$n`` replaced by the n-th value as a literal; None if a value is missing."""
    def literal(match: re.Match) -> str:
        n = int(match.group(1))
        if n > len(params):
            raise IndexError(n)
        value = params[n - 1]
        return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"

    try:
        return _PARAM.sub(literal, sql)
    except IndexError:
        return None
