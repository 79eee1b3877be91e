"""Workload compression: statements of one shape become one template, priced through one of them.

    >>> from advisor.model import Catalog, Predicate, QueryShape, TableAccess
    >>> def shape(fp, op, alias):
    ...     return QueryShape(fp, "select", [TableAccess("public.t", alias, [Predicate("a", op)],
    ...                                                  columns_used=["a", "b"])])
    >>> a, b, c = shape("f1", "=", None), shape("f2", "=", "x"), shape("f3", ">", None)
    >>> template_key(a, Catalog()) == template_key(b, Catalog()) != template_key(c, Catalog())
    True

pg_stat_statements keeps apart what an index advisor need not: the same search spelled with a
table alias or without, its predicates in another order, a ``$1`` with a cast or without, the
columns listed in another order. Two statements share a template when they read the same tables
the same way - the kind of statement, whether it has a LIMIT or an OFFSET, whether it compares
with constants or with parameters only (the planner prices a constant from the statistics and a
parameter with a generic estimate: two plans of one search), and per table the predicates
(column, operator, function, leading wildcard), those of each OR's branches, the join columns,
the ORDER BY and GROUP BY, and the columns read. A constant's value is part of the shape only where it changes the advice: a
value rare enough to earn a partial index (one of the column's most common values), and the selectivity class (a factor of
``SELECTIVITY_STEP``) of an equality's value, so ``status = 'open'`` (4 % of the rows) and
``status = 'closed'`` (60 %) stay apart while two account ids share a template.

When the statements were planned (capture, or ``--queries`` on a DSN), the plans split a
template further: statements whose plans expect numbers of rows from a table that differ by a
factor of ``ROWS_STEP`` are priced apart (``created_at > '2024-12-01'`` and ``created_at >
'2020-01-01'`` are one shape and two searches).

A template weighs what its statements weigh together and is priced through its heaviest
statement (the selection EXPLAINs one statement per template: Chaudhuri et al.'s workload
compression, ISUM); it keeps every statement's fingerprint and weight, so the plan still lists
each statement a recommendation serves. The candidates of a template are those of all its
statements.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from advisor.analyze.selectivity import kept, normal
from advisor.model import Catalog, Predicate, QueryShape, Table, TableAccess
from advisor.recommend.candidates import PARTIAL_MAX_SHARE

SELECTIVITY_STEP = 4.0  # equality constants whose shares differ by this factor are kept apart
ROWS_STEP = 4.0  # statements whose plans expect rows from a table differing by this factor too


def template_key(shape: QueryShape, catalog: Catalog) -> tuple:
    """What two statements must share to be priced as one (see the module's docstring)."""
    accesses = sorted((_access_key(a, catalog.table(a.table)) for a in shape.tables), key=repr)
    constants = any(p.value is not None for a in shape.tables
                    for p in a.predicates + [p for branches in a.any_of for p in branches])
    return (shape.kind, shape.has_limit, bool(shape.offset), constants, tuple(accesses))


def compress(items: list, shapes: dict[str, QueryShape], catalog: Catalog,
             plans: dict[str, dict] | None = None) -> list:
    """Templates of ``items`` (``advisor.recommend.select.Item``): one per template key and
    ``rows_signature`` of their plan (when ``plans`` has it), the heaviest statement as
    representative, the weights summed, every member kept."""
    groups: dict[tuple, list] = {}
    for item in items:
        shape = shapes.get(item.key)
        key = template_key(shape, catalog) if shape is not None else ("alone", item.key)
        plan = (plans or {}).get(item.key)
        groups.setdefault((key, rows_signature(plan) if plan else None), []).append(item)
    return [_template(group) for group in groups.values()]


def rows_signature(plan: dict) -> tuple:
    """Per table its plan reads, the class (a factor of ``ROWS_STEP``) of the rows the planner
    expects from it: two statements of one shape whose constants keep 10 rows and 100,000 rows
    of a table are priced apart (an index serves the one, not the other)."""
    found: list[tuple[str, int]] = []
    stack = [plan]
    while stack:
        node = stack.pop()
        if node.get("Relation Name"):
            rows = float(node.get("Plan Rows", 0) or 0)
            found.append((node["Relation Name"], round(math.log(rows + 1, ROWS_STEP))))
        stack += node.get("Plans") or []
    return tuple(sorted(found))


def _template(group: list):
    from dataclasses import replace

    lead = max(group, key=lambda i: i.weight)
    if len(group) == 1:
        return lead
    members = [m for item in group for m in item.members or [(item.key, item.weight)]]
    proposed: dict[tuple, int] = {}
    for item in group:
        for key, rank in item.proposed.items():
            proposed[key] = min(rank, proposed.get(key, rank))
    return replace(lead, weight=sum(i.weight for i in group), members=members, proposed=proposed)


def _access_key(access: TableAccess, table: Table | None) -> tuple:
    return (access.table, tuple(sorted((_predicate_key(p, table) for p in access.predicates), key=repr)),
            tuple(sorted(access.join_columns)),
            tuple((o.column, o.desc, o.nulls_first) for o in access.order_by),
            tuple(access.group_by), tuple(sorted(access.columns_used)),
            tuple(sorted((tuple(sorted((_predicate_key(p, table) for p in branches), key=repr))
                          for branches in access.any_of), key=repr)))


def _predicate_key(p: Predicate, table: Table | None) -> tuple:
    return (p.column, p.op, p.function or "", p.leading_wildcard, _value_class(p, table))


def _value_class(p: Predicate, table: Table | None):
    """What a constant changes in the advice: the value itself when it is rare enough to earn a
    partial index, else its selectivity class; None for a parameter or an unknown share."""
    if p.value is None or table is None or p.op != "=":
        return None
    share = kept(p, table)
    if not share or share <= 0:
        return None
    if share <= PARTIAL_MAX_SHARE and _common(p, table):
        return normal(p.value)
    return round(math.log(share, SELECTIVITY_STEP))


def _common(p: Predicate, table: Table) -> bool:
    """The value is one of the column's most common ones (the planner prices it by name; any
    other value gets the same share as every other)."""
    column = table.column(p.column) if not p.function else None
    values = (column.stats.most_common_vals or []) if column and column.stats else []
    return normal(p.value) in {normal(str(v)) for v in values}


def members(items: Iterable) -> int:
    """How many statements the templates stand for."""
    return sum(len(i.members) or 1 for i in items)
