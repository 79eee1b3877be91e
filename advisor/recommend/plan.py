"""The recommend recipe: shapes -> candidates -> what-if selection -> Plan (creates and drops).

    >>> _drop_reason(Finding("unused-index", "low", "m", evidence={"idx_scan": 0}))
    'unused-index: 0 scans since the statistics were reset'

Drops come from the unused-index and redundant-index findings, and only the safe ones: never an
index backing a constraint or the only one serving a foreign key, not on scan counts alone for a
GiST/GIN/BRIN or expression index, and not before the usage statistics cover
``drop_min_stats_days``. Each one kept is in ``Plan.kept`` with its reason; each drop says what
it risks.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from advisor.analyze.drop_safety import scan_counts_tell, stats_days, work_besides_scans
from advisor.ddl import build_index_sql, drop_index_sql, index_name
from advisor.emit.summaries import human_bytes
from advisor.errors import AdvisorError
from advisor.model import (
    Analysis,
    Catalog,
    Finding,
    Index,
    IndexSpec,
    Kept,
    Plan,
    QueryShape,
    Recommendation,
    Rejected,
    Snapshot,
    StatementGain,
)
from advisor.recommend import RecommendSettings, containment
from advisor.recommend.candidates import TRGM, attributes, generate, partial_reason, together
from advisor.recommend.compress import compress
from advisor.recommend.covering import IncludeRules
from advisor.recommend.naming import Names
from advisor.recommend.narrow import Refined, Tolerance, refine
from advisor.recommend.prune import prune
from advisor.recommend.samples import bind, typical_parameters
from advisor.recommend.select import Deadline, Evaluator, Item, Limits, select
from advisor.recommend.superseded import superseded
from advisor.recommend.timing import Clock, enough_time
from advisor.recommend.trigram_size import counted_size, trigram_size
from advisor.recommend.whatif import UnsupportedIndex, WhatIf, planned_rows
from advisor.recommend.writes import WriteCost, table_writes

DROP_RULES = ("unused-index", "redundant-index")
PLAN_TRIES = 3  # statements of a template tried as its representative before it is left out
PLAN_BATCH = 200  # templates priced in one round trip before the selection
NOT_TIMED = ("no measured statement time (a SQL-file workload, or statistics without timing): "
             "indexes are chosen on planner cost alone; min_saved_seconds_per_hour is not applied")
NOT_COSTED = {"costed": False}  # a GIN index: HypoPG cannot simulate it, its gain is not estimated
NO_WINDOW = ("the capture window is unknown (no pg_stat_statements reset time): time saved is "
             "shown over the capture, and min_saved_seconds_per_hour is not applied")


def build_plan(dsn: str, snapshot: Snapshot, analysis: Analysis, settings: RecommendSettings,
               on_progress: Callable[[str, int, int], None] | None = None, *,
               planned_here: bool = False) -> Plan:
    with _settled_heap():
        return _build_plan(dsn, snapshot, analysis, settings, on_progress, planned_here)


@contextmanager
def _settled_heap() -> Iterator[None]:
    """The snapshot and the analysis's syntax trees (millions of objects for thousands of
    statements) are left out of the garbage collector's full passes while recommending: each
    pass would walk them all, and the selection's small allocations start many passes."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _build_plan(dsn: str, snapshot: Snapshot, analysis: Analysis, settings: RecommendSettings,
                on_progress: Callable[[str, int, int], None] | None = None,
                planned_here: bool = False) -> Plan:
    progress = on_progress or (lambda phase, done=0, total=0: None)
    started = time.monotonic()
    deadline = Deadline(settings.time_limit, progress)
    shapes = analysis.shapes or _shapes(snapshot)
    plan = Plan()
    dropped, plan.kept = drops(analysis.findings, snapshot.catalog, settings, snapshot.created_at)
    plan.recommendations += dropped
    progress("generating candidate indexes", 0, 0)
    items, candidates = workload(snapshot, shapes, settings)
    plan.notes += containment.element_notes(shapes, snapshot.catalog, settings.min_table_rows)
    if not candidates:
        plan.notes.append("no candidate index: no statement filters, joins or sorts a table of "
                          f"{settings.min_table_rows:,}+ rows without an index serving it")
        return plan
    try:
        session = WhatIf.open(dsn, allow_real_indexes=settings.allow_real_indexes)
        whatif = session.__enter__()
    except AdvisorError as exc:
        if "HypoPG" not in str(exc):
            raise
        plan.notes.append(str(exc))
        plan.rejected += [Rejected(c, "not costed: HypoPG missing") for c in candidates]
        return plan
    try:
        if whatif.real:
            plan.notes.append("HypoPG missing: costed with real indexes built inside transactions "
                              "that were rolled back (allow_real_indexes; use a scratch copy only)")
        generic = {s.fingerprint: s.query for s in snapshot.statements}
        templates = compress(items, {s.fingerprint: s for s in shapes}, snapshot.catalog,
                             {s.fingerprint: s.plan for s in snapshot.statements if s.plan}) \
            if settings.compress else items
        if planned_here:
            _seed(whatif, templates, snapshot)
        templates = _plannable(whatif, templates, plan.notes, generic, {i.key: i for i in items},
                               deadline)
        evaluator = Evaluator(whatif, templates, deadline)
        btree, pruned = prune([c for c in candidates if c.method != "gin"], templates,
                              lambda some: evaluator.costs([(i, []) for i in some]),
                              budgeted=settings.max_index_size_bytes is not None)
        names = Names(snapshot.catalog)
        chosen = _choose(evaluator, btree, templates, snapshot, shapes, settings, plan, names)
        superseding = _superseded(plan, snapshot.catalog)
        plan.recommendations += superseding
        plan.kept = [k for k in plan.kept if k.index not in {r.evidence["index"] for r in superseding}]
        plan.rejected += [Rejected(spec, reason) for spec, reason in pruned]
        trigram = _unique([c for c in candidates if c.opclass == TRGM]
                          + _trigram_from_findings(analysis.findings, snapshot.catalog))
        gin, searched = _containment(whatif, candidates, shapes, snapshot.catalog, plan)
        trigram_served = _trigram_served(snapshot, shapes, analysis.findings)
        gin_served = containment.served(snapshot, searched)
        _add_gin(plan, trigram + gin, snapshot.catalog, settings, [evaluator.size(c) for c in chosen],
                 lambda spec: trigram_served(spec) if spec.opclass == TRGM else gin_served(spec), names)
        plan.explain_calls = whatif.explain_calls
    finally:
        session.__exit__(None, None, None)
    progress(f"chose {len(chosen)} indexes in {time.monotonic() - started:.1f} s", 0, 0)
    return plan


