"""What the new indexes cost: their estimated size next to their tables', the writes each slows,
and what a narrower variant of each would lose.

    >>> from advisor.model import Catalog, IndexSpec, Plan, Recommendation, Table
    >>> plan = Plan(recommendations=[Recommendation("create", "public.t", "ix_t_a", "", IndexSpec(
    ...     "public.t", ["a"]), estimated_size_bytes=2 << 20, evidence={"writes": {"rows_inserted": 40}})])
    >>> f = footprint(plan, Catalog([Table("public", "t", size_bytes=8 << 20)]))
    >>> f["index_bytes"], f["table_bytes"], f["tables"][0]["indexes"][0]["slows"]
    (2097152, 8388608, '40 rows inserted')
    >>> footprint_line(f)
    '1 new index, 2.0 MB estimated, on tables of 8.0 MB (25% of their size)'
"""

from __future__ import annotations

from advisor.emit.summaries import human_bytes
from advisor.model import Catalog, Plan, Recommendation


def footprint(plan: Plan | None, catalog: Catalog | None = None) -> dict:
    """Per table: its size, the new indexes on it (size, writes slowed, narrower variant); totals.
    Table sizes come from the recommendations' evidence, else from ``catalog``."""
    creates = [r for r in (plan.recommendations if plan else []) if r.action == "create"]
    tables: dict[str, dict] = {}
    for rec in creates:
        table = catalog.table(rec.table) if catalog else None
        size = rec.evidence.get("table_size_bytes") or (table.size_bytes if table else None)
        row = tables.setdefault(rec.table, {"table": rec.table, "table_bytes": size,
                                            "index_bytes": 0, "indexes": []})
        row["index_bytes"] += rec.estimated_size_bytes
        row["indexes"].append({"name": rec.name, "bytes": rec.estimated_size_bytes,
                               "slows": slowed_writes(rec), "narrower": narrower_text(rec),
                               "merged": list(rec.evidence.get("merged") or [])})
    rows = sorted(tables.values(), key=lambda r: -r["index_bytes"])
    return {"indexes": len(creates), "index_bytes": sum(r["index_bytes"] for r in rows),
            "table_bytes": sum(r["table_bytes"] or 0 for r in rows), "tables": rows}


def footprint_line(f: dict) -> str:
    """``12 new indexes, 14.1 MB estimated, on tables of 30.2 MB (47% of their size)``."""
    if not f["indexes"]:
        return "no new index"
    share = f" ({100.0 * f['index_bytes'] / f['table_bytes']:.0f}% of their size)" if f["table_bytes"] else ""
    noun = "index" if f["indexes"] == 1 else "indexes"
    return (f"{f['indexes']} new {noun}, {human_bytes(f['index_bytes'])} estimated, on tables of "
            f"{human_bytes(f['table_bytes'])}{share}")


def slowed_writes(rec: Recommendation) -> str:
    """The workload's writes that will also write this index, from the recommendation's evidence."""
    writes = rec.evidence.get("writes") or {}
    parts = [f"{writes[key]:,} rows {verb}" for key, verb in (
        ("rows_inserted", "inserted"), ("rows_updated_not_hot", "updated (not HOT)"),
        ("rows_deleted", "deleted")) if writes.get(key)]
    for update in writes.get("hot_updates_broken") or []:
        parts.append(f"{update['rows']:,} rows updated by {update['statement']} (setting "
                     f"{', '.join(update['columns'])}), no longer HOT")
    return "; ".join(parts) or "none"


def narrower_text(rec: Recommendation) -> str | None:
    """What the next narrower variant would lose, or None when the index is as narrow as it goes."""
    narrower = rec.evidence.get("narrower")
    if not narrower:
        return None
    lost = narrower.get("share_of_gain_lost")
    loss = f"{100.0 * lost:.0f}% of the gain" if lost is not None else "its gain"
    return f"{narrower['index']}: {human_bytes(narrower['bytes_saved'])} smaller, loses {loss}"


__all__ = ["footprint", "footprint_line", "narrower_text", "slowed_writes"]
