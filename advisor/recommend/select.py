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

The selection is anytime: the ``Deadline`` of the ``Evaluator`` ends each phase at its deadline, and
what was chosen by then is the result (``Selection.stopped`` names the phase it ended). What a
statement costs under a set of indexes, and which statements a candidate is priced on: see
``Evaluator``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from advisor.errors import AdvisorError
from advisor.model import IndexSpec
from advisor.recommend.whatif import WhatIf

SWAP_CANDIDATES = 16  # over-budget candidates (by gain) the swap phase tries against each chosen index
POLISH_TRIES = 4  # chosen indexes (cheapest to lose per byte) the polish phase takes out, refilling
NEGLIGIBLE = 0.01  # a statement under this share of the average statement's cost is not priced per candidate


@dataclass
class Item:
    """One statement of the workload (or a template of several), as the selection sees it."""

    key: str  # fingerprint
    sql: str
    weight: float
    tables: frozenset[str]
    attrs: dict[str, set[str]] = field(default_factory=dict)  # table -> indexable columns
    used: dict[str, set[str]] = field(default_factory=dict)  # table -> every column read
    members: list[tuple[str, float]] = field(default_factory=list)  # a template's (fingerprint, weight)
    sorts: dict[str, set[str]] = field(default_factory=dict)  # table -> every key it is sorted on
    proposed: dict[tuple, int] = field(default_factory=dict)  # candidate key -> rank in its list
    together: list[tuple[IndexSpec, ...]] = field(default_factory=list)  # used only all at once (an OR)

    @cached_property
    def leads(self) -> list[tuple[str, str]]:
        """Every (table, column) an index may lead with to serve it (the selection asks it for
        every configuration; ``attrs`` is not changed after)."""
        return [(t, c) for t, columns in self.attrs.items() for c in columns]


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
    together: tuple[IndexSpec, ...] = ()  # a set taken whole: ``add`` and the others still missing

    def describe(self) -> str:
        if self.together:
            return f"add {[s.columns for s in self.together]} together"
        return f"widen {self.replaces.columns} to {self.add.columns}" if self.replaces else f"add {self.add.columns}"


@dataclass
class Selection:
    chosen: list[IndexSpec]
    rejected: dict[tuple, tuple[IndexSpec, str, float]]  # key -> (spec, reason, benefit)
    cost_before: float
    cost_after: float
    benefit: dict[tuple, float] = field(default_factory=dict)  # chosen key -> benefit when taken
    stopped: str | None = None  # the phase the time limit ended, if it did

    @property
    def relative_cost(self) -> float:
        return self.cost_after / self.cost_before if self.cost_before else 1.0