def _choose(ev: Evaluator, candidates: list[IndexSpec], items: list[Item], snapshot: Snapshot,
            shapes: list[QueryShape], settings: RecommendSettings, plan: Plan, names: Names) -> list[IndexSpec]:
    """Select within the budgets, narrow and merge, keep what saves enough measured time; the
    creates, the workload cost and a reason for every candidate left out go into ``plan``."""
    write_cost = _write_cost(snapshot, shapes, settings, plan.notes)
    selection = select(ev, candidates, _limits(settings), write_cost, extend_attributes(items))
    if selection.stopped:
        plan.notes.append(f"stopped early: the time limit ({settings.time_limit:g} s) ended the "
                          f"{selection.stopped} phase; this is the best selection found by then")
    ev.deadline.report("refining", 0, 0)
    clock = Clock.of(snapshot)
    refined = refine(ev, selection.chosen, candidates, snapshot.catalog,
                     _tolerance(settings, write_cost, clock), write_cost, selection.benefit)
    unsized = frozenset(t.qualname for t in snapshot.catalog.tables if not t.analyzed)
    chosen, slow = enough_time(ev, clock, refined.chosen, settings.min_saved_seconds_per_hour, unsized)
    if not (clock.measured and clock.hours):
        plan.notes.append(NO_WINDOW if clock.measured else NOT_TIMED)
    plan.recommendations[:0] = _creates(ev, chosen, refined, clock, write_cost, snapshot.catalog, names)
    reasons = {spec.key(): (spec, reason, benefit) for spec, reason, benefit
               in [*selection.rejected.values(), *refined.rejected, *slow]}  # the latest reason
    keys = {c.key() for c in chosen}
    plan.rejected += [Rejected(spec, reason, round(benefit, 2))
                      for key, (spec, reason, benefit) in reasons.items() if key not in keys]
    plan.cost_before, plan.cost_after = selection.cost_before, ev.total(chosen)
    return chosen


