"""After the selection: the narrowest index that pays, and one index where two overlap.

    >>> [(v.columns, v.include) for v in variants(IndexSpec("public.t", ["a", "b DESC"], include=["x"]))]
    [(['a', 'b DESC'], []), (['a'], ['x']), (['a'], [])]

The selection optimises the planner's cost: each wider key or INCLUDE column that lowers it a
little more is taken. A reviewer pays in disk, memory and write latency for each. So, in turn:

1. INCLUDE columns are struck where they cannot pay: a wide column (``avg_width`` over
   ``max_include_width``: text bodies, jsonb, bytea) is a second copy of the table; a column the
   workload updates would end HOT updates; and when the table is not mostly all-visible
   (``relallvisible / relpages`` under ``min_all_visible``) an index-only scan visits the heap
   anyway.
2. Each chosen index is replaced by its narrowest variant (fewer INCLUDE columns, fewer
   trailing keys, or a smaller candidate on the same columns, e.g. a partial index) whose
   workload cost, write charge included, is within ``narrow_tolerance`` of the gain of the wide
   one, and which loses less measured time than an index must save
   (``min_saved_seconds_per_hour``: what is worth an index is worth its width).
3. Two chosen indexes led by the same column become one, when one of them, their common
   prefix, or one carrying the other's columns as INCLUDE serves both within the same
   tolerance. Losses add up: a merge and a later narrowing share one tolerance.

Costs are those of the statements each index may serve (``Evaluator.relevant``), with every
other chosen index present.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from advisor.ddl import index_name
from advisor.model import Catalog, IndexSpec, Table
from advisor.recommend.select import Evaluator
from advisor.recommend.timing import Clock
from advisor.recommend.writes import referenced_columns

ROUNDS = 3  # narrow and merge again while either changes something (a merge can free a narrowing)
WIDE_TYPES = ("text", "bytea", "json", "jsonb", "xml", "tsvector")  # wide when no statistics say


@dataclass
class Refined:
    """The chosen indexes once refined, and what refining did to each (for the report)."""

    chosen: list[IndexSpec]
    history: dict[tuple, list[str]] = field(default_factory=dict)  # chosen key -> what happened
    merged: dict[tuple, list[str]] = field(default_factory=dict)  # chosen key -> absorbed index names
    narrower: dict[tuple, dict] = field(default_factory=dict)  # chosen key -> best narrower not taken
    rejected: list[tuple[IndexSpec, str, float]] = field(default_factory=list)
    benefit: dict[tuple, float] = field(default_factory=dict)  # chosen key -> the selection's, less losses
    spent: dict[tuple, float] = field(default_factory=dict)  # chosen key -> gain given up so far
    spent_ms: dict[tuple, float] = field(default_factory=dict)  # chosen key -> measured time given up

    def allows(self, old: list[IndexSpec], step: Step, tolerance: Tolerance) -> bool:
        """Whether ``step`` keeps what the indexes ``old`` came from within the tolerance of their
        gain, and loses less measured time than an index must save (``min_saved_seconds_per_hour``
        over the capture), counting what earlier steps gave up (a merge, then a narrowing)."""
        spent = sum(self.spent.get(s.key(), 0.0) for s in old)
        spent_ms = sum(self.spent_ms.get(s.key(), 0.0) for s in old)
        limit_ms = tolerance.max_lost_ms()
        return step.gain > 0 and spent + max(step.loss, 0.0) <= tolerance.narrow * (step.gain + spent) \
            and (limit_ms is None or spent_ms + max(step.lost_ms, 0.0) < limit_ms)

    def replace(self, old: list[IndexSpec], new: IndexSpec, note: str, step: Step | None = None) -> None:
        loss, lost_ms = (max(step.loss, 0.0), max(step.lost_ms, 0.0)) if step else (0.0, 0.0)
        benefit = sum(self.benefit.pop(spec.key(), 0.0) for spec in old) - loss
        spent = sum(self.spent.pop(spec.key(), 0.0) for spec in old) + loss
        spent_ms = sum(self.spent_ms.pop(spec.key(), 0.0) for spec in old) + lost_ms
        history = [line for spec in old for line in self.history.pop(spec.key(), [])]
        merged = [name for spec in old for name in self.merged.pop(spec.key(), [])]
        at = min(self.chosen.index(s) for s in old)
        self.chosen = [c for c in self.chosen if c not in old]
        if new.key() in {c.key() for c in self.chosen}:  # a variant that is already chosen
            new = next(c for c in self.chosen if c.key() == new.key())
        else:
            self.chosen.insert(min(at, len(self.chosen)), new)
        self.history[new.key()] = self.history.get(new.key(), []) + history + [note]
        self.merged[new.key()] = self.merged.get(new.key(), []) + merged
        self.benefit[new.key()] = self.benefit.get(new.key(), 0.0) + benefit
        self.spent[new.key()] = self.spent.get(new.key(), 0.0) + spent
        self.spent_ms[new.key()] = self.spent_ms.get(new.key(), 0.0) + spent_ms


@dataclass
class Step:
    """Replacing chosen indexes by one: the weighted cost it adds, the gain of what it replaces
    (over neither), and the measured time it adds (ms over the capture)."""

    loss: float
    gain: float
    lost_ms: float = 0.0


@dataclass
class Tolerance:
    """What refinement may give up (from RecommendSettings), and what it must avoid."""

    narrow: float = 0.1  # share of an index's gain a narrower variant may lose
    max_include_width: int = 16  # bytes (pg_stats avg_width) an INCLUDE column may take
    min_all_visible: float = 0.5  # relallvisible / relpages under which INCLUDE is struck
    updated: dict[str, set[str]] = field(default_factory=dict)  # table -> columns UPDATEs set
    clock: Clock | None = None  # measured statement times, to price a narrowing in time too
    min_saved_seconds_per_hour: float = 1.0  # the time a narrowing may not lose

    def max_lost_ms(self) -> float | None:
        """Measured ms over the capture a refinement may give up; None when nothing is measured."""
        if self.clock is None or not self.clock.measured or not self.clock.hours:
            return None
        return self.min_saved_seconds_per_hour * 1000.0 * self.clock.hours


def refine(ev: Evaluator, chosen: list[IndexSpec], candidates: list[IndexSpec], catalog: Catalog,
           tolerance: Tolerance, write_cost: Callable[[IndexSpec], float],
           benefit: dict[tuple, float] | None = None) -> Refined:
    """``chosen`` made as narrow as the workload allows, overlapping indexes merged; ``benefit``:
    the selection's benefit of each, carried over to what replaces it less what that loses."""
    refined = Refined(list(chosen), benefit=dict(benefit or {}))
    costs = _Costs(ev, write_cost, tolerance.clock)
    for spec in list(refined.chosen):
        allowed = admissible(spec, catalog, tolerance)
        if allowed.key() != spec.key():
            refined.replace([spec], allowed, _struck(spec, allowed, catalog, tolerance))
    for _ in range(ROUNDS):
        changed = _narrow(refined, costs, candidates, catalog, tolerance)
        changed = _merge(refined, costs, catalog, tolerance) or changed
        if not changed:
            break
    for spec in refined.chosen:
        refined.narrower[spec.key()] = _next_narrower(spec, refined.chosen, costs, catalog, tolerance)
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


