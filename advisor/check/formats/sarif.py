"""SARIF 2.1.0: one result per change worth a look (regressions, warnings).

Statements have no source file; results point at the baseline file and name the statement as a
logical location, with a partial fingerprint so code scanning tracks a regression across runs.
"""

from __future__ import annotations

import json

from advisor import __version__
from advisor.check.report import KINDS, CheckReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "error": "error", "warning": "warning", "note": "note"}
REPORTED = ("critical", "error", "warning")


def render_sarif(report: CheckReport) -> str:
    rules = [{"id": kind, "name": "".join(w.title() for w in kind.split("-")),
              "shortDescription": {"text": title}, "fullDescription": {"text": why},
              "help": {"text": f"{why} See docs/ci.md for the thresholds and how to refresh "
                               "the baseline."}}
             for kind, (title, why) in sorted(KINDS.items())]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = [_result(c, index[c.kind], report.baseline) for c in report.changes
               if c.failing or c.severity in REPORTED]
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "advisor check", "version": __version__, "rules": rules}},
        "results": results,
        "properties": {"summary": report.summary()},
    }]}
    return json.dumps(document, indent=1, ensure_ascii=False)


def _result(change, rule_index: int, baseline: str) -> dict:
    result = {"ruleId": change.kind, "ruleIndex": rule_index,
              "level": LEVEL[change.severity] if change.failing or change.severity != "error"
              else "warning",
              "message": {"text": f"{change.title}: {change.message}"
                          + (f"\nQuery: {change.query}" if change.query else "")},
              "partialFingerprints": {"advisorCheck/v1": f"{change.kind}:{change.subject}"},
              "properties": {"failing": change.failing, "severity": change.severity,
                             **({"query": change.query} if change.query else {})}}
    location = {"logicalLocations": [{"name": change.subject,
                                      "kind": "statement" if change.statement else "request"}]}
    if baseline:
        location["physicalLocation"] = {"artifactLocation": {"uri": baseline},
                                        "region": {"startLine": 1}}
    result["locations"] = [location]
    return result