def _seed(whatif: WhatIf, templates: list[Item], snapshot: Snapshot) -> None:
    """Each template's cost without new indexes from its statement's plan, when the template is
    priced through that very text (not one bound to typical values)."""
    plans = {s.fingerprint: (s.query, s.plan) for s in snapshot.statements if s.plan}
    for template in templates:
        query, plan = plans.get(template.key, (None, None))
        if plan and query == template.sql:
            whatif.seed(template.key, plan)


def _plannable(whatif: WhatIf, templates: list[Item], notes: list[str], generic: dict[str, str],
               statements: dict[str, Item], deadline: Deadline) -> list[Item]:
    """The templates the what-if session can EXPLAIN, each through its heaviest statement that
    plans (at most ``PLAN_TRIES`` tried); a statement that does not is left out with a note (e.g.
    a SELECT-only role may not EXPLAIN an UPDATE: EXPLAIN checks the statement's privileges)."""
    import psycopg

    kept = []
    for start in range(0, len(templates), PLAN_BATCH):
        deadline.report("pricing statements", start, len(templates))
        batch = templates[start:start + PLAN_BATCH]
        try:
            whatif.costs([(t.sql, [], t.tables, t.key) for t in batch])
            kept += batch
        except (AdvisorError, psycopg.Error):  # one of them does not plan: each alone, to tell which
            kept += _each_plannable(whatif, batch, notes, generic, statements)
    return kept


def _each_plannable(whatif: WhatIf, templates: list[Item], notes: list[str], generic: dict[str, str],
                    statements: dict[str, Item]) -> list[Item]:
    kept = []
    for template in templates:
        members = sorted(template.members or [(template.key, template.weight)], key=lambda m: -m[1])
        left = dict(members)
        for key, _ in members[:PLAN_TRIES]:
            trial = template if key == template.key else statements[key]
            reason = _plan_error(whatif, trial, generic)
            if reason is None:
                kept.append(_represented(template, trial, left))
                break
            left.pop(key)
            notes.append(f"{key} left out of the what-if costing: cannot EXPLAIN it here ({reason})")
        else:
            if left:
                notes.append(f"{len(left)} more statement(s) of the same shape as {members[0][0]} "
                             "left out with it")
    return kept


def _plan_error(whatif: WhatIf, item: Item, generic: dict[str, str]) -> str | None:
    import psycopg

    try:
        _cost_or_generic(whatif, item, generic)
    except (AdvisorError, psycopg.Error) as exc:
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


def _represented(template: Item, lead: Item, members: dict[str, float]) -> Item:
    """``template`` priced through ``lead``, without the members that did not plan."""
    if not template.members:
        return template
    return replace(template, key=lead.key, sql=lead.sql, weight=sum(members.values()),
                   members=[(k, w) for k, w in template.members if k in members])


def _cost_or_generic(whatif: WhatIf, item: Item, generic: dict[str, str]) -> None:
    """Price ``item`` once; when its traced values do not plan, fall back to the generic plan."""
    import psycopg

    try:
        whatif.cost(item.sql, [], item.tables, key=item.key)
    except (AdvisorError, psycopg.Error):
        if item.sql == generic.get(item.key, item.sql):
            raise
        item.sql = generic[item.key]
        whatif.cost(item.sql, [], item.tables, key=item.key)