def admissible(spec: IndexSpec, catalog: Catalog, tolerance: Tolerance) -> IndexSpec:
    """``spec`` without the INCLUDE columns that cannot pay: wide ones, ones the workload updates
    (an INCLUDE saves heap visits; on an updated column it ends HOT updates and each update
    clears the page's all-visible bit), all of them where index-only scans read the heap."""
    table = catalog.table(spec.table)
    if not spec.include or table is None:
        return spec
    updated = tolerance.updated.get(spec.table, set())
    include = [c for c in spec.include if not wide(table, c, tolerance) and c not in updated]
    if not _mostly_visible(table, tolerance):
        include = []
    return IndexSpec(spec.table, spec.columns, spec.method, include, spec.where, spec.opclass, spec.unique)


def wide(table: Table, column: str, tolerance: Tolerance) -> bool:
    """Wider than ``max_include_width`` by pg_stats, or of a type that usually is when unknown."""
    col = table.column(column)
    if col is None:
        return False
    if col.stats is not None and col.stats.avg_width is not None:
        return col.stats.avg_width > tolerance.max_include_width
    base = col.type.split("(")[0].strip().lower()
    return base in WIDE_TYPES or col.type.endswith("[]") or base == "character varying" and "(" not in col.type


def _mostly_visible(table: Table, tolerance: Tolerance) -> bool:
    if table.relallvisible is None or table.relpages <= 0:
        return True  # not captured: the planner's costs (which read it) decide alone
    return table.relallvisible / table.relpages >= tolerance.min_all_visible


