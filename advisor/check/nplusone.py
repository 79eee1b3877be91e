"""N+1 patterns per kind of request, judged by the analyze stage's ``n-plus-one`` rule.

    >>> from advisor.model import Trace, TraceEvent
    >>> t = Trace(id="1", source="app", label="GET /o", events=[TraceEvent("SELECT * FROM o")] +
    ...           [TraceEvent(f"SELECT * FROM i WHERE o_id = {n}") for n in range(7)])
    >>> n_plus_one_patterns([t], min_repeats=5)
    {'GET /o': {'1d96a29362e90fb8': 7}}

The rule (``rules/n_plus_one.py``) wants the repeats to follow a parent statement and to differ
in their parameters; when it is not installed, a statement repeated ``min_repeats`` times in one
request counts, which is the same threshold without those refinements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from advisor.model import Snapshot, Trace

UNLABELLED = "(unlabelled)"


def n_plus_one_patterns(traces: Iterable[Trace], min_repeats: int) -> dict[str, dict[str, int]]:
    """label -> {repeated statement's fingerprint: most repeats in one request}, sorted."""
    traces = [t for t in traces if t.events]
    found = _by_rule(traces, min_repeats)
    if found is None:
        found = _by_count(traces, min_repeats)
    return {label: dict(sorted(found[label].items())) for label in sorted(found)}


def _by_rule(traces: list[Trace], min_repeats: int) -> dict[str, dict[str, int]] | None:
    try:
        from advisor.analyze.context import Context
        from rules import get_rule
    except ImportError:
        return None
    rule = get_rule("n-plus-one")
    if rule is None or not traces:
        return None if rule is None else {}
    context = Context.build(Snapshot(traces=traces))
    context.rule_id, context.severity = rule.id, rule.severity
    context.thresholds = {**rule.thresholds, "min_repeats": min_repeats}
    found: dict[str, dict[str, int]] = {}
    for finding in rule.check(context):
        evidence = finding.evidence
        fp, times = evidence.get("repeated_statement"), evidence.get("max_count_per_request")
        if fp and times:
            patterns = found.setdefault(evidence.get("endpoint") or UNLABELLED, {})
            patterns[fp] = max(patterns.get(fp, 0), int(times))
    return found


def _by_count(traces: list[Trace], min_repeats: int) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for trace in traces:
        for fp, n in Counter(e.fingerprint for e in trace.events).items():
            if n >= min_repeats:
                patterns = found.setdefault(trace.label or UNLABELLED, {})
                patterns[fp] = max(patterns.get(fp, 0), n)
    return found
