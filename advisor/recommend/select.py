"""Choosing indexes for the whole workload: greedy with re-evaluation, Extend-style widening.

    >>> s = Selection(chosen=[], rejected={}, cost_before=100.0, cost_after=60.0)
    >>> round(s.relative_cost, 2)
    0.6

Each step takes the move with the best gain - benefit per byte under a size budget, else benefit -
and re-prices it against the indexes already chosen before taking it (lazy greedy: a stale score
is only an upper bound to be checked), so two indexes serving the same statements are not both
chosen. A move adds a candidate or widens a chosen index by one more column of its table
(Schlosser et al.'s Extend). Benefit = sum over the statements of (cost before - cost after) x
weight, minus the write overhead of one more index on the table. A move is taken only when it
lowers the cost of the statements it changes by at least ``min_improvement`` of their cost.
Under a size budget, the better of a per-byte and a plain-benefit greedy is kept, next to a
top-down relaxation (from the indexes the plans use with every candidate present, drop the least
useful per byte until the budget holds); a swap phase then trades a chosen index for one of the
most promising that did not fit and refills the budget (how the greedy's early small picks are
undone; TPC-H: docs in bench/tpch.py), and the cheaper of the two wins. A last polish pass
works on the true workload cost: it drops every chosen index whose removal does not make the
workload dearer (a later pick made it useless, or its presence steers the planner to a worse plan
elsewhere) and refills the budget, then takes out in turn the ``POLISH_TRIES`` chosen indexes that
lose least per byte among those big enough to let in a paying candidate that did not fit, refills
without each, and keeps the cheapest result.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from advisor.errors import AdvisorError
from advisor.model import IndexSpec
from advisor.recommend.whatif import WhatIf

SWAP_CANDIDATES = 16  # over-budget candidates (by gain) the swap phase tries against each chosen index
POLISH_TRIES = 4  # chosen indexes (cheapest to lose per byte) the polish phase takes out, refilling


@dataclass
class Item:
    """One statement of the workload, as the selection sees it."""

    key: str  # fingerprint
    sql: str
    weight: float
    tables: frozenset[str]
    attrs: dict[str, set[str]] = field(default_factory=dict)  # table -> indexable columns
    used: dict[str, set[str]] = field(default_factory=dict)  # table -> every column read


@dataclass
class Limits:
    max_indexes: int | None = None
    max_bytes: int | None = None
    min_improvement: float = 0.1
    max_width: int = 3


@dataclass
class Move:
    add: IndexSpec
    replaces: IndexSpec | None = None

    def describe(self) -> str:
        return f"widen {self.replaces.columns} to {self.add.columns}" if self.replaces else f"add {self.add.columns}"


@dataclass
class Selection:
    chosen: list[IndexSpec]
    rejected: dict[tuple, tuple[IndexSpec, str, float]]  # key -> (spec, reason, benefit)
    cost_before: float
    cost_after: float
    benefit: dict[tuple, float] = field(default_factory=dict)  # chosen key -> benefit when taken

    @property
    def relative_cost(self) -> float:
        return self.cost_after / self.cost_before if self.cost_before else 1.0


class Evaluator:
    """Weighted workload costs under index configurations, through one WhatIf session."""

    def __init__(self, whatif: WhatIf, items: list[Item]):
        self.whatif, self.items = whatif, items
        self.by_table: dict[str, list[Item]] = {}
        for item in items:
            for t in item.tables:
                self.by_table.setdefault(t, []).append(item)
        self.unsupported: dict[tuple, str] = {}

    def item_cost(self, item: Item, config: list[IndexSpec]) -> float:
        return self.whatif.cost(item.sql, config, item.tables, key=item.key)

    def total(self, config: list[IndexSpec]) -> float:
        return sum(i.weight * self.item_cost(i, config) for i in self.items)

    def relevant(self, spec: IndexSpec) -> list[Item]:
        """Statements the index may serve: they read its table and its leading column."""
        lead = spec.columns[0].removesuffix(" DESC")
        return [i for i in self.by_table.get(spec.table, []) if lead in i.attrs.get(spec.table, ())]

    def delta(self, items: list[Item], before: list[IndexSpec], after: list[IndexSpec]):
        """(weighted gain, weighted cost before) over ``items``."""
        gain = base = 0.0
        for item in items:
            b = self.item_cost(item, before)
            gain += item.weight * (b - self.item_cost(item, after))
            base += item.weight * b
        return gain, base

    def size(self, spec: IndexSpec) -> int:
        return self.whatif.size(spec)

    def used(self, config: list[IndexSpec]) -> list[IndexSpec]:
        """The indexes of ``config`` the planner scans in some statement's plan, all present."""
        found: dict[tuple, IndexSpec] = {}
        for item in self.items:
            plan = self.whatif.plan(item.sql, config, item.tables)
            for spec in self.whatif.used_indexes(plan):
                found.setdefault(spec.key(), spec)
        return list(found.values())


