"""The HTML report: one self-contained file (inline CSS, JS and SVG charts; works offline).

    >>> html = render_report(analysis, snapshot)                # doctest: +SKIP
    >>> write_report(Path("reports/advisor.html"), analysis, snapshot, validation)  # doctest: +SKIP

Rendered by jinja2 with autoescape on: query text, identifiers and messages are shown as text,
never interpreted. Only the matplotlib SVG charts are inserted as markup.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from advisor.analyze.plans import plan_root
from advisor.emit import charts
from advisor.emit.document import ranked_findings, ranked_recommendations, summary
from advisor.emit.footprint import footprint, footprint_line, narrower_text, slowed_writes
from advisor.emit.plan_tree import plan_view, plans_after
from advisor.emit.summaries import gain_percent, human_bytes, short_sql, weighted_costs
from advisor.model import SEVERITIES, Analysis, Finding, Snapshot, Statement
from advisor.validate import at_load, comparable_p95, p95_label

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TOP_STATEMENTS = 15
N_PLUS_ONE_RULES = ("n-plus-one", "n+1", "n_plus_one", "nplusone")
RENDERED = ("writes", "narrower", "merged", "refined", "table_size_bytes")  # shown in their own lines


def render_report(analysis: Analysis, snapshot: Snapshot, validation: dict | None = None) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(size=human_bytes, short_sql=short_sql, num=_num, times=_times)
    return env.get_template("report.html.j2").render(**report_context(analysis, snapshot, validation))


def write_report(path: Path, analysis: Analysis, snapshot: Snapshot, validation: dict | None = None) -> Path:
    """Render, then replace ``path`` atomically (a reader never sees half a report)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_report(analysis, snapshot, validation)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _times(value: float | None) -> str:
    return "-" if value is None else f"×{value:,.2f}"


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


# ---------------------------------------------------------------------------------------------
# The context: plain dicts and lists the template only lays out
# ---------------------------------------------------------------------------------------------


def report_context(analysis: Analysis, snapshot: Snapshot, validation: dict | None) -> dict[str, Any]:
    findings = ranked_findings(analysis)
    recs = ranked_recommendations(analysis)
    statements = _statement_views(analysis, snapshot, findings, recs)
    top = sorted(snapshot.statements, key=lambda s: -s.total_time_ms)[:TOP_STATEMENTS]
    total_time = sum(s.total_time_ms for s in snapshot.statements) or 0.0
    return {
        "summary": summary(analysis),
        "snapshot": snapshot,
        "window": _window(snapshot),
        "severity_counts": Counter(f.severity for f in findings),
        "severities": list(reversed(SEVERITIES)),
        "top": [_top_row(s, total_time) for s in top],
        "time_chart": _time_chart(top, total_time),
        "findings": [_finding_view(f) for f in findings if not _is_n_plus_one(f)],
        "n_plus_one": [_n_plus_one_view(f, snapshot) for f in findings if _is_n_plus_one(f)],
        "recommendations": [_recommendation_view(r, snapshot) for r in recs],
        "footprint": _footprint_view(analysis, snapshot),
        "rejected": analysis.plan.rejected if analysis.plan else [],
        "kept": analysis.plan.kept if analysis.plan else [],
        "unparsed": analysis.unparsed,
        "notes": [*(analysis.plan.notes if analysis.plan else []), *snapshot.notes],
        "statements": statements,
        "validation": _validation_view(validation) if validation else None,
        "eager": _eager_rows((validation or {}).get("eager_loading")),
        "p95_label": p95_label(validation or {}),
    }


def _window(snapshot: Snapshot) -> str:
    since = _when(snapshot.catalog.pgss_stats_reset or snapshot.catalog.stats_reset)
    until = _when(snapshot.created_at) or "capture"
    return f"{since} → {until}" if since else f"until {until}"


