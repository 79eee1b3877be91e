"""The JSON document behind ``--format json`` (documented in docs/output.md).

    >>> from advisor.model import Analysis, Finding
    >>> doc = analysis_document(Analysis(findings=[Finding("missing-index", "high", "seq scan")]))
    >>> doc["summary"]["findings_by_severity"]["high"], doc["findings"][0]["rule"]
    (1, 'missing-index')

Stable: keys are only ever added. ``plan`` repeats the full Plan round-trip, so the document can
be fed back to ``advisor validate --plan``.
"""

from __future__ import annotations

from typing import Any

from advisor.emit.footprint import footprint
from advisor.emit.revision_ops import is_expression
from advisor.emit.summaries import gain_percent
from advisor.model import SEVERITIES, Analysis, Finding, IndexSpec, Recommendation

FORMAT = "advisor-analysis"
FORMAT_VERSION = 1


def ranked_findings(analysis: Analysis) -> list[Finding]:
    """Most severe first; within a severity, in the order the rules reported them."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(analysis.findings, key=lambda f: -rank.get(f.severity, -1))


def ranked_recommendations(analysis: Analysis) -> list[Recommendation]:
    """Creates by benefit (highest first), then drops."""
    recs = analysis.plan.recommendations if analysis.plan else []
    creates = sorted((r for r in recs if r.action == "create"), key=lambda r: -r.benefit)
    return creates + [r for r in recs if r.action != "create"]


def analysis_document(analysis: Analysis) -> dict[str, Any]:
    plan = analysis.plan
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "summary": summary(analysis),
        "findings": [finding_dict(f) for f in ranked_findings(analysis)],
        "recommendations": [recommendation_dict(r) for r in ranked_recommendations(analysis)],
        "rejected": [dict(spec_dict(r.index), reason=r.reason, benefit=r.benefit)
                     for r in (plan.rejected if plan else [])],
        "kept": [k.to_dict() for k in (plan.kept if plan else [])],
        "unparsed": list(analysis.unparsed),
        "plan": plan.to_dict() if plan else None,
    }


def summary(analysis: Analysis) -> dict[str, Any]:
    plan = analysis.plan
    by_severity = {s: 0 for s in reversed(SEVERITIES)}
    for f in analysis.findings:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    recs = plan.recommendations if plan else []
    improvement = None
    new = footprint(plan)
    if plan and plan.cost_before > 0:
        improvement = round(100.0 * (plan.cost_before - plan.cost_after) / plan.cost_before, 2)
    return {
        **analysis.snapshot_summary,
        "findings": len(analysis.findings),
        "findings_by_severity": by_severity,
        "recommendations": len(recs),
        "creates": sum(r.action == "create" for r in recs),
        "drops": sum(r.action == "drop" for r in recs),
        "rejected": len(plan.rejected) if plan else 0,
        "unparsed": len(analysis.unparsed),
        "workload_cost_before": plan.cost_before if plan else None,
        "workload_cost_after": plan.cost_after if plan else None,
        "estimated_improvement_pct": improvement,
        "new_index_bytes": new["index_bytes"],
        "new_index_table_bytes": new["table_bytes"],
        "notes": all_notes(analysis),
    }


def all_notes(analysis: Analysis) -> list[str]:
    """What the capture said (statements not planned, windows) and then what the plan said."""
    return [*analysis.snapshot_summary.get("notes", []), *(analysis.plan.notes if analysis.plan else [])]


def finding_dict(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "severity": f.severity, "message": f.message, "help": f.help,
            "table": f.table, "statements": list(f.statements), "evidence": f.evidence,
            "confidence": f.confidence}


def spec_dict(spec: IndexSpec | None) -> dict[str, Any]:
    if spec is None:
        return {"table": None, "columns": [], "expressions": [], "method": None, "where": None,
                "include": [], "opclass": None, "unique": False}
    return {"table": spec.table, "columns": list(spec.columns),
            "expressions": [c for c in spec.columns if is_expression(c)], "method": spec.method,
            "where": spec.where, "include": list(spec.include), "opclass": spec.opclass,
            "unique": spec.unique}


def recommendation_dict(r: Recommendation) -> dict[str, Any]:
    spec = spec_dict(r.index)
    spec.pop("table")
    if r.index is None and r.evidence.get("columns"):
        spec["columns"] = list(r.evidence["columns"])
    return {
        "action": r.action, "table": r.table, "name": r.name, **spec, "ddl": r.ddl,
        "estimated_size_bytes": r.estimated_size_bytes,
        "statements": [{"statement": g.statement, "calls": g.calls, "cost_before": g.cost_before,
                        "cost_after": g.cost_after} for g in r.statements],
        "benefit": r.benefit, "write_overhead": r.write_overhead,
        "estimated_gain_pct": None if gain_percent(r) is None else round(gain_percent(r), 2),
        "reason": r.reason, "evidence": r.evidence, "requires_extension": r.requires_extension,
        "risk": r.risk, "partitions": [p.to_dict() for p in r.partitions],
    }