def workload(snapshot: Snapshot, shapes: list[QueryShape], settings: RecommendSettings):
    """(statements as selection items, the unique candidates of them all)."""
    by_fp = generate(shapes, snapshot.catalog, max_width=settings.max_width,
                     min_table_rows=settings.min_table_rows)
    shape_of = {s.fingerprint: s for s in shapes}
    typical = typical_parameters(snapshot.traces)
    items: list[Item] = []
    seen: set[str] = set()
    unique: dict[tuple, IndexSpec] = {}
    for statement in snapshot.statements:
        shape = shape_of.get(statement.fingerprint)
        if shape is None or statement.fingerprint not in by_fp or statement.fingerprint in seen:
            continue
        seen.add(statement.fingerprint)
        attrs, used, sorts = {}, {}, {}
        for access in shape.tables:
            table = snapshot.catalog.table(access.table)
            if table is not None:
                found = attributes(access, table)
                attrs.setdefault(access.table, set()).update(found.all())
                used.setdefault(access.table, set()).update(access.columns_used)
                sorts.setdefault(access.table, set()).update(s.removesuffix(" DESC") for s in found.sort)
        bound = bind(statement.query, typical[statement.fingerprint]) \
            if statement.fingerprint in typical else None
        proposed = {spec.key(): rank for rank, spec in enumerate(by_fp[statement.fingerprint])}
        items.append(Item(statement.fingerprint, bound or statement.query,
                          statement.workload_weight, frozenset(attrs), attrs, used, proposed=proposed,
                          sorts=sorts, together=together(shape, snapshot.catalog, settings.min_table_rows)))
        for spec in by_fp[statement.fingerprint]:
            unique.setdefault(spec.key(), spec)
    return items, list(unique.values())


def extend_attributes(items: list[Item]) -> dict[str, list[str]]:
    """Per table, what Extend may append to a chosen index: the columns statements search on,
    then the other columns they read (a wider key that makes an index-only scan)."""
    attrs: dict[str, list[str]] = {}
    for item in items:
        for table, columns in list(item.attrs.items()) + list(item.used.items()):
            attrs.setdefault(table, [])
            attrs[table] += sorted(c for c in columns if c not in attrs[table])
    return attrs


def drops(findings: list[Finding], catalog: Catalog, settings: RecommendSettings | None = None,
          at: str | None = None) -> tuple[list[Recommendation], list[Kept]]:
    """DROP INDEX for the unused and redundant indexes it is safe to drop; the others kept, each
    with its reason. ``at``: when the usage statistics were read (the snapshot's time)."""
    settings = settings or RecommendSettings()
    days = stats_days(catalog, at)
    by_name = {i.qualname: i for i in catalog.indexes}
    remaining = list(catalog.indexes)
    result, kept, seen = [], [], set()
    for finding in findings:
        qualname = (finding.evidence or {}).get("index")
        if finding.rule not in DROP_RULES or not qualname or qualname in seen:
            continue
        seen.add(qualname)
        index = by_name.get(qualname)
        why_not = _keep_reason(finding, index, catalog, remaining, days, settings)
        if why_not:
            kept.append(Kept(qualname, finding.rule, why_not))
            continue
        remaining.remove(index)
        result.append(_drop(finding, index, days, settings, by_name))
    return result, kept


def _keep_reason(finding: Finding, index: Index | None, catalog: Catalog, remaining: list[Index],
                 days: float | None, settings: RecommendSettings) -> str | None:
    if index is None:
        return "not in the catalog: nothing shows what else it does"
    besides = work_besides_scans(index, catalog, remaining)
    if besides:
        return besides
    if finding.rule != "unused-index":
        kept = by_qualname(catalog, finding.evidence.get("kept"))
        return None if kept in remaining else "the index that makes it redundant is not kept"
    method = scan_counts_tell(index)
    if method:
        return method
    minimum = settings.drop_min_stats_days
    if days is None and minimum > 0:
        return (f"when its usage statistics start is unknown: no scans there cannot be weighed "
                f"against drop_min_stats_days = {minimum:g}")
    if days is not None and days < minimum:
        return (f"its usage statistics cover {days:.1f} days, fewer than drop_min_stats_days = "
                f"{minimum:g}: too short to call it unused (rarer jobs, month-end reports)")
    return None


