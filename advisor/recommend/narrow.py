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

What an INCLUDE column saves is priced with heap reads at their cached cost when the database fits
in the server's cache (``cached.py``): the planner's ``random_page_cost`` assumes they come from
disk.

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
from advisor.recommend.cached import CachedPricing, include_only
from advisor.recommend.covering import IncludeRules, admissible, struck
from advisor.recommend.explain import ExplainFailed
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
    time measured); and the weighted cost with heap reads priced as cached, worked out when a
    step is first priced so (``cached_of``)."""

    cost: float
    ms: float | None = None
    cached: float | None = None
    cached_of: Callable[[], float] | None = None

    def fits(self, step: Step, cached: bool = False) -> bool:
        return step.loss <= self._cost(cached) and (self.ms is None or step.lost_ms <= self.ms)

    def spend(self, step: Step, cached: bool = False) -> None:
        if cached:
            self.cached = self._cost(True) - max(step.loss, 0.0)
        else:
            self.cost -= max(step.loss, 0.0)
        if self.ms is not None:
            self.ms -= max(step.lost_ms, 0.0)

    def _cost(self, cached: bool) -> float:
        if not cached:
            return self.cost
        if self.cached is None:
            self.cached = self.cached_of() if self.cached_of is not None else 0.0
        return self.cached


@dataclass
class _Chain:
    """Narrowing one index in several steps: the share of its first gain given up, the measured
    ms, and why heap reads were priced as cached in one of them (empty: they were not)."""

    lost: float = 0.0
    lost_ms: float = 0.0
    cached: str = ""

    def then(self, step: Step, cached: str = "") -> _Chain:
        share = max(step.loss, 0.0) / step.gain if step.gain > 0 else 0.0
        return _Chain(self.lost + (1.0 - self.lost) * share, self.lost_ms + max(step.lost_ms, 0.0),
                      cached or self.cached)


@dataclass
class Tolerance:
    """What refinement may give up (from RecommendSettings), and what it must avoid."""

    narrow: float = 0.1  # share of an index's gain, and of the workload's remaining cost
    include: IncludeRules = field(default_factory=IncludeRules)
    clock: Clock | None = None  # measured statement times: the remaining time is bounded too
    trivial: float = 0.0  # a narrowing losing less than this share of its statements' cost is free
    cached: CachedPricing | None = None  # heap reads at their cached cost, when the database fits
    min_saved: float = 0.0  # seconds per hour of workload an index must save (min_saved_seconds_per_hour)


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
    chains: dict[tuple, tuple[IndexSpec, _Chain]] = field(default_factory=dict)  # narrowed from, in all

    def allows(self, old: list[IndexSpec], step: Step, share: float, judged: Step | None = None) -> bool:
        """Whether ``step`` keeps what the indexes ``old`` came from within ``share`` of their
        gain, counting what earlier steps gave up (a merge, then a narrowing); ``judged``: the
        same step priced otherwise (heap reads as cached), whose share of the gain decides."""
        return step.gain > 0 and (judged or step).gain > 0 and self.lost(old, step, judged) <= share

    def lost(self, old: list[IndexSpec], step: Step, judged: Step | None = None) -> float:
        """The share of the original gain of ``old`` given up once ``step`` is taken."""
        spent = sum(self.spent.get(s.key(), 0.0) for s in old)
        judged = judged or step
        before = spent / (step.gain + spent) if step.gain + spent > 0 else 0.0
        return before + (1.0 - before) * max(judged.loss, 0.0) / judged.gain if judged.gain > 0 else 1.0

    def has(self, spec: IndexSpec) -> bool:
        return any(c.key() == spec.key() for c in self.chosen)

    def replace(self, old: list[IndexSpec], new: IndexSpec, note: str, step: Step | None = None,
                judged: Step | None = None) -> IndexSpec:
        loss = max(step.loss, 0.0) if step else 0.0
        spent = sum(self.spent.get(spec.key(), 0.0) for spec in old)
        if step is not None and judged is not None and step.gain + spent > 0:
            given_up = self.lost(old, step, judged) * (step.gain + spent) - spent
        else:
            given_up = loss
        benefit = sum(self.benefit.pop(spec.key(), 0.0) for spec in old) - loss
        spent = sum(self.spent.pop(spec.key(), 0.0) for spec in old) + given_up
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
    for spec in list(refined.chosen):
        allowed = admissible(spec, catalog, tolerance.include)
        if allowed.key() != spec.key():
            refined.replace([spec], allowed, struck(spec, allowed, catalog, tolerance.include))
    costs = _Costs(ev, write_cost, tolerance.clock, *_cached(ev, refined.chosen, tolerance))
    budget = costs.budget(refined.chosen, tolerance.narrow)
    start = list(refined.chosen)
    budget.cached_of = lambda: costs.cached().budget(start, tolerance.narrow).cost
    for _ in range(ROUNDS):
        changed = _narrow(refined, costs, candidates, catalog, tolerance, budget)
        changed = _merge(refined, costs, catalog, tolerance, budget) or changed
        if not changed:
            break
    _apart(refined, costs, catalog, tolerance)
    for spec in refined.chosen:
        refined.narrower[spec.key()] = _narrowest(spec, refined.chosen, costs, catalog, tolerance)
    refined.narrower = {k: v for k, v in refined.narrower.items() if v}
    return refined


def _cached(ev: Evaluator, chosen: list[IndexSpec], tolerance: Tolerance):
    """(a factory of the Evaluator pricing heap reads as cached, why, the statements for their
    heaviest keys) when the database with the chosen indexes fits in the cache; (None, "", {})
    otherwise, or with nothing to give up."""
    pricing = tolerance.cached
    if pricing is None or tolerance.narrow <= 0:
        return None, "", {}
    new = sum(ev.size(c) for c in chosen)
    if not pricing.fit.fits(new):
        return None, "", {}
    return (lambda: Evaluator(pricing.whatif(), ev.items, ev.deadline)), pricing.fit.why(new), pricing.heavy


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


# -- costing ------------------------------------------------------------------------------------


class _Costs:
    """Weighted planner cost of the statements the indexes in question may serve, plus the write
    charges of the chosen indexes on their table; and the measured time that cost stands for."""

    def __init__(self, ev: Evaluator, write_cost: Callable[[IndexSpec], float], clock: Clock | None,
                 cached_ev: Callable[[], Evaluator] | None = None, why: str = "",
                 heavy: dict[str, str] | None = None):
        self.ev, self.write_cost, self.clock = ev, write_cost, clock
        self.times = clock.times if clock is not None else {}
        self.cached_ev, self.why = cached_ev, why  # heap reads priced as cached, and why
        self.heavy = heavy or {}  # fingerprint -> the statement for its heaviest key
        self._cached: _Costs | None = None
        self.why_not: dict[tuple, str] = {}  # (index, narrower) key -> why not priced as cached
        self._scanned: dict[tuple, bool] = {}

    def cached(self) -> _Costs:
        """The same costs with heap reads priced as cached (its session opened on first use)."""
        if self._cached is None:
            self._cached = _Costs(self.cached_ev(), self.write_cost, self.clock)
        return self._cached

    def judge(self, old: list[IndexSpec], new: IndexSpec, config: list[IndexSpec],
              tolerance: Tolerance) -> tuple[Step, Step | None]:
        """``compare``; and, when ``new`` only strikes INCLUDE columns and the database fits in the
        cache, the same step with heap reads priced as cached, the one that decides - unless
        ``uncached`` says why not (kept in ``why_not``)."""
        step = self.compare(old, new, config)
        if self.cached_ev is None or len(old) != 1 or not include_only(old[0], new):
            return step, None
        why_not = self.uncached(old[0], new, step, config, tolerance)
        if why_not:
            self.why_not[(old[0].key(), new.key())] = why_not
            return step, None
        return step, self.cached().compare(old, new, config)

    def uncached(self, spec: IndexSpec, new: IndexSpec, step: Step, config: list[IndexSpec],
                 tolerance: Tolerance) -> str:
        """Why the INCLUDE columns ``new`` strikes from ``spec`` save more than cached heap reads:
        the server's planner, at its own costs, would no longer scan the index for one of the
        statements (it would plan around it: the whole gain there, not heap reads, is lost), or
        ``new`` alone would not clear the bars every index clears. Empty: nothing."""
        after = [c for c in config if c is not spec] + [new]
        if self.ev.whatif.real:  # real indexes built in rolled-back transactions: plans name none
            return "without HypoPG the plans cannot tell whether the server's planner would still scan it"
        for item in self.ev.relevant(spec):
            for sql, which in ((item.sql, ""), (self.heavy.get(item.key), " for its heaviest key")):
                if sql and self._plans_around(item, sql, config, spec, after, new):
                    return (f"without them the server's planner, at its own page costs, would plan a "
                            f"statement around the index{which}")
        if step.gain - step.loss < tolerance.trivial * step.before:
            return "without them the index would not cut its statements' cost by min_improvement"
        clock = tolerance.clock
        if clock is None or not clock.measured or clock.hours is None or not clock.judges(self.ev, new, after):
            return ""
        if clock.per_hour(clock.saved_ms(self.ev, new, after)) < tolerance.min_saved:
            return "without them the index would not save min_saved_seconds_per_hour"
        return ""

    def _plans_around(self, item, sql: str, config: list[IndexSpec], spec: IndexSpec,
                      after: list[IndexSpec], new: IndexSpec) -> bool:
        """Whether the plan of ``sql`` scans ``spec`` under ``config`` but not ``new`` under
        ``after`` (False when ``sql`` cannot be planned: no evidence either way)."""
        try:
            return self._scans(item, sql, config, spec) and not self._scans(item, sql, after, new)
        except ExplainFailed:
            return False

    def _scans(self, item, sql: str, config: list[IndexSpec], spec: IndexSpec) -> bool:
        """Whether the plan of ``sql`` (``item`` bound one way) under ``config`` scans an index
        on ``spec``'s leading key."""
        usable, lead = self.ev.usable(item, config), spec.columns[0].removesuffix(" DESC")
        memo = (sql, frozenset(u.key() for u in usable), spec.table, lead)
        if memo not in self._scanned:
            whatif = self.ev.whatif
            plan = whatif.plan(sql, usable, item.tables)
            self._scanned[memo] = any(u.table == spec.table and u.columns[0].removesuffix(" DESC") == lead
                                      for u in whatif.used_indexes(plan))
        return self._scanned[memo]

    def net(self, specs: list[IndexSpec], config: list[IndexSpec]) -> tuple[float, float]:
        """(weighted cost + write charges, measured ms) of ``specs``' statements under ``config``."""
        items = {i.key: i for s in specs for i in self.ev.relevant(s)}.values()
        config = list({c.key(): c for c in config}.values())
        reads, ms = self._reads(items, config)
        return reads + sum(self.write_cost(c) for c in config if c.table == specs[0].table), ms

    def compare(self, old: list[IndexSpec], new: IndexSpec, config: list[IndexSpec]) -> Step:
        """Replacing ``old`` by ``new`` in ``config``."""
        rest = [c for c in config if c not in old]
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
        step, judged = costs.judge([spec], option, refined.chosen, tolerance)
        decides, cached = judged or step, judged is not None
        free = decides.loss <= tolerance.trivial * decides.before  # the part struck would not pay alone
        if not (refined.allows([spec], step, tolerance.narrow, judged)
                and (free or budget.fits(decides, cached))):
            continue
        score = (costs.size(spec) - costs.size(option)) / max(_in_units_of(step, decides), 1e-9)
        if heap and score < -heap[0][0]:
            heapq.heappush(heap, (-score, next(counter), spec, option))
            continue
        if not free:  # what would not pay alone spends nothing the other moves may need
            budget.spend(decides, cached)
        origin, chain = refined.chains.pop(spec.key(), (spec, _Chain()))
        if origin is not spec:  # one line for narrowing in several steps
            refined.history[spec.key()].pop()
        chain = chain.then(decides, costs.why if cached else "")
        kept = refined.replace([spec], option, _narrowed(origin, option, chain, costs, tolerance), step, judged)
        refined.chains[kept.key()] = (origin, chain)
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
    step, judged = costs.judge([spec], options[0], chosen, tolerance)
    decides, clock = judged or step, tolerance.clock
    lost = clock.per_hour(decides.lost_ms) if clock is not None and clock.measured else None
    found = {"index": _label(options[0]), "bytes_saved": size - costs.size(options[0]),
             "cost_increase": round(step.loss, 2),
             "share_of_gain_lost": round(decides.loss / decides.gain, 4) if decides.gain > 0 else None,
             "time_lost_s_per_hour": None if lost is None else round(lost, 3)}
    if judged is not None:
        found["heap_reads_cached"] = costs.why
    elif (spec.key(), options[0].key()) in costs.why_not:
        found["include_needed"] = costs.why_not[(spec.key(), options[0].key())]
    return found


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