def _struck(spec: IndexSpec, allowed: IndexSpec, catalog: Catalog, tolerance: Tolerance) -> str:
    table = catalog.table(spec.table)
    gone = [c for c in spec.include if c not in allowed.include]
    if table is not None and not _mostly_visible(table, tolerance):
        share = 100.0 * (table.relallvisible or 0) / max(table.relpages, 1)
        return (f"INCLUDE ({', '.join(gone)}) struck: only {share:.0f}% of the table is all-visible "
                f"(< {100 * tolerance.min_all_visible:.0f}%), so an index-only scan still reads the heap")
    why = []
    wide_ones = [c for c in gone if table is not None and wide(table, c, tolerance)]
    if wide_ones:
        why.append(f"{', '.join(wide_ones)} wider than {tolerance.max_include_width} bytes a row "
                   f"(pg_stats avg_width), a second copy of the table")
    updated = [c for c in gone if c not in wide_ones]
    if updated:
        why.append(f"{', '.join(updated)} set by the workload's UPDATEs, which would stop being HOT")
    return f"INCLUDE ({', '.join(gone)}) struck: " + "; ".join(why)


# -- costing ------------------------------------------------------------------------------------


class _Costs:
    """Weighted planner cost of the statements the indexes in question may serve, plus the write
    charges of the chosen indexes on their table; and the measured time that cost stands for."""

    def __init__(self, ev: Evaluator, write_cost: Callable[[IndexSpec], float], clock: Clock | None):
        self.ev, self.write_cost = ev, write_cost
        self.times = clock.times if clock is not None else {}

    def net(self, specs: list[IndexSpec], config: list[IndexSpec]) -> tuple[float, float]:
        """(weighted cost + write charges, measured ms) of ``specs``' statements under ``config``."""
        items = {i.key: i for s in specs for i in self.ev.relevant(s)}.values()
        config = list({c.key(): c for c in config}.values())
        reads = ms = 0.0
        for item in items:
            cost = self.ev.item_cost(item, config)
            reads += item.weight * cost
            if self.times.get(item.key):
                ms += self.times[item.key] * cost / max(self.ev.item_cost(item, []), 1e-9)
        return reads + sum(self.write_cost(c) for c in config if c.table == specs[0].table), ms

    def compare(self, old: list[IndexSpec], new: IndexSpec | None, config: list[IndexSpec]) -> Step:
        """Replacing ``old`` by ``new`` (None: by nothing) in ``config``."""
        rest = [c for c in config if c not in old]
        specs = old + ([new] if new is not None else [])
        (base, base_ms), (without, _) = self.net(specs, config), self.net(specs, rest)
        after, after_ms = self.net(specs, rest + [new]) if new is not None else self.net(specs, rest)
        return Step(after - base, without - base, after_ms - base_ms)

    def size(self, spec: IndexSpec) -> int:
        return self.ev.size(spec)


def _narrow(refined: Refined, costs: _Costs, candidates, catalog, tolerance) -> bool:
    changed = False
    for spec in sorted(refined.chosen, key=lambda s: -costs.size(s)):
        if spec not in refined.chosen:
            continue
        size = costs.size(spec)
        options = sorted((v for v in _narrower(spec, candidates, catalog, tolerance)
                          if costs.size(v) < size), key=costs.size)
        for option in options:
            step = costs.compare([spec], option, refined.chosen)
            if refined.allows([spec], step, tolerance):
                refined.replace([spec], option, _narrowed(spec, option, step, costs, tolerance), step)
                changed = True
                break
    return changed