def select(ev: Evaluator, candidates: list[IndexSpec], limits: Limits,
           write_cost: Callable[[IndexSpec], float] = lambda s: 0.0,
           extend_attrs: dict[str, list[str]] | None = None) -> Selection:
    """Greedy selection within ``limits``; every candidate not chosen gets a reason.

    Under a size budget two greedy runs are made - by benefit per byte and by benefit - and the
    cheaper workload wins (the knapsack guard: per byte alone can fill the budget with small
    indexes and leave out the one large index that pays most), then a relaxation from the top
    down, each improved by the swap phase."""
    runs = [True, False] if limits.max_bytes is not None else [False]
    results = [_greedy(ev, candidates, limits, write_cost, extend_attrs, per_byte) for per_byte in runs]
    best = min(results, key=lambda r: r.cost_after)
    if limits.max_bytes is None:
        return best
    starts = [best, _relax(ev, candidates, limits, write_cost, extend_attrs)]
    best = min((_swap(ev, candidates, s, limits, write_cost, extend_attrs) for s in starts),
               key=lambda r: r.cost_after)
    return _polish(ev, candidates, best, limits, write_cost, extend_attrs)


def _polish(ev: Evaluator, candidates, selection: Selection, limits: Limits, write_cost, extend_attrs,
            tries: int = POLISH_TRIES) -> Selection:
    """The last pass, on the true workload cost: drop every chosen index whose removal does not
    make the workload dearer (a later pick made it useless, or its presence steers the planner to
    a worse plan), then refill the budget; then take out in turn each of the ``tries`` chosen
    indexes that lose least per byte and free room for a paying candidate that did not fit,
    refill without it, and keep the cheapest result (ties: the order of ``chosen``)."""
    best = selection
    kept = _drop_useless(ev, best.chosen, write_cost)
    if len(kept) < len(best.chosen):
        again = _greedy(ev, candidates, limits, write_cost, extend_attrs, True, start=kept,
                        benefits=best.benefit)
        if again.cost_after <= best.cost_after:
            best = again
    tried: set[tuple] = set()
    while True:
        room = _room_needed(ev, best, limits)
        losses = {c.key(): _loss(ev, c, best.chosen, write_cost) for c in best.chosen}
        order = sorted((c for c in best.chosen if c.key() not in tried and ev.size(c) >= room),
                       key=lambda c: losses[c.key()] / max(ev.size(c), 8192))
        improved = None
        for out in order[:max(tries - len(tried), 0)]:
            tried.add(out.key())
            rest = [c for c in best.chosen if c is not out]
            again = _greedy(ev, [c for c in candidates if c.key() != out.key()], limits, write_cost,
                            extend_attrs, True, start=rest, benefits=best.benefit)
            if again.cost_after < (improved or best).cost_after * (1 - 1e-6):
                improved = again
        if improved is None:
            return _tidy(best, candidates)
        best = improved


def _room_needed(ev: Evaluator, selection: Selection, limits: Limits) -> float:
    """Bytes an index must free to let in the smallest paying candidate that did not fit (taking
    out a smaller one only lets in what already fitted, and the greedy took all that paid)."""
    free = limits.max_bytes - sum(ev.size(c) for c in selection.chosen)
    sizes = [ev.size(spec) for spec, why, gain in selection.rejected.values()
             if why.startswith("over budget") and gain > 0]
    return min(sizes) - free if sizes else float("inf")


def _loss(ev: Evaluator, spec: IndexSpec, config: list[IndexSpec], write_cost) -> float:
    """What the workload pays more without ``spec`` (only its table's statements can change)."""
    rest = [c for c in config if c is not spec]
    return ev.delta(ev.by_table.get(spec.table, []), rest, config)[0] - write_cost(spec)


def _drop_useless(ev: Evaluator, config: list[IndexSpec], write_cost) -> list[IndexSpec]:
    """``config`` without the indexes whose removal does not raise the cost, worst first."""
    config = list(config)
    while config:
        loss, worst = min(((_loss(ev, c, config, write_cost), c) for c in config),
                          key=lambda p: p[0])
        if loss > 0:
            break
        config.remove(worst)
    return config


def _tidy(selection: Selection, candidates) -> Selection:
    """Benefits of the chosen indexes only; a reason for each candidate left out."""
    keys = {c.key() for c in selection.chosen}
    selection.benefit = {k: v for k, v in selection.benefit.items() if k in keys}
    for spec in candidates:
        if spec.key() not in keys and spec.key() not in selection.rejected:
            selection.rejected[spec.key()] = (spec, "over budget", 0.0)
    return selection