def _narrowed(spec, option, chain: _Chain, costs: _Costs, tolerance: Tolerance) -> str:
    saved = costs.size(spec) - costs.size(option)
    priced = f" with heap reads priced as cached ({chain.cached})" if chain.cached else ""
    return (f"narrowed from {_label(spec)}: {_mb(saved)} smaller, "
            f"{100.0 * chain.lost:.1f}% of its gain lost{priced}{_time(chain.lost_ms, tolerance)}")


def _merged(absorbed, step: Step, tolerance: Tolerance) -> str:
    return (f"merged {', '.join(_label(s) for s in absorbed)} into it: one index serves both, "
            f"{_pct(step.loss, step.gain)} of their gain lost{_time(step.lost_ms, tolerance)}")


def _time(lost_ms: float, tolerance: Tolerance) -> str:
    clock = tolerance.clock
    if clock is None or not clock.measured or not clock.hours:
        return ""
    return f", ~{seconds(clock.per_hour(max(lost_ms, 0.0)))} of measured time per hour"


def _in_units_of(step: Step, judged: Step) -> float:
    """``judged``'s loss as the same share of ``step``'s gain (to rank moves priced either way)."""
    if judged is step or judged.gain <= 0:
        return step.loss
    return judged.loss * step.gain / judged.gain


def _pct(loss: float, gain: float) -> str:
    return f"{100.0 * max(loss, 0.0) / gain:.1f}%" if gain > 0 else "none"


def _mb(size: float) -> str:
    return f"{size / 1048576:,.1f} MB"


def _label(spec: IndexSpec) -> str:
    text = f"({', '.join(spec.columns)})"
    if spec.include:
        text += f" INCLUDE ({', '.join(spec.include)})"
    return text + (f" WHERE {spec.where}" if spec.where else "")