def by_qualname(catalog: Catalog, qualname: str | None) -> Index | None:
    return next((i for i in catalog.indexes if i.qualname == qualname), None)


def _drop(finding: Finding, index: Index, days: float | None, settings: RecommendSettings,
          by_name: dict[str, Index]) -> Recommendation:
    evidence = dict(finding.evidence, columns=list(index.columns), method=index.method)
    return Recommendation(
        action="drop", table=index.table, name=index.name, ddl=drop_index_sql(index.qualname),
        estimated_size_bytes=int(finding.evidence.get("size_bytes") or index.size_bytes or 0),
        reason=_drop_reason(finding, days, settings), evidence=evidence,
        risk=_drop_risk(finding, index, days, by_name),
        statements=[StatementGain(s, 0, 0, 0) for s in finding.statements])


def _superseded(plan: Plan, catalog: Catalog) -> list[Recommendation]:
    """DROP INDEX for the existing indexes a new one makes redundant (``superseded.py``)."""
    creates = [r for r in plan.recommendations if r.action == "create"]
    dropped = {r.evidence.get("index") for r in plan.recommendations if r.action == "drop"}
    by_name = {i.qualname: i for i in catalog.indexes}
    result = []
    for old, new in superseded(creates, catalog, dropped):
        finding = Finding("redundant-index", "medium", "", table=old.table, evidence={
            "index": old.qualname, "definition": old.definition, "size_bytes": old.size_bytes,
            "idx_scan": old.idx_scan, "kind": "superseded",
            "kept": f"{old.schema}.{new.name}", "kept_definition": new.ddl})
        result.append(_drop(finding, old, None, None, by_name))
    return result


def _drop_reason(finding: Finding, days: float | None = None,
                 settings: RecommendSettings | None = None) -> str:
    if finding.rule == "unused-index":
        scans = finding.evidence.get("idx_scan", 0)
        if days is None:
            return f"unused-index: {scans} scans since the statistics were reset"
        minimum = (settings or RecommendSettings()).drop_min_stats_days
        return (f"unused-index: {scans} scans in the {days:.1f} days the usage statistics cover "
                f"(since {finding.evidence.get('stats_since') or finding.evidence.get('stats_reset')}; "
                f"drop_min_stats_days = {minimum:g})")
    kept = finding.evidence.get("kept", "another index")
    if finding.evidence.get("kind") == "superseded":
        return (f"redundant-index: {kept}, built by this plan, serves the same searches by its "
                "leading columns (drop it once the build has finished)")
    return f"redundant-index: {kept} serves the same searches"


def _drop_risk(finding: Finding, index: Index, days: float | None, by_name: dict[str, Index]) -> str:
    size = human_bytes(index.size_bytes)
    if finding.rule == "unused-index":
        window = "the window of statistics" if days is None else f"the {days:.0f} days of statistics"
        return (f"a query {window} did not see (a rarer job, or one run on a replica: scan counts "
                f"are per server) loses this index and may fall back to a sequential scan; getting "
                f"it back is a concurrent build of about {size} (the downgrade does it)")
    keeper = by_name.get(finding.evidence.get("kept", ""))
    wider = f" ({human_bytes(keeper.size_bytes)} against {size})" if keeper is not None else ""
    return (f"queries that used it move to {finding.evidence.get('kept', 'the index kept')}, a wider "
            f"index{wider}: a little more I/O per lookup, and a plan may change where the two "
            "estimate differently")


def _limits(settings: RecommendSettings) -> Limits:
    return Limits(settings.max_indexes, settings.max_index_size_bytes, settings.min_improvement,
                  settings.max_width)


