"""Table accesses read from a statement's plan: the base tables the planner really scans.

    >>> from advisor.model import Catalog, Column, Table
    >>> users = Table("public", "users", columns=[Column("id", "int"), Column("email", "text")])
    >>> plan = {"Node Type": "Seq Scan", "Relation Name": "users", "Alias": "users",
    ...         "Filter": "((email)::text = 'a@b.c'::text)"}
    >>> [(a.table, [(p.column, p.op) for p in a.predicates]) for a in plan_accesses(plan, Catalog([users]))]
    [('public.users', [('email', '=')])]

A query through a view, a CTE the planner inlines, or a derived table reads its base tables with
filters that the SQL text only names through the view's or the CTE's columns. The plan names them
directly: each scan's relation, alias and filter, the join conditions, the sort keys. They are put
back together as one SELECT over the scanned relations (unqualified columns qualified with their
scan's alias, the planner's implicit casts of a column removed) and read by the SQL shape walker,
so both sources give the same kind of access - without the columns read, which a plain plan does
not show (so no covering index is built on a guess). A partition stands for its partitioned table unless
the statement names the partition itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sqlglot import exp

from advisor.analyze.catalog_index import CatalogIndex
from advisor.analyze.parsing import POSTGRES, SQLGLOT_ERRORS, parse_one
from advisor.analyze.plans import nodes
from advisor.model import Catalog, QueryShape, TableAccess

SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Sample Scan", "Tid Scan")
CONDITIONS = ("Filter", "Index Cond", "Recheck Cond", "Hash Cond", "Merge Cond", "Join Filter")
_IDENT = re.compile(r'"((?:[^"]|"")+)"|\b([A-Za-z_][A-Za-z0-9_$]*)\b')
PLAN_FINGERPRINT = "plan"  # the shape of a plan's statement is never reported: no need to name it


def plan_accesses(plan: Any, catalog: Catalog) -> list[TableAccess]:
    """The accesses the plan shows, one per scanned relation (aliases as the plan names them)."""
    plan_nodes = [node for node, _ancestors in nodes(plan)]
    return _accesses(plan_nodes, _scans(plan_nodes, CatalogIndex.of(catalog)), catalog)


def with_plan_accesses(shape: QueryShape, plan: Any, catalog: Catalog) -> QueryShape:
    """``shape`` plus the accesses of the plan that say something its SQL text does not (a new
    table, filter, join key or sort key); ``shape`` itself is never changed."""
    if not plan or shape.parse_error or shape.kind in ("utility", "other"):
        return shape
    plan_nodes = [node for node, _ancestors in nodes(plan)]
    scans = _scans(plan_nodes, CatalogIndex.of(catalog))
    if _covered(shape, plan_nodes, scans, catalog):
        return shape
    named = {a.table for a in shape.tables}
    extra = []
    for access in _accesses(plan_nodes, scans, catalog):
        access.table = _lift(access.table, named, catalog)
        if _news(access, [a for a in shape.tables + extra if a.table == access.table]):
            extra.append(access)
    if not extra:
        return shape
    return QueryShape(**{**shape.__dict__, "tables": list(shape.tables) + extra})


def _accesses(plan_nodes: list[dict], scans: dict[str, str], catalog: Catalog) -> list[TableAccess]:
    if not scans:
        return []
    conditions, sort = _conditions(plan_nodes)
    from advisor.analyze.shapes import extract_shape

    shape = extract_shape(_statement(scans, conditions, sort), catalog, PLAN_FINGERPRINT)
    if shape.parse_error:
        return []
    accesses = [TableAccess(**{**a.__dict__, "columns_used": []}) for a in shape.tables]
    return accesses  # what each scan outputs is not in a plain plan: no columns to cover


def _scans(plan_nodes: list[dict], index: CatalogIndex) -> dict[str, str]:
    """alias -> qualname of every relation the plan scans."""
    scans: dict[str, str] = {}
    for node in plan_nodes:
        relation = node.get("Relation Name")
        if node.get("Node Type") in SCANS and isinstance(relation, str):
            alias = node.get("Alias") if isinstance(node.get("Alias"), str) else relation
            schema = node.get("Schema")
            scans[alias] = f"{schema}.{relation}" if isinstance(schema, str) else index.resolve(relation)
    return scans


def _conditions(plan_nodes: list[dict]) -> tuple[list[str], list[str]]:
    """The SQL of every condition of the plan (columns qualified), and the topmost sort's keys."""
    conditions: list[str] = []
    sort: list[str] = []
    for node in plan_nodes:
        relation = node.get("Relation Name")
        alias = node.get("Alias") if isinstance(node.get("Alias"), str) else relation
        for key in CONDITIONS:
            text = node.get(key)
            if isinstance(text, str) and "SubPlan" not in text and "InitPlan" not in text:
                condition = _condition(text, alias if isinstance(relation, str) else None)
                if condition is not None:
                    conditions.append(condition)
        if node.get("Node Type") == "Sort" and not sort:
            sort = _sort_key(node)
    return conditions, sort


