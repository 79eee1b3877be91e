"""An Analysis as rich tables: findings by severity, recommendations ranked by benefit.

    >>> import io
    >>> from rich.console import Console
    >>> from advisor.model import Analysis, Finding
    >>> console = Console(width=100, record=True, file=io.StringIO())
    >>> print_analysis(console, Analysis(findings=[Finding("n-plus-one", "high", "[b]42 queries")]))
    >>> "[b]42 queries" in console.export_text()
    True

Text from the database goes in as ``rich.text.Text``, so brackets in SQL are never markup.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from advisor.emit.document import all_notes, ranked_findings, ranked_recommendations, summary
from advisor.emit.footprint import footprint, footprint_line, slowed_writes
from advisor.emit.summaries import gain_percent, human_bytes, short_sql
from advisor.model import Analysis

STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}

MAX_NOTES = 12  # a capture of thousands of statements can leave one per unplanned statement


def print_analysis(console: Console, analysis: Analysis, *, verbose: bool = False) -> None:
    s = summary(analysis)
    counts = ", ".join(f"{n} {sev}" for sev, n in s["findings_by_severity"].items() if n) or "none"
    console.print(Text.assemble(("advisor", "bold"), f": {s['findings']} findings ({counts}), "
                                f"{s['recommendations']} recommendations"))
    if s.get("estimated_improvement_pct") is not None:
        console.print(f"estimated workload cost {s['workload_cost_before']:,.0f} -> "
                      f"{s['workload_cost_after']:,.0f} (-{s['estimated_improvement_pct']:.1f}%)")
    if s["creates"]:
        console.print(footprint_line(footprint(analysis.plan)), highlight=False)
    if analysis.findings:
        console.print(findings_table(analysis))
    if ranked_recommendations(analysis):
        console.print(recommendations_table(analysis))
    for r in ranked_recommendations(analysis):
        if r.risk:
            console.print(Text(f"drop {r.name} risks: {r.risk}", style="yellow"))
    if verbose and analysis.plan and analysis.plan.kept:
        console.print(kept_table(analysis))
    if verbose and analysis.plan and analysis.plan.rejected:
        console.print(rejected_table(analysis))
    if verbose and analysis.unparsed:
        table = Table(title="Statements not analysed")
        table.add_column("statement")
        table.add_column("reason")
        for u in analysis.unparsed:
            table.add_row(Text(short_sql(u.get("statement", ""), 80)), Text(u.get("reason", "")))
        console.print(table)
    elif analysis.unparsed:
        first = analysis.unparsed[0]
        console.print(Text(f"{len(analysis.unparsed)} statement(s) not analysed, e.g. "
                           f"{short_sql(first.get('statement', ''), 60)}: {first.get('reason', '')} "
                           "(-v lists them)", style="yellow"))
    notes = all_notes(analysis)
    for note in notes[:MAX_NOTES]:
        console.print(Text(f"note: {note}", style="dim"))
    if len(notes) > MAX_NOTES:
        console.print(Text(f"note: {len(notes) - MAX_NOTES} more (--format json lists them all)", style="dim"))


def findings_table(analysis: Analysis) -> Table:
    table = Table(title="Findings", show_lines=False)
    for col in ("severity", "rule", "table", "message"):
        table.add_column(col, overflow="fold")
    for f in ranked_findings(analysis):
        table.add_row(Text(f.severity, style=STYLES.get(f.severity, "")), Text(f.rule),
                      Text(f.table or ""), Text(f.message + (f"\n→ {f.help}" if f.help else "")))
    return table


def recommendations_table(analysis: Analysis) -> Table:
    table = Table(title="Recommendations (ranked by benefit)")
    for col in ("#", "action", "index", "table", "key", "est. gain", "size (table)", "benefit",
                "writes it slows"):
        table.add_column(col, justify="right" if col in ("#", "size (table)", "benefit") else "left",
                         overflow="fold")
    for n, r in enumerate(ranked_recommendations(analysis), 1):
        pct = gain_percent(r)
        size = human_bytes(r.estimated_size_bytes)
        if r.evidence.get("table_size_bytes"):
            size += f" ({human_bytes(r.evidence['table_size_bytes'])})"
        table.add_row(str(n), Text(r.action, style="green" if r.action == "create" else "yellow"),
                      Text(r.name), Text(r.table), Text(", ".join(r.index.columns) if r.index else ""),
                      f"-{pct:.1f}%" if pct is not None else "-", size, f"{r.benefit:,.0f}",
                      Text(slowed_writes(r) if r.action == "create" else ""))
    return table


def rejected_table(analysis: Analysis) -> Table:
    table = Table(title="Rejected candidates")
    for col in ("table", "key", "reason"):
        table.add_column(col, overflow="fold")
    for r in analysis.plan.rejected:
        key = ", ".join(r.index.columns) + (f" INCLUDE ({', '.join(r.index.include)})" if r.index.include else "")
        key += f" WHERE {r.index.where}" if r.index.where else ""
        table.add_row(Text(r.index.table), Text(key), Text(r.reason))
    return table


def kept_table(analysis: Analysis) -> Table:
    table = Table(title="Indexes kept although a rule flagged them")
    for col in ("index", "rule", "why it stays"):
        table.add_column(col, overflow="fold")
    for k in analysis.plan.kept:
        table.add_row(Text(k.index), Text(k.rule), Text(k.reason))
    return table
