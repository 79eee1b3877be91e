"""The demo's closing summary (the same figures as reports/summary.json)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from advisor.emit.validation import endpoints_table, recommendations_table


def _fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def eager_table(summary: dict) -> Table:
    table = Table(title="N+1 endpoints: lazy -> eager loading (after the indexes)")
    for col in ("endpoint", "queries/request", "p95 ms", "RPS"):
        table.add_column(col)
    lazy, eager = summary["eager_loading"].get("lazy", {}), summary["eager_loading"].get("eager", {})
    for name in sorted(lazy):
        a, b = lazy[name], eager.get(name, {})
        table.add_row(name,
                      f"{_fmt(a.get('mean_queries'))} -> {_fmt(b.get('mean_queries'))}",
                      f"{_fmt(a.get('p95_ms'))} -> {_fmt(b.get('p95_ms'))}",
                      f"{_fmt(a.get('rps'))} -> {_fmt(b.get('rps'))}")
    return table


def print_summary(console: Console, summary: dict) -> None:
    console.print(endpoints_table(summary))
    if summary.get("recommendations"):
        console.print(recommendations_table(summary))
    console.print(f"indexes created: {', '.join(summary['indexes_created']) or 'none'}")
    if summary.get("indexes_dropped"):
        console.print(f"indexes proposed for dropping: {', '.join(summary['indexes_dropped'])}")
    console.print(f"N+1 findings: {len(summary['n_plus_one'])}")
    for finding in summary["n_plus_one"]:
        console.print(f"  - {finding['message']}")
    if summary.get("eager_loading"):
        console.print(eager_table(summary))
    console.print(f"report: {summary['report']}   summary: {summary['report'].rsplit('/', 1)[0]}/summary.json")