class Evaluator:
    """Weighted workload costs under index configurations, through one WhatIf session.

    A statement is priced only with the indexes it can use, each cut to the part it uses: an
    index whose leading key it does not search on is left out, and trailing keys it neither
    searches nor sorts on are dropped unless the index covers every column it reads (an
    index-only scan); the keys it sorts on stay. So (a, b) and (a, c) cost a statement searching
    on ``a`` alone the same as (a), and one EXPLAIN serves all three."""

    def __init__(self, whatif: WhatIf, items: list[Item], deadline: Deadline | None = None):
        self.whatif, self.items = whatif, items
        self.deadline = deadline or Deadline()
        self.by_table: dict[str, list[Item]] = {}
        self.by_lead: dict[tuple[str, str], list[Item]] = {}
        for item in items:
            for t in item.tables:
                self.by_table.setdefault(t, []).append(item)
            for t, columns in item.attrs.items():
                for c in columns:
                    self.by_lead.setdefault((t, c), []).append(item)
        self.unsupported: dict[tuple, str] = {}
        self._negligible: set[str] | None = None
        self._cuts: dict[int, tuple] = {}  # effective() per (item, index): see _memo
        self._proxies: dict[int, tuple] = {}  # proxy() per (item, candidate)
        self._single: dict[int, tuple] = {}  # a one-table statement's cost with one index alone
        self._base: tuple[tuple, list, set] = ((None,), [], set())  # gain_of's configuration
        self._entries: dict[int, tuple] = {}  # its baseline per statement (_baseline)

    def item_cost(self, item: Item, config: list[IndexSpec]) -> float:
        return self.costs([(item, config)])[0]

    def costs(self, pairs: list[tuple[Item, list[IndexSpec]]], exact: bool = True) -> list[float]:
        """The cost of each (item, config); what is not cached is EXPLAINed in one batch."""
        leads: dict[int, dict] = {}  # id(config) -> its indexes by (table, leading key)
        cuts = []
        for item, config in pairs:
            if id(config) not in leads:
                leads[id(config)] = _by_lead(config)
            cuts.append(self._usable(item, leads[id(config)]))
        return self._priced(list(zip((i for i, _ in pairs), cuts, strict=True)), exact)

    def _priced(self, pairs: list[tuple[Item, list[IndexSpec]]], exact: bool) -> list[float]:
        """The cost of each (item, the parts of indexes it uses).

        Not ``exact``: a statement reading one table, with several indexes it can use, costs
        what it costs with the best of them alone - the planner scans one index for it unless
        it ANDs or ORs bitmaps, so this is an upper bound that reuses the costs of each index
        alone instead of EXPLAINing every combination (joins are always priced exactly)."""
        requests: list[tuple] = []
        spans: list[tuple[int, int]] = []
        for item, cuts in pairs:
            alone = [[c] for c in cuts] if not exact and len(cuts) > 1 and len(item.tables) == 1 else [cuts]
            spans.append((len(requests), len(requests) + len(alone)))
            requests += [(item.sql, c, item.tables, item.key) for c in alone]
        found = self.whatif.costs(requests)
        return [min(found[a:b]) for a, b in spans]

    def usable(self, item: Item, config: list[IndexSpec]) -> list[IndexSpec]:
        """The part of each index of ``config`` that ``item`` can use (see the class)."""
        return self._usable(item, _by_lead(config))

    def _usable(self, item: Item, leads: dict[tuple[str, str], list[IndexSpec]]) -> list[IndexSpec]:
        found: dict[tuple, IndexSpec] = {}
        cuts = None
        for lead in item.leads:
            specs = leads.get(lead)
            if not specs:
                continue
            cuts = cuts if cuts is not None else _slot(self._cuts, item)
            for spec in specs:  # _memo's lookup, inline: the hottest loop of the selection
                known = cuts.get(id(spec))
                if known is None or known[0] is not spec:
                    known = cuts[id(spec)] = (spec, effective(item, spec))
                if known[1] is not None:
                    found.setdefault(known[1].key(), known[1])
        return list(found.values())

    def total(self, config: list[IndexSpec]) -> float:
        costs = self.costs([(i, config) for i in self.items])
        return sum(i.weight * c for i, c in zip(self.items, costs, strict=True))

    def relevant(self, spec: IndexSpec) -> list[Item]:
        """Statements the index may serve: they read its table and search on its leading key."""
        return self.by_lead.get((spec.table, _bare(spec.columns[0])), [])

    def scored(self, spec: IndexSpec) -> list[Item]:
        """``relevant`` without the negligible statements: those that cost less than
        ``NEGLIGIBLE`` of an average statement's weighted cost before any new index (a primary-key
        lookup next to table scans), so together they weigh at most that share of the workload
        and pricing candidates on them cannot change the choice."""
        if self._negligible is None:
            costs = self.costs([(i, []) for i in self.items])
            weighted = [i.weight * c for i, c in zip(self.items, costs, strict=True)]
            floor = NEGLIGIBLE * sum(weighted) / max(len(self.items), 1)
            self._negligible = {i.key for i, w in zip(self.items, weighted, strict=True) if w < floor}
        return [i for i in self.relevant(spec) if i.key not in self._negligible]

    def delta(self, items: list[Item], before: list[IndexSpec], after: list[IndexSpec],
              exact: bool = True):
        """(weighted gain, weighted cost before) over ``items``."""
        b, a = _by_lead(before), _by_lead(after)
        return self._delta(items, [self._usable(i, b) for i in items],
                           [self._usable(i, a) for i in items], exact)

    def gain_of(self, items: list[Item], config: list[IndexSpec], spec: IndexSpec, enough=None):
        """``delta`` of adding the candidate ``spec`` to ``config``, as the greedy scores it: each
        statement is priced with the part of ``spec`` it asked for itself (``proxy``), so a
        candidate costs no EXPLAIN beyond the ones its statements' own candidates need.

        ``enough(bound, total)``: whether a gain of at most ``bound`` could be taken. When it
        could not, nothing is EXPLAINed and ``(bound, total)`` is returned: a statement's cost
        cannot drop below zero, so the bound is its cost today for each statement not priced."""
        base = self._baseline(config, items)
        gain = total = bound = 0.0
        changed: list[tuple[Item, list[IndexSpec]]] = []
        extras: list[tuple[IndexSpec, bool]] = []
        for item in items:
            _, cuts, cost, afters = base[id(item)]
            total += item.weight * cost
            extra = self._proxy(item, spec)
            after = _with(cuts, extra)
            if after is cuts:  # the candidate changes nothing for it
                continue
            known = afters.get(id(extra))
            if known is not None and known[0] is extra:  # another candidate it stands for, or a re-score
                gain += item.weight * (cost - known[1])
                continue
            # one table, not exact: the best of the indexes alone, so the baseline (the best of
            # ``cuts``) against the extra alone, whatever the configuration
            alone = len(item.tables) == 1
            single = _slot(self._single, item).get(id(extra)) if alone else None
            if single is not None and single[0] is extra:
                afters[id(extra)] = (extra, min(single[1], cost) if cuts else single[1])
                gain += item.weight * (cost - afters[id(extra)][1])
            else:
                changed.append((item, [extra] if alone else after))
                extras.append((extra, alone))
                bound += item.weight * cost
        if enough is not None and changed and not enough(gain + bound, total):
            return gain + bound, total, False
        for (item, _), (extra, alone), cost in zip(changed, extras, self._priced(changed, exact=False),
                                                   strict=True):
            entry = base[id(item)]
            if alone:
                _slot(self._single, item)[id(extra)] = (extra, cost)
                cost = min(cost, entry[2]) if entry[1] else cost
            entry[3][id(extra)] = (extra, cost)
            gain += item.weight * (entry[2] - cost)
        return gain, total, True

    def _baseline(self, config: list[IndexSpec], items: list[Item]) -> dict[int, tuple]:
        """id(item) -> (item, its cuts of ``config``, its cost with them, not exact, and its cost
        with each proxy added: id -> (proxy, cost)), kept while the greedy prices candidate after
        candidate against one configuration, and across configurations for a statement whose cuts
        a new index leaves as they were (most of them: an index serves few statements)."""
        signature = tuple(map(id, config))
        if signature != self._base[0]:
            self._base = (signature, list(config), set())  # the list keeps the ids its own
        valid, memo = self._base[2], self._entries
        missing = [i for i in items if id(i) not in valid]
        if missing:
            leads = _by_lead(config)
            stale = []
            for item in missing:
                cuts = self._usable(item, leads)
                entry = memo.get(id(item))
                if entry is None or entry[0] is not item or not _same(entry[1], cuts):
                    stale.append((item, cuts))
            for (item, cuts), cost in zip(stale, self._priced(stale, exact=False), strict=True):
                memo[id(item)] = (item, cuts, cost, {})
            valid.update(id(i) for i in missing)  # once priced: a statement that timed out is tried again
        return memo

    def _proxy(self, item: Item, spec: IndexSpec) -> IndexSpec | None:
        return _memo(self._proxies, item, spec, proxy)

    def _delta(self, items: list[Item], befores: list[list[IndexSpec]], afters: list[list[IndexSpec]],
               exact: bool):
        changed = [k for k, (b, a) in enumerate(zip(befores, afters, strict=True)) if not _same(b, a)]
        costs = self._priced(list(zip(items, befores, strict=True))
                             + [(items[k], afters[k]) for k in changed], exact)
        after = costs[:len(items)]
        for k, cost in zip(changed, costs[len(items):], strict=True):
            after[k] = cost
        gain = base = 0.0
        for item, b, a in zip(items, costs[:len(items)], after, strict=True):
            gain += item.weight * (b - a)
            base += item.weight * b
        return gain, base

    def change(self, items: list[Item], config: list[IndexSpec], after: list[IndexSpec], enough=None):
        """``delta(items, config, after, exact=False)``, ``config``'s side from the baseline the
        greedy keeps for it (see ``gain_of``, also for ``enough`` and the third value)."""
        base = self._baseline(config, items)
        leads = _by_lead(after)
        changed = []
        for item in items:
            cuts = self._usable(item, leads)
            if not _same(base[id(item)][1], cuts):
                changed.append((item, cuts))
        total = sum(item.weight * base[id(item)][2] for item in items)
        bound = sum(item.weight * (base[id(item)][2] - self._floor(item, base[id(item)][2]))
                    for item, _ in changed)
        if enough is not None and changed and not enough(bound, total):
            return bound, total, False
        gain = sum(item.weight * (base[id(item)][2] - cost) for (item, _), cost in
                   zip(changed, self._priced(changed, exact=False), strict=True))
        return gain, total, True

    def _floor(self, item: Item, cost: float) -> float:
        """What ``change`` takes as the least ``item`` may cost: for a one-table statement whose
        candidates have all been priced alone, the best of them (its candidates are the indexes
        made for it: a widened index serves it no better), else zero."""
        if len(item.tables) != 1:
            return 0.0
        slot = self._single.get(id(item))
        if slot is None or slot[0] is not item:
            return 0.0
        own = {s.key(): c for s, c in slot[1].values() if s.key() in item.proposed}
        return min(cost, *own.values()) if len(own) == len(item.proposed) else 0.0

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


