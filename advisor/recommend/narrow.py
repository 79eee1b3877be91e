"""After the selection: the narrowest index that pays, and one index where two overlap.

    >>> [(v.columns, v.include) for v in variants(IndexSpec("public.t", ["a", "b DESC"], include=["x"]))]
    [(['a', 'b DESC'], []), (['a'], ['x']), (['a'], [])]

The selection optimises the planner's cost: each wider key or INCLUDE column that lowers it a
little more is taken. A reviewer pays in disk, memory and write latency for each. So, in turn:

1. INCLUDE columns that cannot pay are struck (``covering``: wide, updated, or no real
   index-only scan).
2. A chosen index is replaced by a narrower variant (fewer INCLUDE columns, fewer trailing keys,
   or a smaller candidate on its columns, e.g. a partial index) that keeps all but
   ``narrow_tolerance`` of its gain, write charge included.
3. Two chosen indexes led by the same column become one - one of them, their common prefix, or
   one carrying the other's columns as INCLUDE - under the same rule for their joint gain.

All of it together may add at most ``narrow_tolerance`` to the workload's remaining weighted cost
(and to its remaining measured time, when measured): what is left after the selection is what
users wait for, so the gains stay within that share of the selection's. Except a narrowing whose
loss is under ``min_improvement`` of its statements' cost without the index: the keys or INCLUDE
columns it strikes would not have been taken as an index of their own (the bar every index
clears), so they do not get to stay by riding on one. The moves that free the
most bytes per unit of cost go first. Losses add up per index too: a merge and a later narrowing
share one tolerance. Costs are those of the statements the indexes may serve
(``Evaluator.relevant``), every other chosen index present.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from advisor.ddl import index_name
from advisor.model import Catalog, IndexSpec
from advisor.recommend.covering import IncludeRules, admissible, struck
from advisor.recommend.select import Evaluator
from advisor.recommend.timing import Clock, seconds
from advisor.recommend.writes import referenced_columns

ROUNDS = 3  # narrow and merge again while either changes something (a merge can free a narrowing)


@dataclass
class Step:
    """Replacing chosen indexes by one: the weighted cost it adds, the gain of what it replaces
    (over neither), and the measured time it adds (ms over the capture)."""

    loss: float
    gain: float
    lost_ms: float = 0.0
    before: float = 0.0  # the statements' cost without any of the indexes replaced


@dataclass
class Budget:
    """What all refinements together may still add: weighted cost, and measured ms (None: no
    time measured)."""

    cost: float
    ms: float | None = None

    def fits(self, step: Step) -> bool:
        return step.loss <= self.cost and (self.ms is None or step.lost_ms <= self.ms)

    def spend(self, step: Step) -> None:
        self.cost -= max(step.loss, 0.0)
        if self.ms is not None:
            self.ms -= max(step.lost_ms, 0.0)


@dataclass
class Tolerance:
    """What refinement may give up (from RecommendSettings), and what it must avoid."""

    narrow: float = 0.1  # share of an index's gain, and of the workload's remaining cost
    include: IncludeRules = field(default_factory=IncludeRules)
    clock: Clock | None = None  # measured statement times: the remaining time is bounded too
    trivial: float = 0.0  # a narrowing losing less than this share of its statements' cost is free


@dataclass
class Refined:
    """The chosen indexes once refined, and what refining did to each (for the report)."""

    chosen: list[IndexSpec]
    history: dict[tuple, list[str]] = field(default_factory=dict)  # chosen key -> what happened
    merged: dict[tuple, list[str]] = field(default_factory=dict)  # chosen key -> absorbed index names
    narrower: dict[tuple, dict] = field(default_factory=dict)  # chosen key -> the narrowest not taken
    rejected: list[tuple[IndexSpec, str, float]] = field(default_factory=list)
    benefit: dict[tuple, float] = field(default_factory=dict)  # chosen key -> the selection's, less losses
    spent: dict[tuple, float] = field(default_factory=dict)  # chosen key -> gain given up so far
    chains: dict[tuple, tuple[IndexSpec, Step]] = field(default_factory=dict)  # narrowed from, in all

    def allows(self, old: list[IndexSpec], step: Step, share: float) -> bool:
        """Whether ``step`` keeps what the indexes ``old`` came from within ``share`` of their
        gain, counting what earlier steps gave up (a merge, then a narrowing)."""
        spent = sum(self.spent.get(s.key(), 0.0) for s in old)
        return step.gain > 0 and spent + max(step.loss, 0.0) <= share * (step.gain + spent)

    def has(self, spec: IndexSpec) -> bool:
        return any(c.key() == spec.key() for c in self.chosen)

    def replace(self, old: list[IndexSpec], new: IndexSpec, note: str, step: Step | None = None) -> IndexSpec:
        loss = max(step.loss, 0.0) if step else 0.0
        benefit = sum(self.benefit.pop(spec.key(), 0.0) for spec in old) - loss
        spent = sum(self.spent.pop(spec.key(), 0.0) for spec in old) + loss
        history = [line for spec in old for line in self.history.pop(spec.key(), [])]
        merged = [name for spec in old for name in self.merged.pop(spec.key(), [])]
        at = min(self.chosen.index(s) for s in old)
        self.chosen = [c for c in self.chosen if c not in old]
        if self.has(new):  # a variant that is already chosen
            new = next(c for c in self.chosen if c.key() == new.key())
        else:
            self.chosen.insert(min(at, len(self.chosen)), new)
        self.history[new.key()] = self.history.get(new.key(), []) + history + [note]
        self.merged[new.key()] = self.merged.get(new.key(), []) + merged
        self.benefit[new.key()] = self.benefit.get(new.key(), 0.0) + benefit
        self.spent[new.key()] = self.spent.get(new.key(), 0.0) + spent
        return new


def refine(ev: Evaluator, chosen: list[IndexSpec], candidates: list[IndexSpec], catalog: Catalog,
           tolerance: Tolerance, write_cost: Callable[[IndexSpec], float],
           benefit: dict[tuple, float] | None = None) -> Refined:
    """``chosen`` made as narrow as the workload allows, overlapping indexes merged; ``benefit``:
    the selection's benefit of each, carried over to what replaces it less what that loses."""
    refined = Refined(list(chosen), benefit=dict(benefit or {}))
    costs = _Costs(ev, write_cost, tolerance.clock)
    for spec in list(refined.chosen):
        allowed = admissible(spec, catalog, tolerance.include)
        if allowed.key() != spec.key():
            refined.replace([spec], allowed, struck(spec, allowed, catalog, tolerance.include))
    budget = costs.budget(refined.chosen, tolerance.narrow)
    for _ in range(ROUNDS):
        changed = _narrow(refined, costs, candidates, catalog, tolerance, budget)
        changed = _merge(refined, costs, catalog, tolerance, budget) or changed
        if not changed:
            break
    for spec in idle(ev, refined.chosen):
        refined.chosen = [c for c in refined.chosen if c is not spec]
        refined.rejected.append((spec, IDLE, 0.0))
    _apart(refined, costs, catalog, tolerance)
    for spec in refined.chosen:
        refined.narrower[spec.key()] = _narrowest(spec, refined.chosen, costs, catalog, tolerance)
    refined.narrower = {k: v for k, v in refined.narrower.items() if v}
    return refined


