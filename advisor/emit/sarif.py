"""An Analysis as SARIF 2.1.0, for code-scanning dashboards.

    >>> from advisor.model import SEVERITIES, Analysis, Finding
    >>> doc = sarif_document(Analysis(findings=[Finding("missing-index", "high", "seq scan")]))
    >>> doc["version"], doc["runs"][0]["results"][0]["level"]
    ('2.1.0', 'error')

Findings are about a database, not a file: each result names its table as a logical location
and its statements (fingerprints) in ``properties``; ``partialFingerprints`` keep a finding's
identity across runs so dashboards can track it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import advisor
from advisor.emit.document import ranked_findings
from advisor.model import SEVERITIES, Analysis, Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def sarif_document(analysis: Analysis) -> dict[str, Any]:
    findings = ranked_findings(analysis)
    rule_ids = sorted({f.rule for f in findings})
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "advisor",
                "version": getattr(advisor, "__version__", "0"),
                "informationUri": "https://www.postgresql.org/docs/current/indexes.html",
                "rules": [_rule(rule, [f for f in findings if f.rule == rule]) for rule in rule_ids],
            }},
            "results": [_result(f, rule_ids.index(f.rule)) for f in findings],
        }],
    }


def _rule(rule: str, findings: list[Finding]) -> dict[str, Any]:
    first = findings[0]
    worst = max(findings, key=lambda f: SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 0)
    return {
        "id": rule,
        "name": "".join(part.capitalize() for part in rule.split("-")),
        "shortDescription": {"text": rule.replace("-", " ")},
        "help": {"text": first.help or first.message},
        "defaultConfiguration": {"level": LEVELS.get(worst.severity, "warning")},
    }


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": f"{f.message}{' ' + f.help if f.help else ''}"},
        "partialFingerprints": {"advisorFinding/v1": _identity(f)},
        "properties": {"severity": f.severity, "confidence": f.confidence,
                       "statements": list(f.statements), "evidence": f.evidence},
    }
    if f.table:
        result["locations"] = [{"logicalLocations": [{"name": f.table, "fullyQualifiedName": f.table,
                                                      "kind": "resource"}]}]
    return result


def _identity(f: Finding) -> str:
    key = "\x1f".join([f.rule, f.table or "", *sorted(f.statements)])
    return hashlib.sha256(key.encode()).hexdigest()[:32]
