"""Short human texts shared by the artifacts: sizes, SQL one-liners, a recommendation's gain.

    >>> human_bytes(2_300_000)
    '2.2 MB'
    >>> short_sql("SELECT *\\n  FROM t   WHERE a = $1", 20)
    'SELECT * FROM t W...'
"""

from __future__ import annotations

from collections.abc import Mapping

from advisor.model import Recommendation

SQL_WIDTH = 100


def human_bytes(size: float | None) -> str:
    if not size:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def short_sql(sql: str, width: int = SQL_WIDTH) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def weighted_costs(rec: Recommendation) -> tuple[float, float]:
    """(before, after): the planner cost of the statements it serves, weighted by their calls."""
    before = sum(g.cost_before * g.calls for g in rec.statements)
    after = sum(g.cost_after * g.calls for g in rec.statements)
    return before, after


def gain_percent(rec: Recommendation) -> float | None:
    """The planner cost its statements save, in %; None when not estimated (a GIN index)."""
    before, after = weighted_costs(rec)
    costed = rec.evidence.get("costed", True)
    return None if before <= 0 or not costed else 100.0 * (before - after) / before


def gain_text(rec: Recommendation) -> str:
    before, after = weighted_costs(rec)
    pct = gain_percent(rec)
    if not rec.evidence.get("costed", True):
        return "gain not estimated (HypoPG cannot simulate GIN indexes)"
    if pct is None:
        return f"benefit {rec.benefit:,.0f}"
    return (f"weighted cost {before:,.0f} -> {after:,.0f} (-{pct:.1f}%), "
            f"benefit {rec.benefit:,.0f} net of write overhead {rec.write_overhead:,.0f}")


def revision_summary(recs: list[Recommendation], queries: Mapping[str, str]) -> str:
    """The body of a revision's docstring: what it does, the statements it serves, the gain."""
    parts = []
    for rec in recs:
        if rec.action == "create":
            lines = [f"Creates index {rec.name} on {rec.table}"
                     + (f" and on its {len(rec.partitions)} partitions." if rec.partitions else "."),
                     f"Estimated size {human_bytes(rec.estimated_size_bytes)}; estimated gain: "
                     f"{gain_text(rec)}."]
            if rec.reason:
                lines.append(f"Why: {rec.reason}")
            lines += _costs_lines(rec)
            if rec.statements:
                lines.append("Serves:")
            for gain in rec.statements:
                sql = queries.get(gain.statement)
                lines.append(f"  {gain.statement}  {short_sql(sql) if sql else '(query text not captured)'}")
                lines.append(f"  {'':16}  {gain.calls:,.0f} calls, cost {gain.cost_before:,.1f} -> "
                             f"{gain.cost_after:,.1f} per call")
        else:
            lines = [f"Drops index {rec.name} on {rec.table}."]
            if rec.reason:
                lines.append(f"Why: {rec.reason}")
            if rec.risk:
                lines.append(f"Risk: {rec.risk}")
            lines += [f"{key}: {value}" for key, value in rec.evidence.items()
                      if key not in ("definition", "queries", "plan_after", "plan_before")]
            if rec.evidence.get("definition"):
                lines.append(f"Downgrade recreates it: {short_sql(rec.evidence['definition'], 200)}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _costs_lines(rec: Recommendation) -> list[str]:
    """What a reviewer pays for the index: writes slowed, and what a narrower one would lose."""
    from advisor.emit.footprint import narrower_text, slowed_writes

    lines = []
    if rec.evidence.get("table_size_bytes"):
        lines.append(f"Its table: {human_bytes(rec.evidence['table_size_bytes'])}.")
    if rec.evidence.get("writes"):
        lines.append(f"Writes it slows (over the capture): {slowed_writes(rec)}.")
    if narrower_text(rec):
        lines.append(f"A narrower variant, {narrower_text(rec)}.")
    return lines