def _when(stamp: str | None) -> str | None:
    """An ISO timestamp to the second: ``2026-11-28 11:00:00+00:00``."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp).isoformat(sep=" ", timespec="seconds")
    except ValueError:
        return stamp


def _top_row(s: Statement, total_time: float) -> dict[str, Any]:
    return {"id": s.fingerprint, "sql": short_sql(s.query, 140), "calls": s.calls,
            "total_ms": s.total_time_ms, "mean_ms": s.mean_time_ms, "rows": s.rows,
            "share": 100.0 * s.total_time_ms / total_time if total_time else 0.0,
            "blks": s.shared_blks_hit + s.shared_blks_read}


def _time_chart(top: list[Statement], total_time: float) -> str | None:
    rows = [(f"{s.fingerprint[:8]} {s.query}", 100.0 * s.total_time_ms / total_time)
            for s in top[:10] if total_time]
    return charts.time_share_chart(rows) if rows else None


def _is_n_plus_one(f: Finding) -> bool:
    return f.rule.lower() in N_PLUS_ONE_RULES or "plus-one" in f.rule.lower()


def _finding_view(f: Finding) -> dict[str, Any]:
    return {"f": f, "evidence": _flat_evidence(f.evidence)}


def _flat_evidence(evidence: dict) -> list[tuple[str, str]]:
    return [(k, v if isinstance(v, str) else repr(v) if not isinstance(v, int | float) else _num(v))
            for k, v in evidence.items() if k not in ("plan", "plan_after", "plan_before", "node")]


def _n_plus_one_view(f: Finding, snapshot: Snapshot) -> dict[str, Any]:
    """The pattern, where it runs, and the code that issues it (the rule's evidence first, traces after)."""
    ev = f.evidence
    repeated, parent, endpoint = ev.get("repeated_statement"), ev.get("parent_statement"), ev.get("endpoint")
    sites = [s for s in [*(ev.get("call_sites") or []), ev.get("call_site")] if isinstance(s, str)]
    wanted = {repeated} if repeated else set(f.statements)
    endpoints: Counter = Counter()
    for trace in snapshot.traces:
        if endpoint and trace.label != endpoint:
            continue
        hits = [e for e in trace.events if e.fingerprint in wanted]
        if hits:
            endpoints[trace.label or trace.id] += 1
        if not ev.get("call_site") and not ev.get("call_sites"):
            sites += [e.call_site for e in hits if e.call_site]
    roles = {repeated: "repeated statement", parent: "runs after",
             **{n.get("repeated_statement"): "repeated inside that loop" for n in ev.get("nested") or []
                if isinstance(n, dict)}}
    order = [fp for fp in (repeated, parent) if fp] + [fp for fp in f.statements if fp not in (repeated, parent)]
    queries = [(roles.get(fp, "statement"), fp, _query_text(fp, snapshot, ev)) for fp in order]
    fix = ev.get("fix") if isinstance(ev.get("fix"), dict) else {}
    return {"f": f, "call_sites": list(dict.fromkeys(sites))[:20],
            "endpoints": endpoints.most_common(10) or ([(endpoint, ev.get("requests") or 0)] if endpoint else []),
            "per_request": ev.get("queries_per_request") or ev.get("count_per_request"),
            "requests": ev.get("requests"),
            "time_per_request_ms": ev.get("time_per_request_ms"), "total_time_ms": ev.get("total_time_ms"),
            "fix_code": _fix_code(fix), "fix_at": fix.get("at"),
            "queries": [q for q in queries if q[2]],
            "evidence": _flat_evidence({k: v for k, v in ev.items()
                                        if k not in ("call_sites", "call_site", "parent_query", "repeated_query",
                                                     "fix")})}


def _fix_code(fix: dict) -> str | None:
    """The loader option to add, and its import."""
    if not fix.get("options"):
        return None
    return f".options({', '.join(fix['options'])})" + (f"\n# {fix['import']}" if fix.get("import") else "")


def _query_text(fp: str, snapshot: Snapshot, evidence: dict) -> str | None:
    statement = snapshot.statement(fp)
    if statement:
        return statement.query
    if fp == evidence.get("repeated_statement"):
        return evidence.get("repeated_query")
    if fp == evidence.get("parent_statement"):
        return evidence.get("parent_query")
    return None


def _recommendation_view(r, snapshot: Snapshot) -> dict[str, Any]:
    before, after = weighted_costs(r)
    served = []
    for g in r.statements:
        s = snapshot.statement(g.statement)
        served.append({"id": g.statement, "sql": short_sql(s.query, 160) if s else "(not in the snapshot)",
                       "calls": g.calls, "before": g.cost_before, "after": g.cost_after})
    table = snapshot.catalog.table(r.table)
    costs = {"table_bytes": r.evidence.get("table_size_bytes") or (table.size_bytes if table else None),
             "slows": slowed_writes(r) if r.action == "create" else None,
             "narrower": narrower_text(r), "merged": r.evidence.get("merged") or [],
             "refined": r.evidence.get("refined") or []}
    return {"r": r, "key": ", ".join(r.index.columns) if r.index else "", "gain_pct": gain_percent(r),
            "cost_before": before, "cost_after": after, "served": served, **costs,
            "evidence": _flat_evidence({k: v for k, v in r.evidence.items()
                                        if k not in ("definition", "queries", *RENDERED)})}


def _footprint_view(analysis: Analysis, snapshot: Snapshot) -> dict[str, Any]:
    view = footprint(analysis.plan, snapshot.catalog)
    return {**view, "line": footprint_line(view)}


def _statement_views(analysis: Analysis, snapshot: Snapshot, findings: list[Finding], recs) -> list[dict]:
    """Statements worth a section: the top by time, and every one a finding or recommendation names."""
    named = [fp for f in findings for fp in f.statements] + [g.statement for r in recs for g in r.statements]
    top = [s.fingerprint for s in sorted(snapshot.statements, key=lambda s: -s.total_time_ms)[:TOP_STATEMENTS]]
    order = list(dict.fromkeys(top + named))
    views = []
    for fp in order:
        s = snapshot.statement(fp)
        if s is None:
            continue
        mine = [f for f in findings if fp in f.statements]
        serving = [r for r in recs if any(g.statement == fp for g in r.statements)]
        tables = {f.table for f in mine if f.table} | {r.table for r in serving}
        nodes = [f.evidence.get("plan_node") for f in mine if isinstance(f.evidence.get("plan_node"), dict)]
        after = []
        for r in serving:
            plan = plans_after(r.evidence, [g.statement for g in r.statements]).get(fp)
            if plan:
                after.append({"name": r.name, "tree": plan_view(plan)})
        plan = plan_root(s.analyze_plan) or plan_root(s.plan)
        tree = plan_view(plan, tables, nodes) if plan else None
        views.append({"s": s, "findings": mine, "recommendations": [r.name for r in serving], "tree": tree,
                      "problem": bool(tree and any(n.problem for n in tree.walk())),
                      "analyzed": plan_root(s.analyze_plan) is not None, "after": after})
    return views


def _validation_view(validation: dict) -> dict[str, Any]:
    recs = validation.get("recommendations") or []
    endpoints = validation.get("endpoints") or []
    view = {"v": validation, "recommendations": recs, "endpoints": endpoints,
            "overall": validation.get("overall"), "statements": (validation.get("statements") or [])[:15],
            "endpoint_chart": None, "speedup_chart": None}
    endpoints = [{**e, "p95_before": comparable_p95(e.get("before", {})),
                  "p95_after": comparable_p95(e.get("after", {})),
                  "sql_before": at_load(e.get("before", {}), "mean_sql_ms"),
                  "sql_after": at_load(e.get("after", {}), "mean_sql_ms")} for e in endpoints]
    view["endpoints"] = endpoints
    view["p95_label"] = p95_label(validation)
    if view["overall"]:
        view["overall_p95"] = [comparable_p95(view["overall"][side]) for side in ("before", "after")]
    rows = [(e["endpoint"], e["p95_before"], e["p95_after"]) for e in endpoints]
    if rows:
        view["endpoint_chart"] = charts.before_after_chart(rows, "p95 latency (ms)", "endpoints")
    rows = [(r["name"], r.get("estimated_speedup"), r.get("measured_speedup")) for r in recs]
    if rows:
        view["speedup_chart"] = charts.before_after_chart(rows, "speedup (x)", "speedups",
                                                          names=("estimated", "measured"))
    return view


def _eager_rows(eager: dict | None) -> list[dict[str, Any]]:
    """Lazy vs eager loading per endpoint (the N+1 fix, measured): ``{"lazy": run, "eager": run}``."""
    if not eager or not isinstance(eager.get("lazy"), dict):
        return []

    def endpoints(run: dict | None) -> dict:
        run = run or {}
        return run.get("endpoints", run) if isinstance(run.get("endpoints", run), dict) else {}

    lazy, fixed = endpoints(eager.get("lazy")), endpoints(eager.get("eager"))
    rows = [{"endpoint": name, "before": lazy[name], "after": fixed.get(name, {}),
             "p95_before": comparable_p95(lazy[name]), "p95_after": comparable_p95(fixed.get(name, {}))}
            for name in lazy if isinstance(lazy[name], dict)]
    return sorted(rows, key=lambda r: -(r["before"].get("mean_queries") or 0))