def variants(spec: IndexSpec) -> list[IndexSpec]:
    """Narrower B-tree variants: fewer INCLUDE columns, then fewer keys after the first, widest first."""
    if spec.method != "btree":
        return []
    includes = [spec.include[:i] + spec.include[i + 1:] for i in range(len(spec.include))]
    includes = ([spec.include] if spec.include else []) + includes + ([[]] if len(spec.include) > 1 else [])
    keys = [list(k) for n in range(len(spec.columns), 0, -1)
            for k in itertools.combinations(spec.columns, n) if k[0] == spec.columns[0]]
    found = {}
    for columns, include in itertools.product(keys, includes or [[]]):
        variant = IndexSpec(spec.table, columns, include=include, where=spec.where, opclass=spec.opclass)
        if variant.key() != spec.key():
            found.setdefault(variant.key(), variant)
    return list(found.values())


IDLE = ("serves nothing the other chosen indexes do not serve: its statements cost the same "
        "without it (a later, wider pick took its searches over)")


def idle(ev: Evaluator, chosen: list[IndexSpec]) -> list[IndexSpec]:
    """The chosen indexes to leave out because, with the others in place, none of their
    statements costs less with them, largest first; one at a time, since two indexes serving
    the same searches are each idle next to the other, and leaving one out makes the other pay.
    Leaving an index out only makes the rest more useful: only the idle ones are priced again."""
    kept, gone = list(chosen), []
    suspects = list(chosen)
    while suspects:
        pairs = [(i, config) for s in suspects
                 for config in (kept, [c for c in kept if c is not s]) for i in ev.relevant(s)]
        costs = iter(ev.costs(pairs))
        found = []
        for s in suspects:
            n = len(ev.relevant(s))
            with_it, without = [next(costs) for _ in range(n)], [next(costs) for _ in range(n)]
            if n and not any(a < b for a, b in zip(with_it, without, strict=True)):
                found.append(s)
        if not found:
            break
        worst = max(found, key=ev.size)
        kept = [c for c in kept if c is not worst]
        gone.append(worst)
        suspects = [s for s in found if s is not worst]
    return gone


