"""deep-offset: OFFSET pagination deep into a result; keyset pagination reads only one page.

    >>> RULE.id
    'deep-offset'
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlglot import exp

from advisor.analyze.parsing import Unparseable, parse
from advisor.model import Finding
from rules._base import Docs, Example, Rule
from rules._build import snapshot, stmt, trace


def check(ctx) -> Iterable[Finding]:
    threshold = ctx.threshold("max_offset")
    for statement, shape in ctx.statements():
        offsets = [shape.offset] if shape.offset is not None else _traced_offsets(ctx, statement)
        deepest = max((o for o in offsets if o is not None), default=None)
        if deepest is not None and deepest >= threshold:
            yield _finding(ctx, statement, shape, deepest, len(offsets))


def _traced_offsets(ctx, statement) -> list[int]:
    """OFFSET $n values seen in traces: from the event's parameters or its literal text."""
    try:
        tree = parse(statement.query)
    except Unparseable:
        return []
    offset = tree.args.get("offset")
    target = offset.args.get("expression") if isinstance(offset, exp.Offset) else None
    if not isinstance(target, exp.Parameter):
        return []
    position = int(target.name) - 1 if target.name.isdigit() else -1
    found = []
    for trace_ in ctx.snapshot.traces:
        for event in trace_.events:
            if event.fingerprint != statement.fingerprint:
                continue
            value = event.params[position] if event.params and 0 <= position < len(event.params) else None
            if value is None and event.query != statement.query:
                value = _literal_offset(event.query)
            if isinstance(value, str | int) and str(value).isdigit():
                found.append(int(value))
    return found


def _literal_offset(sql: str) -> int | None:
    try:
        offset = parse(sql).args.get("offset")
    except Unparseable:
        return None
    value = offset.args.get("expression") if isinstance(offset, exp.Offset) else None
    return int(value.this) if isinstance(value, exp.Literal) and value.this.isdigit() else None


def _finding(ctx, statement, shape, deepest: int, seen: int) -> Finding:
    order = [o for a in shape.tables for o in a.order_by]
    keys = ", ".join(o.column for o in order) or "the sort key"
    cmp = "<" if order and order[0].desc else ">"
    ordered = ", ".join(o.column + (" DESC" if o.desc else "") for o in order) or keys
    table = next((a.table for a in shape.tables if a.order_by), shape.tables[0].table if shape.tables else None)
    return ctx.finding(
        f"OFFSET {deepest:,} pagination: each page reads and throws away {deepest:,} rows before "
        f"returning any",
        f"Paginate by key (keyset): remember the last row's {keys} and ask for "
        f"WHERE ({keys}) {cmp} ($last) ORDER BY {ordered} LIMIT n, with an index on ({ordered}); "
        f"the cost of a page then no longer grows with its number.",
        table=table, statements=[statement.fingerprint],
        evidence={"offset": deepest, "offsets_seen": seen, "order_by": [o.column for o in order],
                  **ctx.workload_evidence([statement])})


SCHEMA = "CREATE TABLE products (id bigint PRIMARY KEY, name text, created_at timestamptz);"
BAD = "SELECT * FROM products ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 10000"
PARAM = "SELECT * FROM products ORDER BY created_at DESC LIMIT $1 OFFSET $2"


def _bad():
    return snapshot(SCHEMA, {"products": 50_000}, [stmt(BAD)])


def _bad_traced():
    return snapshot(SCHEMA, {"products": 50_000}, [stmt(PARAM)],
                    traces=[trace("GET /products", [(PARAM, ["20", "4000"])])])


def _good_keyset():
    return snapshot(SCHEMA, {"products": 50_000}, [stmt(
        "SELECT * FROM products WHERE (created_at, id) < ($1, $2) ORDER BY created_at DESC, id DESC LIMIT 20")])


def _good_first_pages():
    return snapshot(SCHEMA, {"products": 50_000}, [stmt(PARAM)],
                    traces=[trace("GET /products", [(PARAM, ["20", "40"])])])


RULE = Rule(
    id="deep-offset",
    name="Deep OFFSET pagination",
    severity="medium",
    summary="OFFSET N reads and discards N rows on every page; keyset pagination reads one page.",
    docs=Docs(
        what="Finds statements paginating with a large OFFSET: a constant in the statement, or the "
             "values the traces show for an OFFSET parameter.",
        why="PostgreSQL must produce and discard every skipped row: page 500 costs 500 times page 1, "
            "and rows shift between pages while users read them.",
        example=BAD,
        use_instead="SELECT * FROM products WHERE (created_at, id) < ($1, $2)\n"
                    "ORDER BY created_at DESC, id DESC LIMIT 20;  -- $1, $2: the last row of the previous page",
    ),
    check=check,
    thresholds={"max_offset": 1_000},
    examples=[
        Example("a constant OFFSET 10000", True, _bad, "OFFSET 10,000"),
        Example("a traced OFFSET parameter of 4000", True, _bad_traced, "OFFSET 4,000"),
        Example("keyset pagination", False, _good_keyset),
        Example("only the first pages are read", False, _good_first_pages),
    ],
)
