"""fk-without-index: a foreign key the workload joins or deletes through has no index.

    >>> RULE.id
    'fk-without-index'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.indexes import index_with_prefix
from advisor.ddl import qualified
from advisor.model import Finding, ForeignKey
from rules._base import Docs, Example, Rule
from rules._build import snapshot, stmt
from rules._common import EQUALITY, ddl_columns, time_share


def check(ctx) -> Iterable[Finding]:
    for fk in ctx.catalog.foreign_keys:
        if not fk.columns or ctx.rows(fk.table) < ctx.threshold("min_table_rows"):
            continue
        if index_with_prefix(ctx.catalog, fk.table, fk.columns):
            continue
        uses = _uses(ctx, fk)
        if uses:
            yield _finding(ctx, fk, uses)


def _uses(ctx, fk: ForeignKey) -> dict[str, list]:
    """Statements that join through the key, filter on it, or delete/update the referenced rows."""
    found: dict[str, list] = {"join": [], "filter": [], "delete": []}
    for statement, shape in ctx.statements():
        for access in shape.tables:
            if access.table == fk.table:
                if any(c in access.join_columns for c in fk.columns):
                    found["join"].append(statement)
                elif any(p.column in fk.columns and p.op in EQUALITY and not p.function
                         for p in access.predicates):
                    found["filter"].append(statement)
            elif (access.table == fk.ref_table and shape.kind == "delete"
                  and access is shape.tables[0]):
                found["delete"].append(statement)
    return {k: v for k, v in found.items() if v}


def _finding(ctx, fk: ForeignKey, uses: dict[str, list]) -> Finding:
    statements = list({s.fingerprint: s for group in uses.values() for s in group}.values())
    columns = ", ".join(fk.columns)
    how = {"join": "joins through it", "filter": "looks rows up by it",
           "delete": f"deletes from {fk.ref_table}, and each delete checks {fk.table}"}
    said = "; ".join(how[k] for k in uses)
    work = ctx.workload_evidence(statements)
    return ctx.finding(
        f"Foreign key {fk.name} on {fk.table} ({columns}) has no index, and the workload {said}",
        f"Create an index: CREATE INDEX CONCURRENTLY ON {qualified(fk.table)} ({ddl_columns(fk.columns)}); joins and lookups "
        f"by {columns} and deletes of {fk.ref_table} rows then stop scanning {fk.table} "
        f"(these statements: {time_share(work)}).",
        table=fk.table, statements=[s.fingerprint for s in statements],
        evidence={"foreign_key": fk.name, "columns": fk.columns, "references": fk.ref_table,
                  "table_rows": ctx.rows(fk.table), "uses": sorted(uses), **work})


SCHEMA = """
CREATE TABLE orders (id bigint PRIMARY KEY, created_at timestamptz);
CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id),
                          quantity int);
"""
ROWS = {"orders": 50_000, "order_items": 200_000}
BAD = "SELECT i.* FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.id = $1"


def _bad_join():
    return snapshot(SCHEMA, ROWS, [stmt(BAD)])


def _bad_delete():
    return snapshot(SCHEMA, ROWS, [stmt("DELETE FROM orders WHERE id = $1")])


def _good_indexed():
    return snapshot(SCHEMA + "CREATE INDEX ix_order_items_order_id ON order_items (order_id);", ROWS,
                    [stmt(BAD)])


def _good_unused():
    return snapshot(SCHEMA, ROWS, [stmt("SELECT * FROM order_items WHERE quantity > $1")])


RULE = Rule(
    id="fk-without-index",
    name="Foreign key without an index",
    severity="medium",
    summary="A foreign key that the workload joins, filters or deletes through has no index on the referencing side.",
    docs=Docs(
        what="Lists foreign keys whose referencing columns lead no index, when the workload joins "
             "through them, looks rows up by them, or deletes rows of the referenced table.",
        why="PostgreSQL indexes the referenced key, never the referencing one. Every join from the "
            "parent and every delete of a parent row (the foreign-key check) then scans the child "
            "table in full.",
        example="-- order_items.order_id REFERENCES orders (id), no index on order_items (order_id)\n" + BAD,
        use_instead="CREATE INDEX CONCURRENTLY ON order_items (order_id);",
    ),
    check=check,
    thresholds={"min_table_rows": 1_000},
    examples=[
        Example("a join through an unindexed foreign key", True, _bad_join, "order_items"),
        Example("deleting parents checks an unindexed child table", True, _bad_delete, "deletes from"),
        Example("the foreign key has an index", False, _good_indexed),
        Example("no statement uses the foreign key", False, _good_unused),
    ],
)