# -- costing ------------------------------------------------------------------------------------


class _Costs:
    """Weighted planner cost of the statements the indexes in question may serve, plus the write
    charges of the chosen indexes on their table; and the measured time that cost stands for."""

    def __init__(self, ev: Evaluator, write_cost: Callable[[IndexSpec], float], clock: Clock | None):
        self.ev, self.write_cost = ev, write_cost
        self.times = clock.times if clock is not None else {}
        self._memo: dict[tuple, tuple[float, float]] = {}  # (statements, indexes) -> _reads

    def net(self, specs: list[IndexSpec], config: list[IndexSpec]) -> tuple[float, float]:
        """(weighted cost + write charges, measured ms) of ``specs``' statements under ``config``."""
        items = {i.key: i for s in specs for i in self.ev.relevant(s)}.values()
        tables = {t for i in items for t in i.tables} | {specs[0].table}
        # only indexes on their tables change what these statements cost (and the write charge)
        config = list({c.key(): c for c in config if c.table in tables}.values())
        reads, ms = self._reads(items, config)
        return reads + sum(self.write_cost(c) for c in config if c.table == specs[0].table), ms

    def compare(self, old: list[IndexSpec], new: IndexSpec, config: list[IndexSpec]) -> Step:
        """Replacing ``old`` by ``new`` in ``config``."""
        gone = {o.key() for o in old}  # by key: comparing specs field by field is slow
        rest = [c for c in config if c.key() not in gone]
        (base, base_ms), (without, _) = self.net(old + [new], config), self.net(old + [new], rest)
        after, after_ms = self.net(old + [new], rest + [new])
        return Step(after - base, without - base, after_ms - base_ms, without)

    def budget(self, config: list[IndexSpec], share: float) -> Budget:
        """``share`` of the whole workload's remaining cost (and measured time) under ``config``."""
        reads, ms = self._reads(self.ev.items, config)
        return Budget(share * reads, share * ms if self.times else None)

    def size(self, spec: IndexSpec) -> int:
        return self.ev.size(spec)

    def _reads(self, items, config: list[IndexSpec]) -> tuple[float, float]:
        items = list(items)
        memo = (tuple(i.key for i in items), frozenset(c.key() for c in config))
        if memo not in self._memo:  # each variant of an index is compared with the same two
            self._memo[memo] = self._priced(items, config)
        return self._memo[memo]

    def _priced(self, items: list, config: list[IndexSpec]) -> tuple[float, float]:
        timed = [i for i in items if self.times.get(i.key)]
        costs = self.ev.costs([(i, config) for i in items] + [(i, []) for i in timed])  # one batch
        reads = sum(i.weight * c for i, c in zip(items, costs, strict=False))
        cost = dict(zip((i.key for i in items), costs, strict=False))
        ms = sum(self.times[i.key] * cost[i.key] / max(base, 1e-9)
                 for i, base in zip(timed, costs[len(items):], strict=True))
        return reads, ms


# -- narrowing ----------------------------------------------------------------------------------


