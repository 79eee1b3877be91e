"""Rendering validation results (the document `advisor.validate.validate` returns)."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from advisor.errors import AdvisorError
from advisor.model import Plan
from advisor.validate import at_load, comparable_p95, p95_label


def load_plan(path: Path) -> Plan:
    """The plan inside `advisor analyze --format json` output (or a bare Plan document)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AdvisorError(f"cannot read plan {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("plan"), dict):
        data = data["plan"]
    if not isinstance(data, dict) or "recommendations" not in data:
        raise AdvisorError(f"{path} holds no recommendations (expected `advisor analyze --format json`)")
    try:
        return Plan.from_dict(data)
    except (TypeError, KeyError, AttributeError) as exc:
        raise AdvisorError(f"cannot read plan {path}: {exc}") from None


def fmt(value, unit: str = "", digits: int = 1) -> str:
    """A figure with thousands separators, or "-" when it was not measured."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{unit}"


def times(value) -> str:
    """A ratio as "12.3x", or "-" when it was not measured."""
    return "-" if value is None else f"{value:,.1f}x"


def endpoints_table(result: dict) -> Table:
    table = Table(title="Endpoints, before -> after")
    for col in ("endpoint", p95_label(result), "RPS (closed loop, median)", "queries/request",
                "ms in SQL per request", "p95 speedup"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    rows = list(result.get("endpoints", []))
    if result.get("overall"):
        rows.append({"endpoint": "overall", **result["overall"]})
    for row in rows:
        b, a = row["before"], row["after"]
        table.add_row(row["endpoint"],
                      f"{fmt(comparable_p95(b))} -> {fmt(comparable_p95(a))}",
                      f"{fmt(b.get('rps'))} -> {fmt(a.get('rps'))}",
                      f"{fmt(b.get('mean_queries'))} -> {fmt(a.get('mean_queries'))}",
                      f"{fmt(at_load(b, 'mean_sql_ms'))} -> {fmt(at_load(a, 'mean_sql_ms'))}",
                      times(row.get("p95_speedup")))
    return table


def recommendations_table(result: dict) -> Table:
    table = Table(title="Recommendations: estimated vs measured")
    for col in ("index", "idx_scan", "estimated", "measured", "verdict"):
        table.add_column(col)
    for rec in result.get("recommendations", []):
        table.add_row(rec["name"], str(rec["idx_scan"]), times(rec["estimated_speedup"]),
                      times(rec["measured_speedup"]),
                      rec["verdict"] if rec["helps"] and not rec.get("slower_statements")
                      else f"[yellow]{rec['verdict']}[/]")
    return table


def print_validation(console: Console, result: dict) -> None:
    if result.get("endpoints"):
        console.print(endpoints_table(result))
    if result.get("recommendations"):
        console.print(recommendations_table(result))
    slow = sorted(result.get("statements", []), key=lambda s: -(s.get("speedup") or 0))[:10]
    if slow:
        table = Table(title="Statements with the largest change (median mean time)")
        for col in ("statement", "before ms", "after ms", "speedup", "buffers/call"):
            table.add_column(col)
        for s in slow:
            table.add_row(s["query"][:70], fmt(s["before"]["mean_ms"], digits=2),
                          fmt(s["after"]["mean_ms"], digits=2), times(s["speedup"]),
                          f"{fmt(s['before']['blks_per_call'])} -> {fmt(s['after']['blks_per_call'])}")
        console.print(table)
    if result.get("pruned"):
        console.print(f"pruned revisions: {', '.join(result['pruned'])}")
