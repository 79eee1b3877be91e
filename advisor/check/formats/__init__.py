"""Render a ``CheckReport`` for CI: markdown, junit, sarif, github (workflow commands), json.

The terminal table lives in ``terminal.py`` (it prints with rich); every other format is text
for stdout, returned by ``render``.
"""

from __future__ import annotations

from advisor.check.report import CheckReport

FORMATS = ("table", "markdown", "junit", "sarif", "github", "json")


def render(report: CheckReport, fmt: str) -> str:
    if fmt == "markdown":
        from advisor.check.formats.markdown import render_markdown as render_fn
    elif fmt == "junit":
        from advisor.check.formats.junit import render_junit as render_fn
    elif fmt == "sarif":
        from advisor.check.formats.sarif import render_sarif as render_fn
    elif fmt == "github":
        from advisor.check.formats.github import render_github as render_fn
    elif fmt == "json":
        import json

        return json.dumps(report.to_dict(), indent=1, sort_keys=True)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return render_fn(report)


def short(query: str | None, limit: int = 120) -> str:
    """One line of the query text, cut at ``limit`` characters."""
    text = " ".join((query or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