def _by_lead(config: list[IndexSpec]) -> dict[tuple[str, str], list[IndexSpec]]:
    leads: dict[tuple[str, str], list[IndexSpec]] = {}
    for spec in config:
        leads.setdefault((spec.table, _bare(spec.columns[0])), []).append(spec)
    return leads


def _memo(memo: dict, item: Item, spec: IndexSpec, fn: Callable[[Item, IndexSpec], IndexSpec | None]):
    """``fn(item, spec)``, kept per (item, spec) by identity (the hot path): the memo holds both
    objects, so their ids stay their own."""
    per_item = _slot(memo, item)
    known = per_item.get(id(spec))
    if known is None or known[0] is not spec:
        known = per_item[id(spec)] = (spec, fn(item, spec))
    return known[1]


def _slot(memo: dict, item: Item) -> dict[int, tuple]:
    """``item``'s part of an identity memo: id(spec) -> (spec, value)."""
    per_item = memo.get(id(item))
    if per_item is None or per_item[0] is not item:
        per_item = memo[id(item)] = (item, {})
    return per_item[1]


def _same(a: list[IndexSpec], b: list[IndexSpec]) -> bool:
    """Whether two lists of cuts hold the same indexes (so a statement costs the same)."""
    return a is b or (len(a) == len(b) and {c.key() for c in a} == {c.key() for c in b})


