"""GitHub Actions workflow commands: ``::error title=...::message`` annotations.

At most ``MAX_ANNOTATIONS`` are printed (GitHub shows ten per step); one notice points to the job
summary for the rest. Values are escaped as the workflow-command syntax requires.
"""

from __future__ import annotations

from advisor.check.formats import short
from advisor.check.report import CheckReport

MAX_ANNOTATIONS = 10
COMMAND = {"critical": "error", "error": "error", "warning": "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: CheckReport) -> str:
    shown = [c for c in report.changes if c.failing or c.severity in ("critical", "warning")]
    lines = []
    for change in shown[:MAX_ANNOTATIONS]:
        command = COMMAND.get(change.severity, "error") if change.failing else "warning"
        title = f"{change.title} ({change.subject})"
        message = change.message + (f"\n{short(change.query, 300)}" if change.query else "")
        lines.append(f"::{command} title={escape_property(title)}::{escape_data(message)}")
    if len(shown) > MAX_ANNOTATIONS:
        more = len(shown) - MAX_ANNOTATIONS
        lines.append(f"::notice title=advisor check::{more} more change{'s' if more > 1 else ''}"
                     " not annotated: see the job summary (--format markdown)")
    lines.append(f"::notice title=advisor check::{escape_data(report.summary())}")
    return "\n".join(lines)
