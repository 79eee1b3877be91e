"""N+1 patterns per kind of request: the loops the analyze stage's ``n-plus-one`` rule reports.

    >>> from advisor.model import Trace, TraceEvent
    >>> t = Trace(id="1", source="app", label="GET /o", events=[TraceEvent("SELECT * FROM o")] +
    ...           [TraceEvent(f"SELECT * FROM i WHERE o_id = {n}") for n in range(7)])
    >>> n_plus_one_patterns([t], min_repeats=5)
    {'GET /o': {'1d96a29362e90fb8': 7}}

A pattern is a statement repeated ``min_repeats`` times or more in one request with differing
parameters (``advisor.analyze.loops``), the outermost loop or one nested in it; the same loop
seen in the server log and by the app hook counts once, the hook's requests speaking for it.
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.loops import gather
from advisor.model import Trace

UNLABELLED = "(unlabelled)"


def n_plus_one_patterns(traces: Iterable[Trace], min_repeats: int) -> dict[str, dict[str, int]]:
    """label -> {repeated statement's fingerprint: most repeats in one request}, sorted."""
    found: dict[str, dict[str, int]] = {}
    for group in gather([t for t in traces if t.events], lambda loop: loop.most_repeats >= min_repeats):
        for loop in group.measured:
            patterns = found.setdefault(loop.trace.label or UNLABELLED, {})
            for inner in loop.tree():
                fp, times = inner.events[0].fingerprint, len(inner.events)
                if times >= min_repeats:
                    patterns[fp] = max(patterns.get(fp, 0), times)
    return {label: dict(sorted(found[label].items())) for label in sorted(found) if found[label]}