def _narrow(refined: Refined, costs: _Costs, candidates, catalog, tolerance: Tolerance,
            budget: Budget) -> bool:
    """Lazy greedy over (index, narrower variant) moves, most bytes freed per cost unit lost
    first; a move is re-priced against the indexes as they are before it is taken."""
    counter, heap, changed = itertools.count(), [], False

    def push(spec: IndexSpec) -> None:
        for option in _narrower(spec, candidates, catalog, tolerance):
            if costs.size(option) < costs.size(spec):
                heapq.heappush(heap, (-float("inf"), next(counter), spec, option))

    for spec in refined.chosen:
        push(spec)
    while heap:
        _, _, spec, option = heapq.heappop(heap)
        if not refined.has(spec):
            continue
        step = costs.compare([spec], option, refined.chosen)
        free = step.loss <= tolerance.trivial * step.before  # the part struck would not pay alone
        if not (refined.allows([spec], step, tolerance.narrow) and (free or budget.fits(step))):
            continue
        score = (costs.size(spec) - costs.size(option)) / max(step.loss, 1e-9)
        if heap and score < -heap[0][0]:
            heapq.heappush(heap, (-score, next(counter), spec, option))
            continue
        if not free:  # what would not pay alone spends nothing the other moves may need
            budget.spend(step)
        origin, total = refined.chains.pop(spec.key(), (spec, Step(0.0, step.gain)))
        if origin is not spec:  # one line for narrowing in several steps
            refined.history[spec.key()].pop()
        total = Step(total.loss + max(step.loss, 0.0), total.gain, total.lost_ms + max(step.lost_ms, 0.0))
        kept = refined.replace([spec], option, _narrowed(origin, option, total, costs, tolerance), step)
        refined.chains[kept.key()] = (origin, total)
        push(kept)
        changed = True
    return changed


def _narrower(spec: IndexSpec, candidates, catalog, tolerance: Tolerance) -> list[IndexSpec]:
    """Derived variants, and the candidates on the same table that read only ``spec``'s columns."""
    columns, lead = referenced_columns(spec), spec.columns[0].removesuffix(" DESC")
    same = [c for c in candidates if c.table == spec.table and c.method == spec.method
            and referenced_columns(c) <= columns
            and (c.columns[0].removesuffix(" DESC") == lead or lead in referenced_columns(
                IndexSpec(c.table, [], where=c.where)))]  # same lead, or a partial index on it
    found = {v.key(): v for v in (admissible(v, catalog, tolerance.include) for v in variants(spec) + same)}
    return [v for k, v in found.items() if k != spec.key()]


def _narrowest(spec: IndexSpec, chosen, costs: _Costs, catalog, tolerance: Tolerance) -> dict | None:
    """What the narrowest variant (the leading key alone) would lose: bytes saved against gain
    lost; None when the index is as narrow as it goes."""
    size = costs.size(spec)
    options = sorted((v for v in _narrower(spec, [], catalog, tolerance) if costs.size(v) < size),
                     key=costs.size)
    if not options:
        return None
    step = costs.compare([spec], options[0], chosen)
    clock = tolerance.clock
    lost = clock.per_hour(step.lost_ms) if clock is not None and clock.measured else None
    return {"index": _label(options[0]), "bytes_saved": size - costs.size(options[0]),
            "cost_increase": round(step.loss, 2),
            "share_of_gain_lost": round(step.loss / step.gain, 4) if step.gain > 0 else None,
            "time_lost_s_per_hour": None if lost is None else round(lost, 3)}


# -- merging ------------------------------------------------------------------------------------


