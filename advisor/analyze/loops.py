"""Loops in traces: what the n-plus-one rule reads.

    >>> from advisor.model import Trace, TraceEvent
    >>> orders = [TraceEvent("SELECT * FROM orders WHERE user_id = 1")]
    >>> items = [TraceEvent(f"SELECT * FROM items WHERE order_id = {n}") for n in range(6)]
    >>> (loop,) = request_loops(Trace("r1", "log", events=orders + items))
    >>> loop.parent.query, len(loop.events)
    ('SELECT * FROM orders WHERE user_id = 1', 6)

A loop is one statement repeated within one request (or transaction) with differing parameters,
after its parent: the statement before its first run, whose rows it walks. A loop whose parent is
itself a loop, and runs between the parent's runs, is nested in it (an order's lines, then each
line's product). ``gather`` puts the same loop together wherever it ran: in every request, every
endpoint, in the server log and in the app hook's traces alike. Two loops are the same when they
share a (parent, repeated statement) pair, directly or through a loop nested in both.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from advisor.model import Trace, TraceEvent

Key = tuple[str, str]  # (parent's fingerprint or "", the repeated statement's fingerprint)


@dataclass
class Loop:
    """One statement repeated within one request, and the loops nested in it."""

    trace: Trace
    parent: TraceEvent | None
    events: list[TraceEvent]
    nested: list[Loop] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.parent.fingerprint if self.parent else "", self.events[0].fingerprint)

    def tree(self) -> Iterator[Loop]:
        yield self
        for inner in self.nested:
            yield from inner.tree()

    @property
    def most_repeats(self) -> int:
        return max(len(loop.events) for loop in self.tree())

    @property
    def queries(self) -> int:
        return sum(len(loop.events) for loop in self.tree())

    @property
    def time_ms(self) -> float:
        return sum(e.duration_ms for loop in self.tree() for e in loop.events)


def request_loops(trace: Trace) -> list[Loop]:
    """The outermost loops of one request, each with the loops nested in it."""
    runs: dict[str, list[int]] = {}
    for position, event in enumerate(trace.events):
        runs.setdefault(event.fingerprint, []).append(position)
    loops: dict[str, Loop] = {}
    for fingerprint, positions in runs.items():
        events = [trace.events[p] for p in positions]
        if len(positions) > 1 and _differing(events):
            loops[fingerprint] = Loop(trace, _parent(trace.events, positions[0]), events)
    roots = []
    for fingerprint, loop in loops.items():
        outer = loops.get(loop.parent.fingerprint) if loop.parent else None
        if outer is not None and _inside(runs[loop.parent.fingerprint], runs[fingerprint]):
            outer.nested.append(loop)
        else:
            roots.append(loop)
    return roots


def _parent(events: list[TraceEvent], first: int) -> TraceEvent | None:
    fingerprint = events[first].fingerprint
    return next((e for e in reversed(events[:first]) if e.fingerprint != fingerprint), None)


def _inside(outer: list[int], inner: list[int]) -> bool:
    """The outer statement runs again between the inner one's first and last runs."""
    return any(inner[0] < p < inner[-1] for p in outer)


def _differing(events: list[TraceEvent]) -> bool:
    """Different parameters each time (the N+1 signature); unknown parameters count as different."""
    keys = {tuple(e.params) if e.params is not None else e.query for e in events}
    known = any(e.params is not None for e in events) or len({e.query for e in events}) > 1
    return len(keys) > 1 or not known


# -- the same loop across requests and sources --------------------------------------------------


@dataclass
class LoopGroup:
    """One loop wherever it ran: the outermost loops of the requests it ran in."""

    loops: list[Loop]

    @property
    def sources(self) -> list[str]:
        return sorted({loop.trace.source for loop in self.loops})

    @property
    def measured(self) -> list[Loop]:
        """The loops its figures come from: the app hook's when it saw them (the server log saw
        the same requests again), else the log's."""
        return [loop for loop in self.loops if loop.trace.source == "app"] or self.loops

    @property
    def head(self) -> Key:
        """The outermost loop: a (parent, statement) pair never nested in another, the most seen."""
        nested = {inner.key for loop in self.loops for inner in loop.tree() if inner is not loop}
        keys = Counter(loop.key for loop in self.measured)
        outer = [k for k, _ in keys.most_common() if k not in nested]
        return outer[0] if outer else keys.most_common(1)[0][0]

    def runs(self, key: Key) -> list[Loop]:
        """Every run of the loop ``key`` (nested or not), from the measured traces."""
        return [inner for loop in self.measured for inner in loop.tree() if inner.key == key]

    def keys(self) -> list[Key]:
        """Every loop of the group, the head first, then nested ones in the order first seen."""
        seen = [self.head]
        for loop in self.measured:
            seen += [inner.key for inner in loop.tree() if inner.key not in seen]
        return seen

    @property
    def total_time_ms(self) -> float:
        return sum(loop.time_ms for loop in self.measured)

    def per_request(self, figure: Callable[[Loop], float]) -> float:
        return statistics.median(figure(loop) for loop in self.measured)


def gather(traces: Iterable[Trace], keep: Callable[[Loop], bool]) -> list[LoopGroup]:
    """The loops of every trace, one group per loop; a group holds the requests where ``keep``
    says it is worth reporting, and is left out when there are none."""
    roots = [loop for trace in traces for loop in request_loops(trace)]
    parent: dict[Key, Key] = {}

    def find(key: Key) -> Key:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for loop in roots:
        for inner in loop.tree():
            parent[find(inner.key)] = find(loop.key)
    groups: dict[Key, list[Loop]] = {}
    for loop in roots:
        if keep(loop):
            groups.setdefault(find(loop.key), []).append(loop)
    found = [LoopGroup(loops) for loops in groups.values()]
    return sorted(found, key=lambda g: -g.total_time_ms)