def _tolerance(settings: RecommendSettings, write_cost: WriteCost, clock: Clock) -> Tolerance:
    updated = {t: {c for u in w.updates for c in u.columns} for t, w in write_cost.writes.items()}
    rules = IncludeRules(settings.max_include_width, settings.min_all_visible, updated)
    # under a size budget the selection has already weighed every byte against its gain, and
    # bytes freed afterwards buy nothing: only narrowing that loses no gain is left to do
    share = 0.0 if settings.max_index_size_bytes is not None else settings.narrow_tolerance
    return Tolerance(share, rules, clock, trivial=settings.min_improvement)


def _write_cost(snapshot: Snapshot, shapes: list[QueryShape], settings: RecommendSettings,
                notes: list[str]) -> WriteCost:
    """Charge per new index: the index entries the workload's writes to its table add (one per row
    inserted, none for a DELETE, one per row of an UPDATE that is not HOT, and every index's entry for an
    UPDATE the index would make non-HOT) x write_overhead_factor.

    Rows come from the workload's own INSERT/UPDATE/DELETE statements (pg_stat_statements rows,
    or calls), which cover the same window as the calls that weigh the benefits. The
    pg_stat_user_tables counters (n_tup_ins/upd/del) are only reported: they span another window
    and count bulk loads, which would price every index out of a freshly restored database. For
    the same reason a bulk statement (a load, a backfill: a few calls of many rows each) is left
    out, with a note: it is not the recurring write load an index slows."""
    writes, bulk = table_writes(snapshot, shapes)
    if bulk:
        notes.append("bulk writes (loads, backfills) not counted as write load: " + ", ".join(bulk))
    return WriteCost(writes, settings.write_overhead_factor)


def _named(spec: IndexSpec, names: Names) -> dict:
    """The name, the per-partition steps and the DDL of a new index."""
    name = names.take(spec)
    partitions = names.partitions(spec, name)
    return {"name": name, "partitions": partitions, "ddl": build_index_sql(spec, name, partitions)}


def _creates(ev: Evaluator, chosen: list[IndexSpec], refined: Refined, clock: Clock,
             write_cost: WriteCost, catalog: Catalog, names: Names) -> list[Recommendation]:
    result = []
    for spec in chosen:
        gains = []
        without_it = [c for c in chosen if c is not spec]
        items = ev.relevant(spec)
        costs = ev.costs([(i, config) for config in ([], chosen, without_it) for i in items])
        n = len(items)
        for item, before, after, without in zip(items, costs[:n], costs[n:2 * n], costs[2 * n:], strict=True):
            if after < without:  # a template's statements each, at its representative's costs
                gains += [StatementGain(key, weight, round(before, 2), round(after, 2))
                          for key, weight in item.members or [(item.key, item.weight)]]
        timed = any(g.statement in clock.times for g in gains)  # SQL files' statements have no time
        saved = clock.saved_ms(ev, spec, chosen) if timed else None
        writes = write_cost.describe(spec)
        table = catalog.table(spec.table)
        evidence = {"time_saved_ms": None if saved is None else round(saved, 2),
                    "time_saved_s_per_hour": None if saved is None or clock.per_hour(saved) is None
                    else round(clock.per_hour(saved), 3),
                    "table_size_bytes": table.size_bytes if table else None, "writes": writes,
                    "narrower": refined.narrower.get(spec.key()),
                    "merged": refined.merged.get(spec.key(), []),
                    "refined": refined.history.get(spec.key(), [])}
        marginal = ev.delta(ev.relevant(spec), without_it, chosen)[0] - write_cost(spec)
        result.append(Recommendation(
            action="create", table=spec.table, **_named(spec, names),
            index=spec, estimated_size_bytes=ev.size(spec), statements=gains,
            benefit=round(refined.benefit.get(spec.key(), marginal), 2),
            write_overhead=round(write_cost(spec), 2),
            reason=_reason(gains, saved, clock, writes,
                           refined.history.get(spec.key(), []) + _caveats(spec, catalog)
                           + _partners(ev, spec, chosen)),
            evidence={k: v for k, v in evidence.items() if v not in (None, [], {})}))
    return sorted(result, key=lambda r: -r.benefit)