def _with(cuts: list[IndexSpec], extra: IndexSpec | None) -> list[IndexSpec]:
    if extra is None or any(c.key() == extra.key() for c in cuts):
        return cuts
    return cuts + [extra]


def effective(item: Item, spec: IndexSpec) -> IndexSpec | None:
    """The part of ``spec`` that ``item`` can use, or None when it cannot use it at all."""
    attrs = item.attrs.get(spec.table)
    if not attrs or _bare(spec.columns[0]) not in attrs:
        return None
    if spec.method != "btree":
        return spec
    keys = [_bare(c) for c in spec.columns]
    read = item.used.get(spec.table) or set()
    if read and read <= set(keys) | set(spec.include):
        return spec  # covers the statement: an index-only scan may use every key
    keep = attrs | item.sorts.get(spec.table, set())
    n = max(i for i, k in enumerate(keys) if k in keep) + 1
    if n == len(keys) and not spec.include:
        return spec
    return IndexSpec(spec.table, spec.columns[:n], where=spec.where, opclass=spec.opclass)


def proxy(item: Item, spec: IndexSpec) -> IndexSpec | None:
    """What ``item`` is priced with for the candidate ``spec``: the part it uses when it proposed
    that part itself, else the longest of its own candidates that the part starts with (a
    statement searching ``a = ? AND x > ?`` that proposed (a) is priced for (a, x) as for (a)),
    else nothing."""
    cut = effective(item, spec)
    if cut is None or cut.key() in item.proposed:
        return cut
    best = None
    for table, columns, method, include, where, opclass in item.proposed:
        if (table == cut.table and not include and method == cut.method and where == cut.where
                and opclass == cut.opclass and list(columns) == cut.columns[:len(columns)]
                and (best is None or len(columns) > len(best.columns))):
            best = IndexSpec(table, list(columns), method=method, where=where, opclass=opclass)
    return best