def _merge(refined: Refined, costs: _Costs, catalog, tolerance: Tolerance, budget: Budget) -> bool:
    for a, b in itertools.combinations(list(refined.chosen), 2):
        if not _overlap(a, b):
            continue
        options = [a, b, _common_prefix(a, b), _union(a, b), _union(b, a)]
        options = [admissible(o, catalog, tolerance.include) for o in options if o is not None]
        for option in sorted({o.key(): o for o in options}.values(), key=costs.size):
            if costs.size(option) >= costs.size(a) + costs.size(b):
                break
            step = costs.compare([a, b], option, refined.chosen)
            if refined.allows([a, b], step, tolerance.narrow) and budget.fits(step):
                budget.spend(step)
                absorbed = [s for s in (a, b) if s.key() != option.key()]
                kept = refined.replace([a, b], option, _merged(absorbed, step, tolerance), step)
                refined.merged[kept.key()] = refined.merged.get(kept.key(), []) + [index_name(s) for s in absorbed]
                refined.rejected += [(s, f"merged into {index_name(kept)}: it serves the same statements", 0.0)
                                     for s in absorbed]
                return True
    return False


def _apart(refined: Refined, costs: _Costs, catalog, tolerance: Tolerance) -> None:
    """Why two indexes led by the same column stay two: what the best single one would lose."""
    for a, b in itertools.combinations(list(refined.chosen), 2):
        if not _overlap(a, b):
            continue
        options = [admissible(o, catalog, tolerance.include)
                   for o in (a, b, _common_prefix(a, b), _union(a, b), _union(b, a)) if o is not None]
        steps = [costs.compare([a, b], o, refined.chosen) for o in options
                 if costs.size(o) < costs.size(a) + costs.size(b)]
        best = min(steps, key=lambda step: step.loss, default=None)
        if best is None or best.gain <= 0:
            continue
        for spec, other in ((a, b), (b, a)):
            refined.history.setdefault(spec.key(), []).append(
                f"kept apart from {index_name(other)} (led by the same column): one index for both "
                f"would lose {_pct(best.loss, best.gain)} of their gain")


def _overlap(a: IndexSpec, b: IndexSpec) -> bool:
    return a.table == b.table and a.method == b.method == "btree" and a.where == b.where \
        and a.columns[0].removesuffix(" DESC") == b.columns[0].removesuffix(" DESC")


def _common_prefix(a: IndexSpec, b: IndexSpec) -> IndexSpec | None:
    n = next((i for i, (x, y) in enumerate(zip(a.columns, b.columns, strict=False)) if x != y),
             min(len(a.columns), len(b.columns)))
    return IndexSpec(a.table, a.columns[:n], where=a.where) if n else None


def _union(a: IndexSpec, b: IndexSpec) -> IndexSpec:
    """``a`` carrying ``b``'s other columns as INCLUDE: one index for both searches' reads."""
    have = {c.removesuffix(" DESC") for c in a.columns + a.include}
    extra = [c.removesuffix(" DESC") for c in b.columns + b.include if c.removesuffix(" DESC") not in have]
    return IndexSpec(a.table, a.columns, include=a.include + list(dict.fromkeys(extra)), where=a.where)


# -- words --------------------------------------------------------------------------------------


def _narrowed(spec, option, step: Step, costs: _Costs, tolerance: Tolerance) -> str:
    saved = costs.size(spec) - costs.size(option)
    return (f"narrowed from {_label(spec)}: {_mb(saved)} smaller, "
            f"{_pct(step.loss, step.gain)} of its gain lost{_time(step, tolerance)}")


def _merged(absorbed, step: Step, tolerance: Tolerance) -> str:
    return (f"merged {', '.join(_label(s) for s in absorbed)} into it: one index serves both, "
            f"{_pct(step.loss, step.gain)} of their gain lost{_time(step, tolerance)}")


def _time(step: Step, tolerance: Tolerance) -> str:
    clock = tolerance.clock
    if clock is None or not clock.measured or not clock.hours or step.lost_ms <= 0:
        return ""  # nothing measured on these statements (SQL files), or nothing lost
    return f", ~{seconds(clock.per_hour(max(step.lost_ms, 0.0)))} of measured time per hour"


def _pct(loss: float, gain: float) -> str:
    return f"{100.0 * max(loss, 0.0) / gain:.1f}%" if gain > 0 else "none"


def _mb(size: float) -> str:
    return f"{size / 1048576:,.1f} MB"


def _label(spec: IndexSpec) -> str:
    text = f"({', '.join(spec.columns)})"
    if spec.include:
        text += f" INCLUDE ({', '.join(spec.include)})"
    return text + (f" WHERE {spec.where}" if spec.where else "")
