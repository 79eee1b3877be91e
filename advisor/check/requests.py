"""Queries per request, from traces: how many statements each kind of request runs.

    >>> from advisor.model import Trace, TraceEvent
    >>> t = Trace(id="1", source="app", label="GET /orders",
    ...           events=[TraceEvent("SELECT * FROM orders")] +
    ...                  [TraceEvent(f"SELECT * FROM items WHERE order_id = {i}") for i in range(6)])
    >>> r = request_profile([t], min_repeats=5)[0]
    >>> r.label, r.max_queries, list(r.repeats.values()), list(r.n_plus_one.values())
    ('GET /orders', 7, [6], [6])
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from advisor.check.baseline import RequestRecord
from advisor.check.nplusone import UNLABELLED, n_plus_one_patterns
from advisor.check.settings import CheckSettings
from advisor.model import Trace


def request_profile(traces: Iterable[Trace],
                    min_repeats: int = CheckSettings.n_plus_one_repeats) -> list[RequestRecord]:
    """One record per request label: request count, queries per request, repeated statements,
    and the N+1 patterns among them (``min_repeats`` or more in one request)."""
    traces = list(traces)
    by_label: dict[str, list[Trace]] = defaultdict(list)
    for trace in traces:
        if trace.events:
            by_label[trace.label or UNLABELLED].append(trace)
    patterns = n_plus_one_patterns(traces, min_repeats)
    records = [_record(label, by_label[label]) for label in sorted(by_label)]
    for record in records:
        record.n_plus_one = patterns.get(record.label, {})
    return records


def _record(label: str, traces: list[Trace]) -> RequestRecord:
    counts = [len(t.events) for t in traces]
    repeats: dict[str, int] = {}
    queries: dict[str, str] = {}
    for trace in traces:
        for fp, n in Counter(e.fingerprint for e in trace.events).items():
            if n >= 2:
                repeats[fp] = max(repeats.get(fp, 0), n)
        for event in trace.events:
            if event.fingerprint in repeats:
                queries.setdefault(event.fingerprint, event.query)
    return RequestRecord(label=label, requests=len(traces), max_queries=max(counts),
                         mean_queries=round(sum(counts) / len(counts), 2),
                         repeats=dict(sorted(repeats.items())),
                         queries={fp: queries[fp] for fp in sorted(repeats) if fp in queries})
