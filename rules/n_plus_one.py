"""n-plus-one: within one request, the same statement runs once per row of a parent statement.

    >>> from advisor.analyze import analyze
    >>> (finding,) = analyze(_bad_hooked(lazy=True)()).findings
    >>> print(finding.message)
    N+1 in GET /products: `Product.seller` lazy-loads sellers by id 20 times per request (20.0 ms) at app/views.py:42 in list_products, once per row of products from app/views.py:40 in list_products
    >>> finding.evidence["fix"]["options"], RULE.thresholds["min_repeats"]
    (['joinedload(Product.seller)'], 5)
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.lookups import aggregate, describe, lookup_keys
from advisor.analyze.loop_facts import LoopFacts, Step
from advisor.analyze.loops import gather
from advisor.analyze.relationships import Guess, class_name, guess, imports, loader
from advisor.model import Finding, OrmLoad, Trace, TraceEvent
from rules._base import Docs, Example, Rule
from rules._build import snapshot, stmt, trace

FIX = ("Load the rows in one query: eager-load the relationship (SQLAlchemy selectinload/joinedload, "
       "Django prefetch_related/select_related, Rails includes, Prisma include), or fetch them all "
       "at once with WHERE {column} = ANY($1) and the list of keys.")
WRITE_FIX = ("Write the rows in one statement: one INSERT with many VALUES rows (or executemany "
             "with insertmanyvalues), or UPDATE ... FROM (VALUES ...) / WHERE id = ANY($1).")
HOOK = "The SQLAlchemy hook (advisor.trace) names the relationship and the line."
MAX_NAMES = 3


def check(ctx) -> Iterable[Finding]:
    if ctx.snapshot.traces:
        yield from _from_traces(ctx)
    else:
        yield from _from_statistics(ctx)


# -- with traces: one finding per loop ---------------------------------------------------------


def _from_traces(ctx) -> Iterable[Finding]:
    def worth_it(loop) -> bool:
        return (loop.most_repeats >= ctx.threshold("min_repeats")
                and loop.time_ms >= ctx.threshold("min_time_per_request_ms"))

    for group in gather(ctx.snapshot.traces, worth_it):
        yield _finding(ctx, LoopFacts.of(group, ctx.catalog))


def _finding(ctx, facts: LoopFacts) -> Finding:
    head = facts.head
    writes = _is_write(ctx, head.query)
    likely = _guess(ctx, facts) if facts.kind == "unknown" and not writes else None
    fingerprints = [facts.parent.fingerprint] if facts.parent else []
    fingerprints += [step.key[1] for step in [head, *facts.nested]]
    return ctx.finding(
        _message(facts, writes, likely), WRITE_FIX if writes else _help(ctx, facts, likely),
        table=_table(ctx, head.query),
        statements=[fp for fp in fingerprints if ctx.snapshot.statement(fp)] or [head.key[1]],
        confidence="high", evidence=_evidence(facts, writes, likely))


def _message(facts: LoopFacts, writes: bool, likely: Guess | None) -> str:
    head, parent = facts.head, facts.parent
    where = f" in {_names(facts.endpoints)}" if facts.endpoints else ""
    spread = [f"up to {head.most}"] if head.most > head.count else []
    spread.append(f"{facts.group.per_request(lambda loop: loop.time_ms):.1f} ms")
    figures = f"{head.count:g} times per request ({'; '.join(spread)})"
    if head.lazy:
        what = f"`{head.relationship}` lazy-loads {head.description} {figures}"
    elif head.lazy is False:
        what = f"a loop in the code (not a lazy load) runs {head.description} {figures}"
    else:
        what = f"{head.description} runs {figures}"
    text = f"N+1{' writes' if writes else ''}{where}: {what}"
    text += f" at {head.call_site}" if head.call_site else ""
    if parent:
        text += f", once per row of {parent.description}"
        text += f" from {parent.call_site}" if parent.call_site else ""
    if facts.nested:
        text += "; inside it " + ", ".join(_inner(step) for step in facts.nested)
    if likely:
        text += f"; likely the relationship `{likely.name}` (FK {likely.foreign_key})"
    return text


def _inner(step: Step) -> str:
    name = f"`{step.relationship}` loads " if step.relationship else ""
    return f"{name}{step.description} {step.count:g} times"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def _help(ctx, facts: LoopFacts, likely: Guess | None) -> str:
    if facts.kind == "lazy load" and facts.options:
        return _eager_help(facts)
    if facts.kind == "query in a loop":
        batch = _batch_help(ctx, facts.head)
        extra = (f" Eager-load what the loop touches in that query: `.options({', '.join(facts.options)})` "
                 f"({imports(facts.options)}).") if facts.options else ""
        return batch + extra
    if likely:
        return (f"If `{likely.name}` is lazy-loaded, load it with its parent rows: add "
                f"`.options({loader(likely.collection)}({likely.name}))` to the query that reads them; "
                f"if the statement runs in a loop of your own, run it once: "
                f"`WHERE {_key(ctx, facts.head)} = ANY($1)` with the list of keys. {HOOK}")
    return FIX.format(column=_key(ctx, facts.head))


def _eager_help(facts: LoopFacts) -> str:
    root, entity = facts.root, facts.options[0].split("(", 1)[1].split(".")[0]
    target = f"the query that loads {root.description}" if root else f"the query that loads the {entity} rows"
    at = f" at {root.call_site}" if root and root.call_site else ""
    return (f"Load it with its parents: add `.options({', '.join(facts.options)})` to {target}{at} "
            f"({imports(facts.options)}). Each relationship then takes one query for all the rows "
            f"instead of one per row.")


def _batch_help(ctx, head: Step) -> str:
    column = _key(ctx, head)
    entity = head.entities[0] if head.entities else class_name(_table(ctx, head.query) or "")
    orm = f" (SQLAlchemy: `.where({entity}.{column}.in_(keys))`)" if entity and "." not in column else ""
    return (f"It is a query run once per row, not a lazy load: run it once for all the rows with "
            f"`WHERE {column} = ANY($1)` and the list of keys{orm}, then match the rows in Python.")


def _guess(ctx, facts: LoopFacts) -> Guess | None:
    """The relationship the FKs suggest, for a statement loading rows (not counting them)."""
    from advisor.analyze.shapes import extract_shape

    if aggregate(facts.head.query):
        return None
    parent = extract_shape(facts.parent.query, ctx.catalog) if facts.parent else None
    return guess(extract_shape(facts.head.query, ctx.catalog), parent, ctx.catalog)


def _evidence(facts: LoopFacts, writes: bool, likely: Guess | None) -> dict:
    group, head, parent, root = facts.group, facts.head, facts.parent, facts.root
    labels = sorted({loop.trace.label for loop in group.measured if loop.trace.label})
    return {
        "endpoint": facts.endpoints[0] if facts.endpoints else None, "endpoints": facts.endpoints,
        "occurrences": [_occurrence(group, label) for label in labels],
        "kind": "write" if writes else "read", "loop": facts.kind,
        "relationship": head.relationship, "likely_relationship": likely.name if likely else None,
        "foreign_key": likely.foreign_key if likely else None,
        "repeated_statement": head.key[1], "repeated_query": head.query, "repeated": head.description,
        "parent_statement": parent.fingerprint if parent else None,
        "parent_query": parent.query if parent else None,
        "parent": parent.description if parent else None,
        "parent_call_site": parent.call_site if parent else None,
        "call_site": head.call_site,
        "count_per_request": head.count, "max_count_per_request": head.most,
        "queries_per_request": group.per_request(lambda loop: loop.queries),
        "requests": len(group.measured),
        "time_per_request_ms": round(group.per_request(lambda loop: loop.time_ms), 3),
        "total_time_ms": round(group.total_time_ms, 3),
        "nested": [{"repeated_statement": s.key[1], "repeated": s.description, "relationship": s.relationship,
                    "count_per_request": s.count, "call_site": s.call_site} for s in facts.nested],
        "fix": {"options": facts.options, "import": imports(facts.options) if facts.options else None,
                "query": root.fingerprint if root else None, "at": root.call_site if root else None},
        "seen_in": group.sources,
    }


def _occurrence(group, label: str) -> dict:
    loops = [loop for loop in group.measured if loop.trace.label == label]
    return {"endpoint": label, "requests": len(loops),
            "max_count_per_request": max(loop.most_repeats for loop in loops)}


def _is_write(ctx, sql: str) -> bool:
    from advisor.analyze.shapes import extract_shape

    return extract_shape(sql, ctx.catalog).kind in ("insert", "update", "delete")


def _shape(ctx, sql: str):
    from advisor.analyze.shapes import extract_shape

    shape = extract_shape(sql, ctx.catalog)
    return None if shape.parse_error or not shape.tables else shape


def _table(ctx, sql: str) -> str | None:
    shape = _shape(ctx, sql)
    return shape.tables[0].table if shape and len({a.table for a in shape.tables}) == 1 else None


def _key(ctx, step: Step) -> str:
    shape = _shape(ctx, step.query)
    keys = lookup_keys(shape) if shape else []
    return keys[0] if keys else "id"


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
            yield _possible(ctx, child, shape, max(parents, key=lambda s: s.calls), column)


def _possible(ctx, child, shape, parent, column: str) -> Finding:
    likely = guess(shape, ctx.shapes.get(parent.fingerprint), ctx.catalog)
    named = f"; likely the relationship `{likely.name}` (FK {likely.foreign_key})" if likely else ""
    return ctx.finding(
        f"Possible N+1: {describe(child.query, ctx.catalog)} ran {child.calls:,} times, "
        f"{child.calls / parent.calls:.0f}x as often as {describe(parent.query, ctx.catalog)} "
        f"({parent.calls:,} calls), which reads the rows it looks up{named}",
        FIX.format(column=column) + " Capture traces (--log or --trace) to confirm per request.",
        table=shape.tables[0].table, statements=[parent.fingerprint, child.fingerprint], confidence="low",
        evidence={"parent_statement": parent.fingerprint, "repeated_statement": child.fingerprint,
                  "calls_ratio": round(child.calls / parent.calls, 1),
                  "likely_relationship": likely.name if likely else None,
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


def _hooked_trace(i: int, lazy: bool):
    """The app hook's view: the parent query, then one statement per product, lazily loaded or not."""
    seller = OrmLoad(["Seller"], "Product.seller", True, ["Product.seller"], [False]) if lazy else OrmLoad(["Seller"])
    events = [TraceEvent(PARENT, duration_ms=2.0, call_site="app/views.py:40 in list_products",
                         orm=OrmLoad(["Product"]))]
    events += [TraceEvent(CHILD, params=[str(n)], duration_ms=1.0, call_site="app/views.py:42 in list_products",
                          orm=seller) for n in range(20)]
    return Trace(f"r{i}", "app", "GET /products", events, orm_hooked=True)


