"""What is known about one loop group: each loop's statement in words, the relationship it
loads, where the app runs it, and where the option that removes it goes.

    >>> from advisor.analyze.loops import gather
    >>> from advisor.model import Catalog, OrmLoad, Trace, TraceEvent
    >>> lazy = OrmLoad(["Comment"], "Workout.comments", True, ["Workout.comments"], [True])
    >>> events = [TraceEvent("SELECT * FROM workouts WHERE user_id = $1", params=["7"],
    ...                      call_site="app/views.py:10 in feed", orm=OrmLoad(["Workout"]))]
    >>> events += [TraceEvent("SELECT * FROM comments WHERE $1 = comments.workout_id", params=[str(n)],
    ...                       call_site="app/views.py:12 in feed", orm=lazy) for n in range(6)]
    >>> (group,) = gather([Trace("r1", "app", "GET /feed", events, orm_hooked=True)], lambda loop: True)
    >>> facts = LoopFacts.of(group, Catalog())
    >>> facts.head.description, facts.head.relationship, facts.options, facts.root.call_site
    ('comments by workout_id', 'Workout.comments', ['selectinload(Workout.comments)'], 'app/views.py:10 in feed')
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from advisor.analyze.lookups import describe
from advisor.analyze.loops import Key, Loop, LoopGroup
from advisor.analyze.relationships import loader_options
from advisor.model import Catalog, TraceEvent


@dataclass
class Step:
    """One loop of the group (the outermost, or one nested in it)."""

    key: Key
    query: str
    description: str
    relationship: str | None  # the relationship it lazily loads (app hook)
    lazy: bool | None  # a lazy load; False: the hook saw it was not one; None: unknown (server log)
    count: float  # median runs per request
    most: int  # most runs in one request
    call_site: str | None
    entities: list[str]  # the mapped classes it returns (app hook)


@dataclass
class Statement:
    """A statement the loop depends on (its parent, or the query an option goes on)."""

    fingerprint: str
    query: str
    description: str
    call_site: str | None


@dataclass
class LoopFacts:
    group: LoopGroup
    head: Step
    nested: list[Step]
    parent: Statement | None  # the statement whose rows the outermost loop walks
    root: Statement | None  # the query that loads the first objects of the relationships' path
    options: list[str]  # the loader options that load every lazy relationship of the group
    endpoints: list[str]

    @classmethod
    def of(cls, group: LoopGroup, catalog: Catalog) -> LoopFacts:
        steps = [_step(group, key, catalog) for key in group.keys()]
        lazy = [e for key in group.keys() for run in group.runs(key) for e in run.events
                if e.orm and e.orm.lazy and e.orm.path]
        collections = {s: c for e in lazy for s, c in zip(e.orm.path, e.orm.collections, strict=False)}
        options = loader_options([e.orm.path for e in lazy], collections)
        head_runs = group.runs(group.head)
        parent = _statement([r.parent for r in head_runs if r.parent], catalog)
        entity = lazy[0].orm.path[0].split(".")[0] if lazy else None
        root = _statement(_roots(head_runs, steps[0], entity), catalog) if entity else None
        labels = Counter(loop.trace.label for loop in group.loops if loop.trace.label)
        return cls(group, steps[0], steps[1:], parent, root, options, [label for label, _ in labels.most_common()])

    @property
    def kind(self) -> str:
        """``lazy load``, ``query in a loop`` (the hook saw no lazy load), or ``unknown`` (log)."""
        return {True: "lazy load", False: "query in a loop"}.get(self.head.lazy, "unknown")


def _step(group: LoopGroup, key: Key, catalog: Catalog) -> Step:
    runs = group.runs(key)
    events = [e for run in runs for e in run.events]
    relationships = Counter(e.orm.relationship for e in events if e.orm and e.orm.lazy and e.orm.relationship)
    relationship = relationships.most_common(1)[0][0] if relationships else None
    hooked = any(run.trace.orm_hooked for run in runs)
    counts = [len(run.events) for run in runs]
    entities = next((e.orm.entities for e in events if e.orm and e.orm.entities), [])
    return Step(key, events[0].query, describe(events[0].query, catalog), relationship,
                True if relationship else (False if hooked else None), statistics.median(counts),
                max(counts), _most_common(e.call_site for e in events), list(entities))


def _roots(runs: list[Loop], head: Step, entity: str) -> list[TraceEvent]:
    """Per run, the query that loaded ``entity`` before the loop: the last one before its first
    statement that returns it and is no lazy load (a loop of its own queries is its own root)."""
    if head.lazy is False and entity in head.entities:
        return [run.events[0] for run in runs]
    found = []
    for run in runs:
        events = run.trace.events
        first = next(i for i, e in enumerate(events) if e is run.events[0])
        found += [next((e for e in reversed(events[:first])
                        if e.orm and entity in e.orm.entities and not e.orm.lazy), None)]
    return [e for e in found if e is not None]


def _statement(events: list[TraceEvent], catalog: Catalog) -> Statement | None:
    if not events:
        return None
    fingerprint = Counter(e.fingerprint for e in events).most_common(1)[0][0]
    same = [e for e in events if e.fingerprint == fingerprint]
    return Statement(fingerprint, same[0].query, describe(same[0].query, catalog),
                     _most_common(e.call_site for e in same))


def _most_common(values) -> str | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None