class Deadline:
    """The selection's deadline (``time_limit`` seconds from now, None: none) and its progress
    reports: ``on_progress(phase, done, total)``."""

    def __init__(self, time_limit: float | None = None, on_progress=None):
        self._now = time.monotonic
        self.deadline = None if time_limit is None else self._now() + time_limit
        self.time_limit = time_limit
        self.on_progress = on_progress or (lambda phase, done, total: None)
        self.stopped: str | None = None  # the phase the deadline ended

    def expired(self, phase: str) -> bool:
        if self.deadline is not None and self.stopped is None and self._now() >= self.deadline:
            self.stopped = phase
        return self.stopped is not None

    def report(self, phase: str, done: int, total: int) -> None:
        self.on_progress(phase, done, total)


def _bare(column: str) -> str:
    return column.removesuffix(" DESC")


def select(ev: Evaluator, candidates: list[IndexSpec], limits: Limits,
           write_cost: Callable[[IndexSpec], float] = lambda s: 0.0,
           extend_attrs: dict[str, list[str]] | None = None) -> Selection:
    """Greedy selection within ``limits``; every candidate not chosen gets a reason.

    Under a size budget two greedy runs are made - by benefit per byte and by benefit - and the
    cheaper workload wins (the knapsack guard: per byte alone can fill the budget with small
    indexes and leave out the one large index that pays most), then a relaxation from the top
    down, each improved by the swap phase."""
    runs = [True, False] if limits.max_bytes is not None else [False]
    results = []
    for per_byte in runs:
        if not results or not ev.deadline.expired("greedy"):
            results.append(_greedy(ev, candidates, limits, write_cost, extend_attrs, per_byte))
    best = min(results, key=lambda r: r.cost_after)
    if limits.max_bytes is not None and not ev.deadline.expired("relaxation"):
        starts = [best, _relax(ev, candidates, limits, write_cost, extend_attrs)]
        best = min((_swap(ev, candidates, s, limits, write_cost, extend_attrs) for s in starts),
                   key=lambda r: r.cost_after)
        best = _polish(ev, candidates, best, limits, write_cost, extend_attrs)
    best.stopped = ev.deadline.stopped
    return best


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
    while not ev.deadline.expired("polish"):
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
            break
        best = improved
    return _tidy(best, candidates)


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
    while config and not ev.deadline.expired("relaxation"):
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
    while not ev.deadline.expired("swap"):
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
            break
        again = _greedy(ev, candidates, limits, write_cost, extend_attrs, True, start=improved,
                        benefits=best.benefit)
        if again.cost_after >= best.cost_after:
            break
        best = again
    return best


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
    for group in _sets(ev.items):
        heapq.heappush(heap, (-float("inf"), next(counter), Move(group[0], together=group)))
    for spec in config:
        for wider in _widenings(spec, extend_attrs or {}, limits.max_width):
            heapq.heappush(heap, (-float("inf"), next(counter), Move(wider, spec)))
    scored: set[tuple] = set()
    keys = {c.key() for c in config}
    reads: dict[tuple, frozenset[str]] = {}  # candidate key -> the statements it may serve

    def serves(spec: IndexSpec) -> frozenset[str]:
        if spec.key() not in reads:
            reads[spec.key()] = frozenset(i.key for i in ev.relevant(spec))
        return reads[spec.key()]

    while heap and not ev.deadline.expired("greedy"):
        _, rank, move = heapq.heappop(heap)
        move = _missing(move, config) if move.together else move
        if move is None or not _valid(move, keys):
            continue
        candidate = move.replaces is None  # not a widening: its rejection is worth a reason
        if candidate and not move.together:  # a wider version of a chosen index replaces it, never joins it
            narrower = next((c for c in config if _covered_by(c, [move.add])), None)
            move = Move(move.add, narrower) if narrower else move
        if move.add.key() not in scored:
            scored.add(move.add.key())
            ev.deadline.report("selection", min(len(scored), len(candidates)), len(candidates))
        try:
            score, gain, why, priced = _score(ev, move, config, limits, write_cost, used_bytes, per_byte)
        except AdvisorError as exc:  # UnsupportedIndex, or a statement timing out
            rejected[move.add.key()] = (move.add, f"not costed: {exc}", 0.0)
            continue
        if why:
            for spec in (move.together or [move.add]) if candidate else []:
                rejected[spec.key()] = (spec, why + _set_note(spec, move.together), gain)
            if (gain <= 0 or not priced) and not why.startswith("covered"):
                dormant.append(move)  # may pay once another index changes the plan (joins)
            continue
        if heap and (-score, rank) > heap[0][:2]:  # a tie goes to the earlier, better-guessed move
            heapq.heappush(heap, (-score, rank, move))
            continue
        added = list(move.together or [move.add])
        config = [c for c in config if c is not move.replaces] + added
        keys = {c.key() for c in config}
        used_bytes += sum(ev.size(a) for a in added) - (ev.size(move.replaces) if move.replaces else 0)
        for spec in added:  # a set's gain shared out evenly: each of its indexes is needed for all of it
            benefits[spec.key()] = benefits.pop(move.replaces.key(), 0.0) + gain if move.replaces \
                else gain / len(added)
            rejected.pop(spec.key(), None)
            for wider in _widenings(spec, extend_attrs or {}, limits.max_width):
                heapq.heappush(heap, (-float("inf"), next(counter), Move(wider, spec)))
        touched = frozenset().union(*(serves(a) for a in added))
        woken = [m for m in dormant if not touched.isdisjoint(serves(m.add))]
        if woken:  # by identity: comparing moves field by field is what made this slow
            gone = {id(m) for m in woken}
            dormant = [m for m in dormant if id(m) not in gone]
        for m in woken:
            heapq.heappush(heap, (-float("inf"), next(counter), m))
    chosen_keys = {c.key() for c in config}
    for spec in candidates:
        if spec.key() not in chosen_keys and spec.key() not in rejected:
            rejected[spec.key()] = (spec, _covered_by(spec, config) or (
                _late(ev.deadline, spec.key() in scored) if ev.deadline.stopped else "over budget"), 0.0)
    return Selection(config, rejected, ev.total([]), ev.total(config), benefits)