def _bad():
    return snapshot(SCHEMA, {"products": 10_000, "sellers": 500},
                    [stmt(PARENT, calls=10), stmt(CHILD, calls=200)], traces=[_lazy_trace(i) for i in range(3)])


def _bad_hooked(lazy: bool):
    return lambda: snapshot(SCHEMA, {"products": 10_000, "sellers": 500},
                            [stmt(PARENT, calls=10), stmt(CHILD, calls=200)],
                            traces=[_hooked_trace(i, lazy) for i in range(3)])


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
        what="Reads traces (statements grouped by request or transaction). A loop is a statement run "
             "at least min_repeats times in one request with differing parameters, after a parent "
             "statement whose rows it walks, costing at least min_time_per_request_ms; a loop "
             "nested in another (an order's lines, then each line's product) belongs to it. The "
             "same loop is one finding wherever it runs (every request and endpoint, the server "
             "log and the app hook alike), listing where it occurs, with its count and time per "
             "request; findings rank by the total time the loop costs the workload. Statements are "
             "named by table and key (`comments by workout_id`, `count of followers by user_id`). "
             "With the SQLAlchemy hook (advisor.trace) it names the lazy-loaded relationship, the "
             "query that loaded the parents and its line, and the loader option to add there "
             "(selectinload for a collection, joinedload for a many-to-one); a repeated query the "
             "hook saw was no lazy load is a loop in the code, to run once with = ANY($1). From the "
             "server log alone, the foreign key linking the two statements gives the relationship's "
             "likely name. Without traces it falls back to pg_stat_statements: a key lookup called "
             "min_calls_ratio times as often as a statement reading the related table, reported "
             "with low confidence. A lookup once per request (1+1) is not a loop.",
        why="Each round trip costs network latency and planning; 1 + N queries where 2 would do "
            "makes the endpoint's time grow with the page size.",
        example=PARENT + ";\n" + CHILD + ";  -- x20, once per product (lazy loading)",
        use_instead=PARENT + ";\n" + EAGER + ";  -- once: selectinload(Product.seller)",
    ),
    check=check,
    thresholds={"min_repeats": 5, "min_time_per_request_ms": 0.0, "min_calls_ratio": 5.0,
                "min_calls": 100},
    examples=[
        Example("lazy loading: one seller query per product", True, _bad, "20 times per request"),
        Example("the app hook names the relationship and the option", True, _bad_hooked(lazy=True),
                ".options(joinedload(Product.seller))"),
        Example("the app hook saw a query in a loop, not a lazy load", True, _bad_hooked(lazy=False),
                "WHERE id = ANY($1)"),
        Example("no traces: call counts suggest it (low confidence)", True, _bad_statistics, "Possible N+1"),
        Example("eager loading with = ANY($1)", False, _good_eager),
        Example("one lookup per request across many requests (1+1)", False, _good_once_per_request),
    ],
)