def _narrower(spec: IndexSpec, candidates, catalog, tolerance) -> list[IndexSpec]:
    """Derived variants, and the candidates on the same table that read only ``spec``'s columns."""
    columns, lead = referenced_columns(spec), spec.columns[0].removesuffix(" DESC")
    same = [c for c in candidates if c.table == spec.table and c.method == spec.method
            and referenced_columns(c) <= columns
            and (c.columns[0].removesuffix(" DESC") == lead or lead in referenced_columns(
                IndexSpec(c.table, [], where=c.where)))]  # same lead, or a partial index on it
    return [admissible(v, catalog, tolerance) for v in variants(spec) + same]


def _merge(refined: Refined, costs: _Costs, catalog, tolerance) -> bool:
    for a, b in itertools.combinations(list(refined.chosen), 2):
        if not _overlap(a, b):
            continue
        options = [a, b, _common_prefix(a, b), _union(a, b), _union(b, a)]
        options = [admissible(o, catalog, tolerance) for o in options if o is not None]
        options = sorted({o.key(): o for o in options}.values(), key=costs.size)
        for option in options:
            if costs.size(option) >= costs.size(a) + costs.size(b):
                break
            step = costs.compare([a, b], option, refined.chosen)
            if refined.allows([a, b], step, tolerance):
                absorbed = [s for s in (a, b) if s.key() != option.key()]
                refined.replace([a, b], option, _merged(absorbed, step, tolerance), step)
                refined.merged[option.key()] = refined.merged.get(option.key(), []) + [
                    index_name(s) for s in absorbed]
                for s in absorbed:
                    refined.rejected.append((s, f"merged into {index_name(option)}: it serves the "
                                                f"same statements", 0.0))
                return True
    return False


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


def _next_narrower(spec: IndexSpec, chosen, costs: _Costs, catalog, tolerance) -> dict | None:
    """What the narrowest variant (the leading key alone) would lose: bytes saved against gain
    lost; None when the index is as narrow as it goes."""
    size = costs.size(spec)
    options = sorted((v for v in _narrower(spec, [], catalog, tolerance) if costs.size(v) < size),
                     key=costs.size)
    if not options:
        return None
    option = options[0]
    step = costs.compare([spec], option, chosen)
    lost = tolerance.clock.per_hour(step.lost_ms) if tolerance.clock and tolerance.clock.measured else None
    return {"index": _label(option), "bytes_saved": size - costs.size(option),
            "cost_increase": round(step.loss, 2),
            "share_of_gain_lost": round(step.loss / step.gain, 4) if step.gain > 0 else None,
            "time_lost_s_per_hour": None if lost is None else round(lost, 3)}


def _narrowed(spec, option, step: Step, costs: _Costs, tolerance: Tolerance) -> str:
    saved = costs.size(spec) - costs.size(option)
    return (f"narrowed from {_label(spec)}: {_mb(saved)} smaller, "
            f"{_pct(step.loss, step.gain)} of its gain lost{_time(step, tolerance)}")


def _merged(absorbed, step: Step, tolerance: Tolerance) -> str:
    return (f"merged {', '.join(_label(s) for s in absorbed)} into it: one index serves both, "
            f"{_pct(step.loss, step.gain)} of their gain lost{_time(step, tolerance)}")


def _time(step: Step, tolerance: Tolerance) -> str:
    if tolerance.max_lost_ms() is None:
        return ""
    return f" ({tolerance.clock.describe(max(step.lost_ms, 0.0))})"


def _pct(loss: float, gain: float) -> str:
    return f"{100.0 * max(loss, 0.0) / gain:.1f}%" if gain > 0 else "none"


def _mb(size: float) -> str:
    return f"{size / 1048576:,.1f} MB"


def _label(spec: IndexSpec) -> str:
    text = f"({', '.join(spec.columns)})"
    if spec.include:
        text += f" INCLUDE ({', '.join(spec.include)})"
    return text + (f" WHERE {spec.where}" if spec.where else "")