def _sort_key(node: dict) -> list[str]:
    keys = node.get("Sort Key")
    return [k for k in keys if isinstance(k, str)] if isinstance(keys, list) else []


@lru_cache(maxsize=20_000)
def _parsed(text: str) -> exp.Expression | None:
    """A plan condition's tree (shared: copy it); thousands of statements repeat the same few."""
    try:
        return parse_one(text)
    except SQLGLOT_ERRORS:
        return None


@lru_cache(maxsize=20_000)
def _condition(text: str, alias: str | None) -> str | None:
    """A plan condition's SQL with its columns qualified by ``alias`` (when it is a scan's)."""
    parsed = _parsed(text)
    if parsed is None:
        return None
    tree = parsed.copy()
    for column in list(tree.find_all(exp.Column)):
        if alias and not column.table:
            column.set("table", exp.to_identifier(alias, quoted=True))
        node = column
        while isinstance(node.parent, exp.Paren):
            node = node.parent
        if isinstance(node.parent, exp.Cast) and node.parent.this is node:
            node.parent.replace(column.copy())  # (status)::text: the planner's coercion, not a function
    return tree.sql(dialect=POSTGRES, copy=False)  # a private tree


def _statement(scans: dict[str, str], conditions: list[str], sort: list[str]) -> str:
    from advisor.ddl import qualified

    sources = ", ".join(f'{qualified(rel)} AS "{alias}"' for alias, rel in scans.items())
    sql = f"SELECT * FROM {sources}"
    if conditions:
        sql += " WHERE " + " AND ".join(f"({c})" for c in conditions)
    if sort:
        sql += " ORDER BY " + ", ".join(sort)
    return sql


def _lift(table: str, named: set[str], catalog: Catalog) -> str:
    """A partition the statement does not name stands for its topmost partitioned table."""
    if table in named:
        return table
    ancestors = catalog.ancestors(table)
    return ancestors[-1] if ancestors else table


def _news(access: TableAccess, known: list[TableAccess]) -> bool:
    seen = {(p.column, p.op) for a in known for p in a.predicates}
    joins = {c for a in known for c in a.join_columns}
    order = {o.column for a in known for o in a.order_by}
    return (not known or any((p.column, p.op) not in seen for p in access.predicates)
            or any(c not in joins for c in access.join_columns)
            or any(o.column not in order for o in access.order_by))


@lru_cache(maxsize=20_000)
def _words(text: str) -> frozenset[str]:
    """The identifiers of an expression's text, quoted ones unquoted."""
    return frozenset(q.replace('""', '"') if q else w for q, w in _IDENT.findall(text))


def _covered(shape: QueryShape, plan_nodes: list[dict], scans: dict[str, str], catalog: Catalog) -> bool:
    """Whether the SQL text already names every relation the plan scans (or its partitioned
    table) and every column of theirs the plan's conditions and sort keys mention - a check on
    the plan's words, without parsing - so the plan cannot add anything."""
    known: dict[str, set[str]] = {}
    for access in shape.tables:
        names = known.setdefault(access.table, set())
        names.update(_words(" ".join(p.column for p in access.predicates)))
        names.update(access.join_columns)
        names.update(o.column for o in access.order_by)
    tables = {_lift(t, set(known), catalog) for t in scans.values()}
    if not tables <= set(known):
        return False
    words: set[str] = set()
    for node in plan_nodes:
        texts = [node.get(k) for k in CONDITIONS] + _sort_key(node)
        for text in (t for t in texts if isinstance(t, str)):
            words.update(_words(text))
    for qualname in tables:
        table = catalog.table(qualname)
        columns = {c.name for c in table.columns} if table else set()
        if (words & columns) - known[qualname]:
            return False
    return True