def _late(deadline: Deadline, scored: bool) -> str:
    limit = f"the time limit ({deadline.time_limit:g} s) ended the selection"
    return f"not taken: {limit} before its turn" if scored else f"not priced: {limit} first"


def _valid(move: Move, chosen: set[tuple]) -> bool:
    """``chosen``: the keys of the configuration."""
    if move.add.key() in chosen:
        return False
    return move.replaces is None or move.replaces.key() in chosen


def _score(ev: Evaluator, move: Move, config, limits: Limits, write_cost, used_bytes, per_byte):
    """(score, net gain, reason it cannot be taken or "", whether the gain was priced or is a bound)."""
    if move.together:
        gain = _set_gain(ev, move, config, write_cost)
        return *_judged(ev, move, config, limits, used_bytes, per_byte, *gain), True
    after = [c for c in config if c is not move.replaces] + [move.add]
    covered = _covered_by(move.add, [c for c in config if c is not move.replaces])
    if covered:
        return 0.0, 0.0, covered, True
    items = ev.scored(move.add)
    overhead = 0.0 if move.replaces else write_cost(move.add)

    def enough(bound: float, base: float) -> bool:
        return bound > overhead and not (base and bound / base < limits.min_improvement)

    gain, base, priced = ev.change(items, config, after, enough) if move.replaces \
        else ev.gain_of(items, config, move.add, enough)
    extra_bytes = ev.size(move.add) - (ev.size(move.replaces) if move.replaces else 0)
    return *_judged(ev, move, config, limits, used_bytes, per_byte, gain, base, extra_bytes, overhead,
                    "" if priced else "at most "), priced