def _reason(gains: list[StatementGain], saved: float | None, clock: Clock, writes: dict,
            history: list[str]) -> str:
    """Both gains (planner cost and measured time), the HOT updates it ends, what refining did."""
    before = sum(g.cost_before * g.calls for g in gains)
    after = sum(g.cost_after * g.calls for g in gains)
    parts = [f"lowers the planner cost of {len(gains)} statement(s)"
             + (f" by {100.0 * (before - after) / before:.0f}%" if before > 0 else "")]
    parts.append(clock.describe(saved) + " saved" if saved is not None
                 else "no measured time for its statements: chosen on planner cost alone")
    broken = writes.get("hot_updates_broken") or []
    if broken:
        rows = sum(u["rows"] for u in broken)
        columns = sorted({c for u in broken for c in u["columns"]})
        parts.append(f"ends HOT updates: {len(broken)} UPDATE statement(s) setting "
                     f"{', '.join(columns)} ({rows:,} rows) will write every index of the table")
    return "; ".join(parts + history)


def _caveats(spec: IndexSpec, catalog: Catalog) -> list[str]:
    """What a reviewer should know of an index beyond its gain: why it is partial, and whether
    its table's size is only the planner's guess."""
    table = catalog.table(spec.table)
    notes = [partial_reason(spec, table)]
    if table is not None and not table.analyzed:
        notes.append(f"{spec.table} was never analysed: its size ({table.reltuples:,.0f} rows) is "
                     f"the planner's guess; ANALYZE it to sharpen this advice")
    return [n for n in notes if n]


def _containment(whatif: WhatIf, candidates: list[IndexSpec], shapes: list[QueryShape], catalog: Catalog,
                 plan: Plan) -> tuple[list[IndexSpec], dict[tuple, list[str]]]:
    """The containment GIN candidates whose searches the planner expects to keep few rows (one
    per column), and the statements each serves; the others rejected with their reason."""
    specs, dropped = containment.merged([c for c in candidates if c.method == "gin" and c.opclass != TRGM])
    searched, unselective = containment.selective(specs, shapes, catalog,
                                                  lambda sql: planned_rows(whatif, sql))
    plan.rejected += [Rejected(spec, why) for spec, why in dropped + unselective]
    return [s for s in specs if s.key() in searched], searched


def _partners(ev: Evaluator, spec: IndexSpec, chosen: list[IndexSpec]) -> list[str]:
    """The chosen indexes ``spec`` serves an OR across columns with (the planner ORs their bitmaps:
    none of them alone serves it)."""
    keys = {c.key(): c for c in chosen}
    others = {s.key(): s for item in ev.relevant(spec) for group in item.together
              if spec.key() in {g.key() for g in group} for s in group if s.key() != spec.key()}
    found = [index_name(keys[k]) for k in others if k in keys]
    return [f"serves an OR across columns with {', '.join(found)}: the planner ORs their bitmaps, "
            "neither serves it alone"] if found else []


def _add_gin(plan: Plan, specs: list[IndexSpec], catalog: Catalog, settings: RecommendSettings,
             chosen_sizes: list[int], served: Callable[[IndexSpec], list[StatementGain]],
             names: Names) -> None:
    """The GIN indexes (trigram, containment) that fit in what the costed selection left of the
    budgets (count and bytes, each GIN counted at its estimated size with a margin), in order; a
    reason for each other one."""
    count, used = len(chosen_sizes), sum(chosen_sizes)
    fitting = []
    for spec in specs:
        need = counted_size(spec, catalog) if spec.opclass == TRGM else containment.counted_size(spec, catalog)
        if settings.max_indexes is not None and count >= settings.max_indexes:
            plan.rejected.append(Rejected(spec, f"over budget: the {settings.max_indexes} indexes "
                                                "allowed are taken"))
        elif settings.max_index_size_bytes is not None and used + need > settings.max_index_size_bytes:
            left = max(settings.max_index_size_bytes - used, 0)
            plan.rejected.append(Rejected(spec, f"over budget: needs {need / 1048576:,.1f} MB (its "
                                                f"estimated size and a margin), {left / 1048576:,.1f} MB left"))
        else:
            fitting.append(spec)
            count, used = count + 1, used + need
    plan.recommendations += _trigram([s for s in fitting if s.opclass == TRGM], catalog, plan, served, names)
    plan.recommendations += [Recommendation(
        action="create", table=spec.table, **_named(spec, names), index=spec,
        estimated_size_bytes=containment.gin_size(spec, catalog), statements=served(spec),
        reason=containment.reason(spec), evidence=dict(NOT_COSTED)) for spec in fitting if spec.opclass != TRGM]