def _relax(ev: Evaluator, candidates, limits: Limits, write_cost, extend_attrs) -> Selection:
    """Relaxation (Bruno and Chaudhuri), top-down: from the indexes the plans use with every
    candidate present, drop first any whose removal makes the workload cheaper (the planner's
    heuristics let some index spoil another plan), then the one losing least per byte freed, until
    the budget holds; then fill the budget greedily. Finds the combinations of large indexes the
    bottom-up greedy never assembles (TPC-H at 1.5-2 GB)."""
    try:
        config = ev.used(candidates)
    except AdvisorError:
        return _greedy(ev, candidates, limits, write_cost, extend_attrs, True)
    losses: dict[tuple, float] = {}
    while config:
        used = sum(ev.size(c) for c in config)
        over = used > limits.max_bytes or limits.max_indexes is not None and len(config) > limits.max_indexes
        for spec in config:
            rest = [c for c in config if c is not spec]
            loss, _ = ev.delta(ev.by_table.get(spec.table, []), rest, config)
            losses[spec.key()] = loss - write_cost(spec)
        worst = min(config, key=lambda c: losses[c.key()])
        if losses[worst.key()] < 0:
            config.remove(worst)
        elif over:
            config.remove(min(config, key=lambda c: losses[c.key()] / max(ev.size(c), 8192)))
        else:
            break
    benefits = {c.key(): losses[c.key()] for c in config}
    return _greedy(ev, candidates, limits, write_cost, extend_attrs, True, start=config, benefits=benefits)


def _swap(ev: Evaluator, candidates, selection: Selection, limits: Limits, write_cost, extend_attrs,
          top: int = SWAP_CANDIDATES) -> Selection:
    """Local search after the greedy: trade one chosen index for one of the most promising that
    did not fit, when the workload gets cheaper within the budget, then fill the budget again."""
    best = selection
    tried: set[tuple] = set()
    while True:
        chosen_keys = {c.key() for c in best.chosen}
        outside = sorted((r for r in best.rejected.values() if r[1].startswith("over budget")
                          and r[0].key() not in chosen_keys and r[0].key() not in tried),
                         key=lambda r: -r[2])[:top]
        used = sum(ev.size(c) for c in best.chosen)
        improved = None
        for spec, _, _ in outside:
            tried.add(spec.key())
            for out in best.chosen:
                if used - ev.size(out) + ev.size(spec) > limits.max_bytes or _covered_by(spec, [
                        c for c in best.chosen if c is not out]):
                    continue
                config = [c for c in best.chosen if c is not out] + [spec]
                if ev.total(config) + write_cost(spec) - write_cost(out) < best.cost_after * (1 - 1e-6):
                    improved = config
                    break
            if improved:
                break
        if improved is None:
            return best
        again = _greedy(ev, candidates, limits, write_cost, extend_attrs, True, start=improved,
                        benefits=best.benefit)
        if again.cost_after >= best.cost_after:
            return best
        best = again


def _greedy(ev: Evaluator, candidates: list[IndexSpec], limits: Limits, write_cost,
            extend_attrs: dict[str, list[str]] | None, per_byte: bool,
            start: list[IndexSpec] | None = None, benefits: dict | None = None) -> Selection:
    config: list[IndexSpec] = list(start or [])
    used_bytes = sum(ev.size(c) for c in config)
    rejected: dict[tuple, tuple[IndexSpec, str, float]] = {}
    benefits = dict(benefits or {})
    counter = itertools.count()
    heap: list[tuple[float, int, Move]] = []
    dormant: list[Move] = []
    for spec in candidates:
        heapq.heappush(heap, (-float("inf"), next(counter), Move(spec)))
    for spec in config:
        for wider in _widenings(spec, extend_attrs or {}, limits.max_width):
            heapq.heappush(heap, (-float("inf"), next(counter), Move(wider, spec)))
    while heap:
        _, rank, move = heapq.heappop(heap)
        if not _valid(move, config):
            continue
        candidate = move.replaces is None  # not a widening: its rejection is worth a reason
        if candidate:  # a wider version of a chosen index replaces it, never joins it
            narrower = next((c for c in config if _covered_by(c, [move.add])), None)
            move = Move(move.add, narrower) if narrower else move
        try:
            score, gain, why = _score(ev, move, config, limits, write_cost, used_bytes, per_byte)
        except AdvisorError as exc:  # UnsupportedIndex, or a statement timing out
            rejected[move.add.key()] = (move.add, f"not costed: {exc}", 0.0)
            continue
        if why:
            if candidate:
                rejected[move.add.key()] = (move.add, why, gain)
            if gain <= 0 and not why.startswith("covered"):
                dormant.append(move)  # may pay once another index changes the plan (joins)
            continue
        if heap and (-score, rank) > heap[0][:2]:  # a tie goes to the earlier, better-guessed move
            heapq.heappush(heap, (-score, rank, move))
            continue
        config = [c for c in config if c is not move.replaces] + [move.add]
        used_bytes += ev.size(move.add) - (ev.size(move.replaces) if move.replaces else 0)
        benefits[move.add.key()] = benefits.pop(move.replaces.key(), 0.0) + gain if move.replaces else gain
        rejected.pop(move.add.key(), None)
        for wider in _widenings(move.add, extend_attrs or {}, limits.max_width):
            heapq.heappush(heap, (-float("inf"), next(counter), Move(wider, move.add)))
        touched = {i.key for i in ev.relevant(move.add)}
        woken = [m for m in dormant if touched & {i.key for i in ev.relevant(m.add)}]
        dormant = [m for m in dormant if m not in woken]
        for m in woken:
            heapq.heappush(heap, (-float("inf"), next(counter), m))
    chosen_keys = {c.key() for c in config}
    for spec in candidates:
        if spec.key() not in chosen_keys and spec.key() not in rejected:
            rejected[spec.key()] = (spec, _covered_by(spec, config) or "over budget", 0.0)
    return Selection(config, rejected, ev.total([]), ev.total(config), benefits)


