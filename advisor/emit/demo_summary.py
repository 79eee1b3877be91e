"""The demo's closing summary (the same figures as reports/summary.json)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.demo_claims import RELIABLE_P95_SAMPLES
from advisor.emit.footprint import footprint_line
from advisor.emit.summaries import human_bytes
from advisor.emit.validation import fmt, recommendations_table, times
from advisor.validate import at_load, comparable_p95, p95_label


def stages_table(summary: dict) -> Table:
    """Per endpoint: before -> with the indexes -> with the indexes and eager loading."""
    table = Table(title="ShopEase per endpoint: before -> indexes -> indexes + eager loading")
    for col in ("endpoint", p95_label(summary), "p95 gain (indexes)", "ms in SQL per request",
                "RPS (closed loop, median)", "queries/request"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    eager = summary.get("eager_loading", {}).get("eager", {})
    rows = list(summary.get("endpoints", []))
    if summary.get("overall"):
        rows.append({"endpoint": "overall", **summary["overall"]})
    for row in rows:
        b, a, e = row["before"], row["after"], eager.get(row["endpoint"], {})
        table.add_row(
            row["endpoint"],
            " -> ".join(fmt(comparable_p95(figures)) for figures in (b, a, e)),
            times(row.get("p95_speedup")),
            " -> ".join(fmt(at_load(figures, "mean_sql_ms")) for figures in (b, a, e)),
            f"{fmt(b.get('rps'))} -> {fmt(a.get('rps'))} -> {fmt(e.get('rps'))}",
            f"{fmt(b.get('mean_queries'))} -> {fmt(e.get('mean_queries'))}")
    return table


def footprint_table(f: dict) -> Table:
    """The new indexes next to their tables: size, the writes each slows, a narrower variant."""
    table = Table(title=f"New indexes: {footprint_line(f)}")
    for col in ("table (size)", "index", "estimated size", "writes it slows", "a narrower variant would lose"):
        table.add_column(col, justify="right" if col == "estimated size" else "left", overflow="fold")
    for row in f["tables"]:
        for n, index in enumerate(row["indexes"]):
            where = f"{row['table']} ({human_bytes(row['table_bytes'])})" if n == 0 else ""
            name = index["name"] + (f" (merges {', '.join(index['merged'])})" if index.get("merged") else "")
            table.add_row(Text(where), Text(name), human_bytes(index["bytes"]), Text(index["slows"]),
                          Text(index["narrower"] or "nothing narrower"))
    return table


def _mark(met: bool) -> str:
    return "[green]met[/]" if met else "[red]NOT met[/]"


def claims_table(check: dict) -> Table:
    """The demo's promises (targets from advisor.demo_claims) against this run's figures."""
    targets = check["targets"]
    table = Table(title="Claims: measured in this run against the targets")
    for col in ("claim", "before", "indexes", "indexes + eager", "gain", "target", "verdict",
                "p95 of n requests"):
        table.add_column(col, justify="left" if col == "claim" else "right")
    for row in check["endpoints"]:
        table.add_row(f"p95 {row['endpoint']} ({', '.join(row['planted'])})",
                      f"{fmt(row['p95_before'])} ms", f"{fmt(row['p95_indexes'])} ms",
                      f"{fmt(row['p95_advice'])} ms", times(row["gain_advice"]),
                      f">= {targets['p95_gain']:g}x", _mark(row["met"]),
                      f"{fmt(row.get('samples_before'), digits=0)} -> "
                      f"{fmt(row.get('samples_advice'), digits=0)}")
    if check["throughput"]:
        row = check["throughput"]
        table.add_row("throughput (requests/s)", fmt(row["rps_before"]), fmt(row["rps_indexes"]),
                      fmt(row["rps_advice"]), times(row["gain_advice"]),
                      f">= {targets['throughput_gain']:g}x", _mark(row["met"]))
    for row in check["n_plus_one"]:
        table.add_row(f"queries/request {row['endpoint']} ({row['planted']}), mean (max)",
                      "", f"{fmt(row['lazy_mean'])} ({row['lazy_max']})",
                      f"{fmt(row['eager_mean'])} ({row['eager_max']})", "",
                      f"<= {row['bound']} always", _mark(row["met"]))
    return table


def shortfalls(check: dict) -> list[str]:
    """Why each missed p95 claim fell short, as far as this run can tell."""
    return [line for row in check["endpoints"] if not row["met"]
            for line in (_app_bound(row), _thin_samples(row)) if line]


def _app_bound(row: dict) -> str | None:
    """When the request's statements no longer dominate its time."""
    sql, total = row.get("sql_ms_advice"), row.get("mean_ms_advice")
    if not sql or not total or sql > total / 2:
        return None
    return (f"{row['endpoint']}: once advised, {fmt(sql)} of its {fmt(total)} ms per request "
            f"are spent in SQL (before: {fmt(row.get('sql_ms_before'))} ms); the rest is "
            f"the app's own work, which no index shortens")


def _thin_samples(row: dict) -> str | None:
    """When the p95 rests on too few requests to settle the claim."""
    counts = [n for n in (row.get("samples_before"), row.get("samples_advice")) if n]
    if not counts or min(counts) >= RELIABLE_P95_SAMPLES:
        return None
    return (f"{row['endpoint']}: its p95 is taken over {min(counts):g} requests, close to "
            f"its slowest few; `advisor demo --latency-requests 3000` measures more")


def print_summary(console: Console, summary: dict) -> None:
    console.print(stages_table(summary))
    if summary.get("claims"):
        check = summary["claims"]
        console.print(claims_table(check))
        for line in shortfalls(check):
            console.print(line, highlight=False)
        verdict = "[green]all met[/]" if check["all_met"] else "[red]not all met[/]"
        console.print(f"claims met: {check['met']} of {check['total']} ({verdict})")
    if summary.get("recommendations"):
        console.print(recommendations_table(summary))
    console.print(f"indexes created: {', '.join(summary['indexes_created']) or 'none'}")
    if summary.get("index_footprint", {}).get("indexes"):
        console.print(footprint_table(summary["index_footprint"]))
    if summary.get("pruned"):
        console.print(f"pruned from the migrations (validation found them useless): "
                      f"{', '.join(summary['pruned'])}")
    if summary.get("indexes_dropped"):
        console.print(f"indexes proposed for dropping: {', '.join(summary['indexes_dropped'])}")
    console.print(f"N+1 findings: {len(summary['n_plus_one'])}")
    for finding in summary["n_plus_one"]:
        console.print(f"  - {finding['message']}", highlight=False, markup=False)
        fix = finding["evidence"].get("fix") or {}
        if fix.get("options"):
            at = f" to the query at {fix['at']}" if fix.get("at") else ""
            console.print(f"    add .options({', '.join(fix['options'])}){at}", highlight=False, markup=False)
    console.print(f"report: {summary['report']}   figures: {summary['summary_path']}")
