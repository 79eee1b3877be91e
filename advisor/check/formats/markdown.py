"""GitHub-flavoured markdown: fits a job's step summary and a pull-request comment.

Query text is user data: HTML is escaped and table pipes are escaped, so a query cannot break
the page.
"""

from __future__ import annotations

import html

from advisor.check.formats import short
from advisor.check.report import Change, CheckReport

ICONS = {"critical": "🛑", "error": "❌", "warning": "⚠️", "note": "ℹ️"}


def cell(text: str | None) -> str:
    return html.escape(text or "").replace("|", "\\|").replace("\n", " ")


def code(text: str | None) -> str:
    return f"<code>{cell(text)}</code>" if text else ""


def render_markdown(report: CheckReport) -> str:
    lines = [f"## advisor check: {'❌' if report.failed else '✅'} {cell(report.summary())}", ""]
    if report.baseline:
        lines += [f"Baseline `{cell(report.baseline)}`"
                  + (f", taken {cell(report.baseline_created_at)}" if report.baseline_created_at
                     else "") + ".", ""]
    failing = report.failures
    if failing:
        lines += ["### Regressions", "", *_table(failing), ""]
    notes = [c for c in report.changes if not c.failing and c.kind not in ("new-statement",
                                                                          "missing-statement")]
    if notes:
        lines += ["### Warnings and notes", "", *_table(notes), ""]
    for kind, title in (("new-statement", "New statements"),
                        ("missing-statement", "Statements no longer seen")):
        listed = [c for c in report.changes if c.kind == kind]
        if listed:
            lines += [f"<details><summary>{title} ({len(listed)})</summary>", "",
                      "| Statement | Query |", "| --- | --- |",
                      *[f"| `{c.statement}` | {code(short(c.query))} |" for c in listed],
                      "", "</details>", ""]
    if not report.changes:
        lines += ["Every statement kept its plan shape and cost.", ""]
    return "\n".join(lines)


def _table(changes: list[Change]) -> list[str]:
    rows = ["| | Change | Statement | Details | Query |", "| --- | --- | --- | --- | --- |"]
    for c in changes:
        rows.append(f"| {ICONS[c.severity]} | {cell(c.title)} | `{cell(c.subject)}` | "
                    f"{cell(c.message)} | {code(short(c.query))} |")
    return rows
