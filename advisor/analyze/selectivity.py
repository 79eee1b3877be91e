"""How many rows a predicate keeps, from pg_stats, the way PostgreSQL's planner estimates it.

    >>> from advisor.model import Column, ColumnStats, Predicate, Table
    >>> t = Table("public", "p", reltuples=1000, columns=[Column("status", "text", stats=ColumnStats(
    ...     n_distinct=3, most_common_vals=["active", "draft"], most_common_freqs=[0.9, 0.08]))])
    >>> kept(Predicate("status", "=", "'active'"), t), round(kept(Predicate("status", "=", "'gone'"), t), 2)
    (0.9, 0.02)
"""

from __future__ import annotations

from advisor.model import ColumnStats, Predicate, Table

UNKNOWN = None


def kept(predicate: Predicate, table: Table, observed: list[str] | None = None) -> float | None:
    """The share of rows kept: a constant's frequency; for a parameter, the mean over the values
    traces show (``observed``), else the typical value's."""
    column = table.column(predicate.column) if not predicate.function else None
    stats = column.stats if column else None
    if stats is None:
        return UNKNOWN
    if predicate.op == "is null":
        return stats.null_frac
    if predicate.op == "is not null":
        return 1.0 - stats.null_frac
    if predicate.op != "=":
        return UNKNOWN
    if predicate.value is not None:
        return frequency(predicate.value, stats, table)
    known = [f for f in (frequency(v, stats, table) for v in observed or []) if f is not None]
    if known:
        return sum(known) / len(known)
    freqs = stats.most_common_freqs or []
    if freqs and sum(freqs) > 0:
        return sum(f * f for f in freqs) / sum(freqs)
    distinct = distinct_values(stats, table)
    return 1.0 / distinct if distinct >= 1 else UNKNOWN


def frequency(value: str, stats: ColumnStats, table: Table) -> float | None:
    value = normal(value)
    for v, f in zip(stats.most_common_vals or [], stats.most_common_freqs or [], strict=False):
        if normal(str(v)) == value:
            return f
    return other_value(stats, table)


def other_value(stats: ColumnStats, table: Table) -> float | None:
    """The share of one value outside the most common ones (PostgreSQL's own estimate)."""
    freqs = stats.most_common_freqs or []
    others = distinct_values(stats, table) - len(freqs)
    if others < 1:
        return None
    return max(0.0, 1.0 - sum(freqs) - stats.null_frac) / others


def distinct_values(stats: ColumnStats, table: Table) -> float:
    return stats.n_distinct if stats.n_distinct > 0 else -stats.n_distinct * max(table.reltuples, 0.0)


def normal(value: str) -> str:
    value = value.strip().strip("'").lower()
    return {"true": "t", "false": "f"}.get(value, value)
