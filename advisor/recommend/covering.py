"""Which INCLUDE columns can pay: an INCLUDE only saves heap visits, so it earns its bytes only
when the index-only scan is real and the column is narrow and not updated.

    >>> from advisor.model import Catalog, Column, ColumnStats, Table
    >>> t = Table("public", "posts", relpages=100, relallvisible=95, columns=[
    ...     Column("id", "bigint", stats=ColumnStats(avg_width=8)),
    ...     Column("body", "text", stats=ColumnStats(avg_width=900)), Column("views", "integer")])
    >>> rules = IncludeRules(updated={"public.posts": {"views"}})
    >>> admissible(IndexSpec("public.posts", ["id"], include=["body", "views"]), Catalog([t]), rules).include
    []
    >>> admissible(IndexSpec("public.posts", ["body"], include=["id"]), Catalog([t]), rules).include
    ['id']

- A wide column (pg_stats ``avg_width`` over ``max_include_width``: text bodies, jsonb, bytea)
  makes the index a second copy of the table.
- A column the workload's UPDATEs set ends their HOT path (every update then writes every
  index), and each update clears the page's all-visible bit the index-only scan relies on.
- On a table with under ``min_all_visible`` of its pages all-visible (``relallvisible /
  relpages``) an index-only scan visits the heap anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.model import Catalog, IndexSpec, Table

WIDE_TYPES = ("text", "bytea", "json", "jsonb", "xml", "tsvector")  # wide when no statistics say


@dataclass
class IncludeRules:
    max_include_width: int = 16  # bytes (pg_stats avg_width) an INCLUDE column may take
    min_all_visible: float = 0.5  # relallvisible / relpages under which INCLUDE is struck
    updated: dict[str, set[str]] = field(default_factory=dict)  # table -> columns UPDATEs set


def admissible(spec: IndexSpec, catalog: Catalog, rules: IncludeRules) -> IndexSpec:
    """``spec`` without the INCLUDE columns that cannot pay."""
    table = catalog.table(spec.table)
    if not spec.include or table is None:
        return spec
    updated = rules.updated.get(spec.table, set())
    include = [c for c in spec.include if not wide(table, c, rules) and c not in updated]
    if not mostly_visible(table, rules):
        include = []
    return IndexSpec(spec.table, spec.columns, spec.method, include, spec.where, spec.opclass, spec.unique)


def wide(table: Table, column: str, rules: IncludeRules) -> bool:
    """Wider than ``max_include_width`` by pg_stats, or of a type that usually is when unknown."""
    col = table.column(column)
    if col is None:
        return False
    if col.stats is not None and col.stats.avg_width is not None:
        return col.stats.avg_width > rules.max_include_width
    base = col.type.split("(")[0].strip().lower()
    return base in WIDE_TYPES or col.type.endswith("[]") or base == "character varying" and "(" not in col.type


def mostly_visible(table: Table, rules: IncludeRules) -> bool:
    if table.relallvisible is None or table.relpages <= 0:
        return True  # not captured: the planner's costs (which read it) decide alone
    return table.relallvisible / table.relpages >= rules.min_all_visible


def struck(spec: IndexSpec, allowed: IndexSpec, catalog: Catalog, rules: IncludeRules) -> str:
    """Why ``admissible`` struck what it struck from ``spec``."""
    table = catalog.table(spec.table)
    gone = [c for c in spec.include if c not in allowed.include]
    if table is not None and not mostly_visible(table, rules):
        share = 100.0 * (table.relallvisible or 0) / max(table.relpages, 1)
        return (f"INCLUDE ({', '.join(gone)}) struck: only {share:.0f}% of the table is all-visible "
                f"(< {100 * rules.min_all_visible:.0f}%), so an index-only scan still reads the heap")
    why = []
    wide_ones = [c for c in gone if table is not None and wide(table, c, rules)]
    if wide_ones:
        why.append(f"{', '.join(wide_ones)} wider than {rules.max_include_width} bytes a row "
                   f"(pg_stats avg_width), a second copy of the table")
    updated = [c for c in gone if c not in wide_ones]
    if updated:
        why.append(f"{', '.join(updated)} set by the workload's UPDATEs, which would stop being HOT")
    return f"INCLUDE ({', '.join(gone)}) struck: " + "; ".join(why)


__all__ = ["IncludeRules", "admissible", "mostly_visible", "struck", "wide"]
