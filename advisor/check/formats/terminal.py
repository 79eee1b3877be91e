"""The default output: a rich table of changes and a one-line verdict."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from advisor.check.formats import short
from advisor.check.report import CheckReport

STYLE = {"critical": "bold red", "error": "red", "warning": "yellow", "note": "dim"}


def print_report(console: Console, report: CheckReport, verbose: bool = False) -> None:
    shown = [c for c in report.changes if verbose or c.failing or c.severity != "note"]
    if shown:
        table = Table(show_lines=False, title=f"advisor check against {report.baseline}"
                      if report.baseline else None)
        table.add_column("")
        table.add_column("change")
        table.add_column("statement", min_width=16, no_wrap=True)
        table.add_column("details", ratio=2, overflow="fold")
        table.add_column("query", ratio=1)
        for c in shown:
            table.add_row(f"[{STYLE[c.severity]}]{'FAIL' if c.failing else c.severity}[/]",
                          escape(c.title), escape(c.subject), escape(c.message),
                          escape(short(c.query, 70)))
        console.print(table)
    hidden = len(report.changes) - len(shown)
    if hidden:
        console.print(f"[dim]{hidden} notes (new/missing statements, plan changes) hidden; "
                      "-v shows them[/]")
    verdict = "[bold red]FAIL[/]" if report.failed else "[bold green]OK[/]"
    console.print(f"{verdict} {escape(report.summary())}")
