"""The exhaustive optimum of a small candidate set: the yardstick the greedy selection is held to.

Tries every subset within the budget (count and bytes), so only for a handful of candidates; the
tests and `make bench` compare the greedy choice's cost with it.
"""

from __future__ import annotations

import itertools


def exhaustive(ev, candidates, limits) -> tuple[float, tuple]:
    """(lowest workload cost, the subset that reaches it) over every subset within ``limits``."""
    best, best_set = ev.total([]), ()
    for r in range(1, len(candidates) + 1):
        if limits.max_indexes is not None and r > limits.max_indexes:
            break
        for subset in itertools.combinations(candidates, r):
            if limits.max_bytes is not None and sum(ev.size(c) for c in subset) > limits.max_bytes:
                continue
            cost = ev.total(list(subset))
            if cost < best:
                best, best_set = cost, subset
    return best, best_set