def _valid(move: Move, config: list[IndexSpec]) -> bool:
    keys = {c.key() for c in config}
    if move.add.key() in keys:
        return False
    return move.replaces is None or move.replaces.key() in keys


def _score(ev: Evaluator, move: Move, config, limits: Limits, write_cost, used_bytes, per_byte):
    """(score, net gain, reason it cannot be taken or "")."""
    after = [c for c in config if c is not move.replaces] + [move.add]
    covered = _covered_by(move.add, [c for c in config if c is not move.replaces])
    if covered:
        return 0.0, 0.0, covered
    items = ev.relevant(move.add)
    gain, base = ev.delta(items, config, after)
    extra_bytes = ev.size(move.add) - (ev.size(move.replaces) if move.replaces else 0)
    overhead = 0.0 if move.replaces else write_cost(move.add)
    net = gain - overhead
    if gain <= 0:
        overlap = _overlapping(move.add, config)
        if overlap:
            return 0.0, net, f"covered by {overlap}, chosen: no further gain"
        return 0.0, net, "no plan uses it: the planner's cost does not drop"
    if net <= 0:
        return 0.0, net, f"write cost: {overhead:,.0f} of maintenance outweighs {gain:,.0f} of gain"
    if base and gain / base < limits.min_improvement:
        return 0.0, net, (f"too little gain: {100 * gain / base:.1f}% < "
                          f"{100 * limits.min_improvement:.0f}% of the cost of the statements it serves")
    if move.replaces is None and limits.max_indexes is not None and len(config) >= limits.max_indexes:
        return 0.0, net, f"over budget: the {limits.max_indexes} indexes allowed are taken"
    if limits.max_bytes is not None and used_bytes + extra_bytes > limits.max_bytes:
        return 0.0, net, (f"over budget: needs {extra_bytes / 1048576:,.1f} MB, "
                          f"{(limits.max_bytes - used_bytes) / 1048576:,.1f} MB left")
    score = net / max(extra_bytes, 8192) if per_byte else net
    return score, net, ""


def _widenings(spec: IndexSpec, attrs: dict[str, list[str]], max_width: int):
    if spec.method != "btree" or spec.include or len(spec.columns) >= max_width:
        return
    present = {c.removesuffix(" DESC") for c in spec.columns}
    for attr in attrs.get(spec.table, []):
        if attr not in present:
            yield IndexSpec(spec.table, spec.columns + [attr], where=spec.where)


def _overlapping(spec: IndexSpec, config: list[IndexSpec]) -> str | None:
    from advisor.ddl import index_name

    lead = spec.columns[0].removesuffix(" DESC")
    for c in config:
        if c.table == spec.table and c.columns[0].removesuffix(" DESC") == lead:
            return index_name(c)
    return None


def _covered_by(spec: IndexSpec, config: list[IndexSpec]) -> str | None:
    """A chosen index whose leading keys are ``spec``'s (and whose columns hold its INCLUDEs)."""
    for c in config:
        if c.table == spec.table and c.method == spec.method and c.where == spec.where and \
                c.columns[:len(spec.columns)] == spec.columns and \
                set(spec.include) <= set(c.columns) | set(c.include):
            from advisor.ddl import index_name

            return f"covered by {index_name(c)}, chosen instead"
    return None
