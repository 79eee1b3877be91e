"""Snapshot -> Findings: query shapes, plan evidence, and the rules of ``rules/`` run over them.

    >>> from advisor.model import Snapshot, Statement
    >>> analysis = analyze(Snapshot(database="shop", statements=[Statement("SELECT 1", calls=1)]))
    >>> analysis.snapshot_summary["statements"], analysis.findings
    (1, [])

The recipe: extract shapes (cached per fingerprint), walk plans, run each enabled rule with its
thresholds (config overrides the rule's defaults), then sort the findings by severity and by the
share of workload time they touch. A rule that fails is reported as a note, never a crash.
"""

from __future__ import annotations

from advisor.analyze.context import Context, finite, finite_sum
from advisor.analyze.shapes import extract_shape, extract_shapes
from advisor.collector import fewer_collections
from advisor.model import SEVERITIES, Analysis, Finding, Snapshot

__all__ = ["analyze", "extract_shape", "extract_shapes", "run_rules", "summary"]


def analyze(snapshot: Snapshot, config=None) -> Analysis:
    from advisor.config import Config

    config = config or Config()
    with fewer_collections():
        context = Context.build(snapshot)
        findings, problems = run_rules(context, config)
    shapes = list(context.shapes.values())
    unparsed = [{"statement": s.fingerprint, "reason": s.parse_error} for s in shapes if s.parse_error]
    result = Analysis(snapshot_summary=summary(snapshot, len(unparsed)), findings=findings,
                      shapes=shapes, unparsed=unparsed)
    if problems:
        result.snapshot_summary["rule_errors"] = problems
    return result


def run_rules(context: Context, config) -> tuple[list[Finding], list[str]]:
    from rules import all_rules

    findings: list[Finding] = []
    problems: list[str] = []
    for rule in all_rules():
        if not config.enabled(rule.id):
            continue
        context.rule_id = rule.id
        context.severity = config.severity(rule.id, rule.severity)
        context.thresholds = {k: config.threshold(rule.id, k, v) for k, v in rule.thresholds.items()}
        try:
            found = list(rule.check(context))
        except Exception as exc:  # one broken rule must not hide the others' findings
            problems.append(f"{rule.id}: {type(exc).__name__}: {exc}")
            continue
        forced = config.rules.get(rule.id)
        for finding in found:
            if forced is not None and forced.severity:
                finding.severity = forced.severity
        findings += found
    return sort_findings(findings), problems


def sort_findings(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding):
        rank = SEVERITIES.index(f.severity) if f.severity in SEVERITIES else -1
        return (-rank, -finite(f.evidence.get("total_time_ms")), f.rule, f.table or "")

    return sorted(findings, key=key)


def summary(snapshot: Snapshot, unparsed: int = 0) -> dict:
    statements = snapshot.statements
    return {
        "database": snapshot.database,
        "server_version": snapshot.server_version,
        "statements": len(statements),
        "unparsed": unparsed,
        "calls": int(sum(finite(s.calls) for s in statements)),
        "total_time_ms": round(finite_sum(finite(s.total_time_ms) for s in statements), 3),
        "traces": len(snapshot.traces),
        "capture_window": dict(zip(("from", "to"), snapshot.timed_window(), strict=True)),
        "created_at": snapshot.created_at,
        "notes": list(snapshot.notes),
    }
