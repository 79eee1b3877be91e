"""Small helpers several rules share: matching plan nodes to shapes, formatting numbers."""

from __future__ import annotations

from advisor.analyze.plans import PlanEvidence
from advisor.analyze.selectivity import kept
from advisor.ddl import quote_ident
from advisor.model import Predicate, QueryShape, TableAccess

EQUALITY = ("=", "in", "any", "is null")
RANGE = ("<", ">", "<=", ">=", "between")
UNSELECTIVE = 0.5  # an equality keeping more than this is no use as an index key


def access_for(shape: QueryShape, evidence: PlanEvidence) -> TableAccess | None:
    """The shape's use of the table a plan node scans (by alias when the table occurs twice)."""
    candidates = [a for a in shape.tables if a.table == evidence.relation]
    if len(candidates) > 1 and evidence.alias:
        named = [a for a in candidates if (a.alias or a.table.split(".")[1]) == evidence.alias]
        candidates = named or candidates
    return candidates[0] if candidates else None


def plain(predicates: list[Predicate], ops: tuple[str, ...]) -> list[str]:
    """Column names of predicates with these operators on the column itself (no function)."""
    seen: list[str] = []
    for p in predicates:
        if p.op in ops and not p.function and p.column not in seen:
            seen.append(p.column)
    return seen


def selective_equalities(ctx, statement, access: TableAccess) -> list[str]:
    """Equality columns worth an index key: those pg_stats (and traced values) do not say keep
    most rows."""
    table = ctx.table(access.table)
    columns = []
    for p in access.predicates:
        if p.op in EQUALITY and not p.function and p.column not in columns:
            share = kept(p, table, ctx.observed(statement, p)) if table is not None else None
            if share is None or share <= UNSELECTIVE:
                columns.append(p.column)
    return columns


def index_columns(ctx, statement, access: TableAccess, width: int = 3) -> list[str]:
    """Equality columns first, then one range column: the usual btree key order."""
    columns = selective_equalities(ctx, statement, access)
    ranges = [c for c in plain(access.predicates, RANGE) if c not in columns]
    return (columns + ranges[:1])[:width]


def percent(fraction: float | None) -> str:
    if fraction is None:
        return "?"
    value = fraction * 100
    return f"{value:.0f}%" if value >= 10 else f"{value:.2g}%"


def time_share(work: dict) -> str:
    """``12% of total execution time``, from ``workload_evidence``; statements from SQL files have
    no measured time, and then say so rather than claim 0%."""
    if not work.get("total_time_ms"):
        return "no measured execution time"
    return f"{percent(work['share_of_total_time'])} of total execution time"


def short_sql(sql: str, width: int = 90) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def ddl_columns(columns: list[str]) -> str:
    """Index keys as DDL: names quoted as needed, expressions in parentheses.

    >>> ddl_columns(["CustomerId", "placed DESC", "lower(email)"])
    '"CustomerId", placed DESC, (lower(email))'
    """
    return ", ".join(_ddl_key(c) for c in columns)


def _ddl_key(column: str) -> str:
    if "(" in column:
        return column if column.startswith("(") else f"({column})"
    name, desc = (column[:-5], " DESC") if column.endswith(" DESC") else (column, "")
    return quote_ident(name) + desc