def _set_gain(ev: Evaluator, move: Move, config, write_cost):
    """(gain, base, bytes, write charge) of adding a set whole, priced exactly: the planner ORs
    the bitmaps of several indexes for one statement, which no index alone shows."""
    items = list({i.key: i for spec in move.together for i in ev.scored(spec)}.values())
    gain, base = ev.delta(items, config, config + list(move.together))
    return (gain, base, sum(ev.size(s) for s in move.together),
            sum(write_cost(s) for s in move.together))


def _judged(ev: Evaluator, move: Move, config, limits: Limits, used_bytes, per_byte, gain, base,
            extra_bytes, overhead, bound: str = ""):
    """``bound``: "at most " when ``gain`` is an upper bound, not priced (see ``Evaluator.gain_of``)."""
    net = gain - overhead
    if gain <= 0:
        overlap = _overlapping(move.add, config)
        if overlap:
            return 0.0, net, f"covered by {overlap}, chosen: no further gain"
        return 0.0, net, "no plan uses it: the planner's cost does not drop"
    if net <= 0:
        return 0.0, net, f"write cost: {overhead:,.0f} of maintenance outweighs {bound}{gain:,.0f} of gain"
    if base and gain / base < limits.min_improvement:
        return 0.0, net, (f"too little gain: {bound}{100 * gain / base:.1f}% < "
                          f"{100 * limits.min_improvement:.0f}% of the cost of the statements it serves")
    if move.replaces is None and limits.max_indexes is not None and \
            len(config) + len(move.together or [move.add]) > limits.max_indexes:
        return 0.0, net, f"over budget: the {limits.max_indexes} indexes allowed are taken"
    if limits.max_bytes is not None and used_bytes + extra_bytes > limits.max_bytes:
        return 0.0, net, (f"over budget: needs {extra_bytes / 1048576:,.1f} MB, "
                          f"{(limits.max_bytes - used_bytes) / 1048576:,.1f} MB left")
    score = net / max(extra_bytes, 8192) if per_byte else net
    return score, net, ""


def _sets(items: list[Item]) -> list[tuple[IndexSpec, ...]]:
    """The index sets the statements use only all at once, each once."""
    return list({tuple(s.key() for s in group): group for i in items for group in i.together}.values())


def _missing(move: Move, config: list[IndexSpec]) -> Move | None:
    """A set's move for the indexes of it not chosen yet (a chosen one that starts with the same
    keys serves its branch), None when none is missing."""
    missing = tuple(s for s in move.together if not _covered_by(s, config))
    return Move(missing[0], together=missing) if missing else None


def _set_note(spec: IndexSpec, together: tuple[IndexSpec, ...]) -> str:
    from advisor.ddl import index_name

    others = [index_name(s) for s in together if s is not spec]
    return f" (priced with {', '.join(others)}: each serves one branch of an OR)" if others else ""


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
