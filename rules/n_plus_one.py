"""n-plus-one: within one request, the same statement runs once per row of a parent statement.

    >>> RULE.id, RULE.thresholds["min_repeats"]
    ('n-plus-one', 5)
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable

from advisor.model import Finding, Trace, TraceEvent
from rules._base import Docs, Example, Rule
from rules._build import snapshot, stmt, trace
from rules._common import short_sql

FIX = ("Load the rows in one query: eager-load the relationship (SQLAlchemy selectinload/joinedload, "
       "Django prefetch_related/select_related, Rails includes, Prisma include), or fetch them all "
       "at once with WHERE {column} = ANY($1) and the list of keys.")


WRITE_FIX = ("Write the rows in one statement: one INSERT with many VALUES rows (or executemany "
             "with insertmanyvalues), or UPDATE ... FROM (VALUES ...) / WHERE id = ANY($1).")


def check(ctx) -> Iterable[Finding]:
    if ctx.snapshot.traces:
        yield from _from_traces(ctx)
    else:
        yield from _from_statistics(ctx)


# -- with traces: count repeats per request --------------------------------------------------


def _from_traces(ctx) -> Iterable[Finding]:
    groups: dict[tuple, list] = {}
    for trace_ in ctx.snapshot.traces:
        for repeated in _repeats(trace_, ctx.threshold("min_repeats")):
            parent, child, events = repeated
            groups.setdefault((parent.fingerprint, child.fingerprint), []).append(
                (trace_, parent, events))
    for (_parent_fp, child_fp), hits in groups.items():
        yield _trace_finding(ctx, child_fp, hits)


def _best_source(hits: list) -> tuple[list, list[str]]:
    """The same pattern seen by the app hook and in the server log is one finding: the app's
    traces carry endpoint labels and call sites, so they speak for it."""
    sources = sorted({t.source for t, _, _ in hits})
    return [h for h in hits if h[0].source == "app"] or hits, sources


def _repeats(trace_: Trace, min_repeats: int) -> Iterable[tuple[TraceEvent, TraceEvent, list[TraceEvent]]]:
    events = trace_.events
    counts = Counter(e.fingerprint for e in events)
    for fingerprint, count in counts.items():
        if count < min_repeats:
            continue
        repeated = [e for e in events if e.fingerprint == fingerprint]
        if not _differing(repeated):
            continue
        first = events.index(repeated[0])
        parent = next((e for e in reversed(events[:first]) if e.fingerprint != fingerprint), None)
        if parent is not None:
            yield parent, repeated[0], repeated


def _differing(events: list[TraceEvent]) -> bool:
    """Different parameters each time (the N+1 signature); unknown parameters count as different."""
    keys = {tuple(e.params) if e.params is not None else e.query for e in events}
    known = any(e.params is not None for e in events) or len({e.query for e in events}) > 1
    return len(keys) > 1 or not known


def _trace_finding(ctx, child_fp: str, hits: list) -> Finding:
    hits, sources = _best_source(hits)
    labels = Counter(t.label for t, _, _ in hits if t.label)
    label = labels.most_common(1)[0][0] if labels else None
    counts = [len(events) for _, _, events in hits]
    times = [sum(e.duration_ms for e in events) for _, _, events in hits]
    _, parent, events = max(hits, key=lambda h: len(h[2]))
    child = events[0]
    sites = Counter(e.call_site for _, _, evs in hits for e in evs if e.call_site)
    site = sites.most_common(1)[0][0] if sites else None
    where = f"{label} runs" if label else "One request runs"
    per_request = statistics.median(counts)
    writes = _is_write(ctx, child.query)
    statements = [s for s in (parent.fingerprint, child_fp) if ctx.snapshot.statement(s)] or [child_fp]
    return ctx.finding(
        f"N+1{' writes' if writes else ''}: {where} `{short_sql(child.query)}` {per_request:g} times "
        f"per request after `{short_sql(parent.query)}`" + (f" (from {site})" if site else ""),
        WRITE_FIX if writes else FIX.format(column=_key_column(ctx, child.query)),
        table=_table(ctx, child.query), statements=statements, confidence="high",
        evidence={"endpoint": label, "parent_statement": parent.fingerprint,
                  "parent_query": parent.query, "repeated_statement": child_fp,
                  "repeated_query": child.query, "count_per_request": per_request,
                  "max_count_per_request": max(counts), "requests": len(hits),
                  "time_per_request_ms": round(statistics.median(times), 3),
                  "total_time_ms": round(sum(times), 3), "call_site": site,
                  "kind": "write" if writes else "read", "endpoints": sorted(labels),
                  "seen_in": sources})


def _is_write(ctx, sql: str) -> bool:
    from advisor.analyze.shapes import extract_shape

    return extract_shape(sql, ctx.catalog).kind in ("insert", "update", "delete")


def _shape(ctx, sql: str):
    from advisor.analyze.shapes import extract_shape

    shape = extract_shape(sql, ctx.catalog)
    return None if shape.parse_error or len(shape.tables) != 1 else shape


def _table(ctx, sql: str) -> str | None:
    shape = _shape(ctx, sql)
    return shape.tables[0].table if shape else None


def _key_column(ctx, sql: str) -> str:
    shape = _shape(ctx, sql)
    equal = [p.column for p in shape.tables[0].predicates if p.op in ("=", "any")] if shape else []
    return equal[0] if equal else "id"


# -- without traces: a weaker heuristic from pg_stat_statements call counts ------------------


def _from_statistics(ctx) -> Iterable[Finding]:
    ratio = ctx.threshold("min_calls_ratio")
    readers: dict[str, list] = {}  # table -> statements reading it
    for statement, shape in ctx.statements():
        for table in {a.table for a in shape.tables}:
            readers.setdefault(table, []).append(statement)
    for child, shape in ctx.statements():
        lookup = _lookup(ctx, shape) if child.calls >= ctx.threshold("min_calls") else None
        if lookup is None:
            continue
        table, column = lookup
        parents = [s for related in _related_tables(ctx, table, column) for s in readers.get(related, [])
                   if s.fingerprint != child.fingerprint and s.calls and child.calls / s.calls >= ratio]
        if parents:
            parent = max(parents, key=lambda s: s.calls)
            yield ctx.finding(
                f"Possible N+1: `{short_sql(child.query)}` ran {child.calls:,} times, "
                f"{child.calls / parent.calls:.0f}x as often as `{short_sql(parent.query)}` "
                f"({parent.calls:,} calls), which reads the rows it looks up",
                FIX.format(column=column) + " Capture traces (--log or --trace) to confirm per request.",
                table=table, statements=[parent.fingerprint, child.fingerprint], confidence="low",
                evidence={"parent_statement": parent.fingerprint, "repeated_statement": child.fingerprint,
                          "calls_ratio": round(child.calls / parent.calls, 1),
                          **ctx.workload_evidence([child])})


def _lookup(ctx, shape) -> tuple[str, str] | None:
    """(table, column) when the statement fetches rows of one table by one key column."""
    if shape.kind != "select" or len(shape.tables) != 1:
        return None
    access = shape.tables[0]
    equal = [p for p in access.predicates if p.op == "=" and p.value is None and not p.function]
    if len(equal) != 1:
        return None
    column = equal[0].column
    keys = {c for i in ctx.catalog.indexes_on(access.table) if i.is_primary or i.is_unique
            for c in i.columns[:1]}
    fks = {c for fk in ctx.catalog.foreign_keys if fk.table == access.table for c in fk.columns[:1]}
    return (access.table, column) if column in keys | fks else None


def _related_tables(ctx, table: str, column: str) -> set[str]:
    """Tables whose rows lead to this lookup: they point at ``table``, or ``column`` points at them."""
    related = set()
    for fk in ctx.catalog.foreign_keys:
        if fk.ref_table == table:  # the child fetches the row a parent row points at
            related.add(fk.table)
        if fk.table == table and fk.columns[:1] == [column]:  # the child fetches a parent's collection
            related.add(fk.ref_table)
    return related


SCHEMA = """
CREATE TABLE sellers (id bigint PRIMARY KEY, name text);
CREATE TABLE products (id bigint PRIMARY KEY, seller_id bigint REFERENCES sellers (id), name text);
"""
PARENT = "SELECT * FROM products ORDER BY id LIMIT 20"
CHILD = "SELECT * FROM sellers WHERE sellers.id = $1"
EAGER = "SELECT * FROM sellers WHERE sellers.id = ANY($1)"


def _lazy_trace(i: int):
    return trace("GET /products", [(PARENT, [])] + [(CHILD, [str(n)]) for n in range(20)],
                 trace_id=f"r{i}", call_site="app/views.py:42 in list_products")


def _bad():
    return snapshot(SCHEMA, {"products": 10_000, "sellers": 500},
                    [stmt(PARENT, calls=10), stmt(CHILD, calls=200)], traces=[_lazy_trace(i) for i in range(3)])


def _bad_statistics():
    return snapshot(SCHEMA, {"products": 10_000, "sellers": 500},
                    [stmt(PARENT, calls=100), stmt(CHILD, calls=2_000)])


def _good_eager():
    return snapshot(SCHEMA, {"products": 10_000, "sellers": 500},
                    [stmt(PARENT, calls=10), stmt(EAGER, calls=10)],
                    traces=[trace("GET /products", [(PARENT, []), (EAGER, ["{1,2,3}"])], trace_id=f"r{i}")
                            for i in range(10)])


def _good_once_per_request():
    return snapshot(SCHEMA, {"products": 10_000, "sellers": 500},
                    [stmt(PARENT, calls=50), stmt(CHILD, calls=50)],
                    traces=[trace(f"GET /sellers/{i}", [(PARENT, []), (CHILD, [str(i)])], trace_id=f"r{i}")
                            for i in range(50)])


RULE = Rule(
    id="n-plus-one",
    name="N+1 queries",
    severity="high",
    summary="Within one request the same statement runs once per row of a parent statement.",
    docs=Docs(
        what="Reads traces (statements grouped by request or transaction): a statement executed at "
             "least min_repeats times in one request with differing parameters, after a parent "
             "statement, is an N+1. It reports the parent, the repeated statement, the count and "
             "time per request, and the app call site when the trace has one. Without traces it "
             "falls back to pg_stat_statements: a key lookup called min_calls_ratio times as often as "
             "a statement reading the related table, reported with low confidence. A statement "
             "run once per request across many requests is not an N+1.",
        why="Each round trip costs network latency and planning; 1 + N queries where 2 would do "
            "makes the endpoint's time grow with the page size.",
        example=PARENT + ";\n" + CHILD + ";  -- x20, once per product (lazy loading)",
        use_instead=PARENT + ";\n" + EAGER + ";  -- once: selectinload(Product.seller)",
    ),
    check=check,
    thresholds={"min_repeats": 5, "min_calls_ratio": 5.0, "min_calls": 100},
    examples=[
        Example("lazy loading: one seller query per product", True, _bad, "20 times per request"),
        Example("no traces: call counts suggest it (low confidence)", True, _bad_statistics, "Possible N+1"),
        Example("eager loading with = ANY($1)", False, _good_eager),
        Example("one lookup per request across many requests", False, _good_once_per_request),
    ],
)
