"""An Analysis as GitHub-flavoured markdown: a PR comment or a CI step summary.

    >>> cell("a | b <script>")
    'a \\\\| b &lt;script&gt;'

Text from the database (query text, identifiers, messages) is escaped: HTML is shown, never
interpreted, and a pipe cannot break a table.
"""

from __future__ import annotations

import html
import re

from advisor.emit.document import ranked_findings, ranked_recommendations, summary
from advisor.emit.footprint import footprint, footprint_line, slowed_writes
from advisor.emit.summaries import gain_percent, human_bytes, short_sql
from advisor.model import Analysis

MAX_ROWS = 50


def cell(text: object) -> str:
    flat = " ".join(str(text if text is not None else "").split())
    return html.escape(flat, quote=False).replace("|", "\\|")


def code(text: object) -> str:
    """An inline code span, whatever backticks the text holds; pipes still escaped for tables."""
    flat = " ".join(str(text).split()).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def fenced(text: str, lang: str = "sql") -> str:
    fence = "`" * max(3, max((len(m) + 1 for m in re.findall(r"`+", text)), default=0))
    return f"{fence}{lang}\n{text}\n{fence}"


def render_markdown(analysis: Analysis) -> str:
    s = summary(analysis)
    out = [f"## advisor: {s['findings']} findings, {s['recommendations']} recommendations", ""]
    facts = [f"**{cell(k)}**: {cell(s[k])}" for k in ("database", "server_version", "statements",
                                                       "capture_window") if s.get(k) is not None]
    if s.get("estimated_improvement_pct") is not None:
        facts.append(f"**estimated workload cost**: {s['workload_cost_before']:,.0f} -> "
                     f"{s['workload_cost_after']:,.0f} (-{s['estimated_improvement_pct']:.1f}%)")
    if facts:
        out += [" · ".join(facts), ""]
    out += (_recommendations(analysis) + _risks(analysis) + _findings(analysis) + _rejected(analysis)
            + _kept(analysis) + _unparsed(analysis))
    return "\n".join(out).rstrip() + "\n"


def _recommendations(analysis: Analysis) -> list[str]:
    recs = ranked_recommendations(analysis)
    if not recs:
        return []
    out = ["### Recommendations", ""]
    if any(r.action == "create" for r in recs):
        out += [cell(footprint_line(footprint(analysis.plan))), ""]
    out += ["| # | action | index | table | key | est. gain | size (table) | statements | writes it slows |",
            "|---|---|---|---|---|---|---|---|---|"]
    for n, r in enumerate(recs[:MAX_ROWS], 1):
        key = ", ".join(r.index.columns) if r.index else ""
        pct = gain_percent(r)
        gain = (f"-{pct:.1f}% cost" if pct is not None else "not estimated (GIN)"
                if not r.evidence.get("costed", True) else cell(r.reason))
        size = human_bytes(r.estimated_size_bytes)
        if r.evidence.get("table_size_bytes"):
            size += f" ({human_bytes(r.evidence['table_size_bytes'])})"
        slows = cell(slowed_writes(r)) if r.action == "create" else ""
        out.append(f"| {n} | {r.action} | {code(r.name)} | {code(r.table)} | {code(key) if key else ''} | "
                   f"{gain} | {size} | {len(r.statements)} | {slows} |")
    ddl = "\n".join(r.ddl.rstrip().rstrip(";") + ";" for r in recs if r.ddl)
    if ddl:
        out += ["", "<details><summary>DDL</summary>", "", fenced(ddl), "", "</details>"]
    return out + [""]


def _risks(analysis: Analysis) -> list[str]:
    drops = [r for r in ranked_recommendations(analysis) if r.action == "drop"]
    if not drops:
        return []
    out = ["#### What each drop risks", ""]
    out += [f"- {code(r.name)}: {cell(r.risk or r.reason)}" for r in drops[:MAX_ROWS]]
    return out + [""]


def _kept(analysis: Analysis) -> list[str]:
    kept = analysis.plan.kept if analysis.plan else []
    if not kept:
        return []
    out = ["<details><summary>Indexes kept although a rule flagged them</summary>", "",
           "| index | rule | why it stays |", "|---|---|---|"]
    out += [f"| {code(k.index)} | {code(k.rule)} | {cell(k.reason)} |" for k in kept[:MAX_ROWS]]
    return out + ["", "</details>", ""]


def _findings(analysis: Analysis) -> list[str]:
    findings = ranked_findings(analysis)
    if not findings:
        return []
    out = ["### Findings", "", "| severity | rule | table | message | fix |", "|---|---|---|---|---|"]
    for f in findings[:MAX_ROWS]:
        out.append(f"| {cell(f.severity)} | {code(f.rule)} | {code(f.table) if f.table else ''} | "
                   f"{cell(f.message)} | {cell(f.help)} |")
    if len(findings) > MAX_ROWS:
        out.append(f"\n{len(findings) - MAX_ROWS} more findings: see the JSON or HTML report.")
    return out + [""]


def _rejected(analysis: Analysis) -> list[str]:
    rejected = analysis.plan.rejected if analysis.plan else []
    if not rejected:
        return []
    out = ["<details><summary>Rejected candidates</summary>", "", "| table | key | reason |", "|---|---|---|"]
    out += [f"| {code(r.index.table)} | {code(', '.join(r.index.columns))} | {cell(r.reason)} |"
            for r in rejected[:MAX_ROWS]]
    return out + ["", "</details>", ""]


def _unparsed(analysis: Analysis) -> list[str]:
    if not analysis.unparsed:
        return []
    out = ["<details><summary>Statements not analysed</summary>", "", "| statement | reason |", "|---|---|"]
    out += [f"| {code(short_sql(u.get('statement', ''), 120))} | {cell(u.get('reason', ''))} |"
            for u in analysis.unparsed[:MAX_ROWS]]
    return out + ["", "</details>", ""]