def _trigram(specs: list[IndexSpec], catalog: Catalog, plan: Plan,
             served: Callable[[IndexSpec], list[StatementGain]], names: Names) -> list[Recommendation]:
    """Trigram GIN indexes for leading-wildcard LIKE: HypoPG cannot cost GIN, so they are advised
    from the shape alone, with the extension they need, the statements they serve and a size
    estimated from pg_stats."""
    result = []
    installed = "pg_trgm" in catalog.extensions
    for spec in specs:
        needs = None if installed else "pg_trgm"
        named = _named(spec, names)
        if needs:
            named["ddl"] = "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n" + named["ddl"]
        result.append(Recommendation(
            action="create", table=spec.table, **named, index=spec,
            estimated_size_bytes=trigram_size(spec, catalog), statements=served(spec),
            reason="leading-wildcard LIKE/ILIKE: a B-tree cannot serve it, a trigram GIN can "
                   "(not costed: HypoPG cannot simulate GIN indexes; size estimated from pg_stats)",
            evidence=dict(NOT_COSTED), requires_extension=needs))
    if specs and not installed:
        available = "pg_trgm" in catalog.available_extensions
        plan.notes.append("trigram indexes need the pg_trgm extension, "
                          + ("available here: CREATE EXTENSION pg_trgm" if available
                             else "not available on this server (install postgresql-contrib)"))
    return result


def _trigram_served(snapshot: Snapshot, shapes: list[QueryShape], findings: list[Finding]):
    """spec -> the statements a trigram index on its column serves: a leading-wildcard pattern in
    the SQL, or a pattern parameter the traces show starting with one (the rule's finding). Their
    cost is the one before: nothing prices the GIN index."""
    by_fp = {s.fingerprint: s for s in snapshot.statements}
    traced = {(f.table, (f.evidence or {}).get("column")): set(f.statements) for f in findings
              if f.rule == "leading-wildcard-like"}

    def served(spec: IndexSpec) -> list[StatementGain]:
        column, found = spec.columns[0], []
        for shape in shapes:
            statement = by_fp.get(shape.fingerprint)
            if statement is None or not any(
                    a.table == spec.table and p.column == column and p.op in ("like", "ilike", "~")
                    and (p.leading_wildcard or shape.fingerprint in traced.get((spec.table, column), ()))
                    for a in shape.tables for p in a.predicates):
                continue
            cost = float((statement.plan or {}).get("Total Cost") or 0.0)
            found.append(StatementGain(statement.fingerprint, statement.workload_weight, cost, cost))
        return found

    return served


def _trigram_from_findings(findings: list[Finding], catalog: Catalog) -> list[IndexSpec]:
    """leading-wildcard-like findings (the traces showed '%term%' patterns) as trigram indexes."""
    specs = []
    for f in findings:
        column = (f.evidence or {}).get("column")
        if f.rule == "leading-wildcard-like" and f.table and column and f.confidence == "high" \
                and (f.evidence or {}).get("pg_trgm") != "unavailable":
            specs.append(IndexSpec(f.table, [column], method="gin", opclass=TRGM))
    return specs


def _unique(specs: list[IndexSpec]) -> list[IndexSpec]:
    return list({s.key(): s for s in specs}.values())


def _shapes(snapshot: Snapshot) -> list[QueryShape]:
    from advisor.analyze.shapes import extract_shapes

    return extract_shapes(snapshot)


__all__ = ["build_plan", "drops", "workload", "UnsupportedIndex"]
