"""JUnit XML: one test case per statement (and per kind of request); regressions fail them.

New and missing statements pass unless --fail-on-new / --fail-on-missing; unstable plans are
marked skipped with the reason, so a CI dashboard shows them without failing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from advisor.check.formats import short
from advisor.check.report import CheckReport


def render_junit(report: CheckReport) -> str:
    root = ET.Element("testsuites", name="advisor check")
    suite = ET.SubElement(root, "testsuite", name="advisor.check.statements")
    for result in report.statements:
        case = ET.SubElement(suite, "testcase", classname="advisor.check.statements",
                             name=f"{result.fingerprint} {short(result.query, 80)}")
        changes = report.changes_for(statement=result.fingerprint)
        _outcome(case, [c for c in changes if not c.request], result.status)
    if report.requests:
        requests = ET.SubElement(root, "testsuite", name="advisor.check.requests")
        for label in report.requests:
            case = ET.SubElement(requests, "testcase", classname="advisor.check.requests",
                                 name=label)
            _outcome(case, [c for c in report.changes if c.request == label], "ok")
    for s in root.iter("testsuite"):
        cases = list(s.iter("testcase"))
        s.set("tests", str(len(cases)))
        s.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        s.set("errors", "0")
        s.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _outcome(case: ET.Element, changes, status: str) -> None:
    failing = [c for c in changes if c.failing]
    if failing:
        failure = ET.SubElement(case, "failure", message=failing[0].message,
                                type=failing[0].kind)
        failure.text = "\n".join(f"[{c.severity}] {c.title}: {c.message}" for c in failing)
    elif status == "unstable":
        ET.SubElement(case, "skipped", message=next(
            (c.message for c in changes if c.kind == "unstable-plan"), "unstable plan"))
    others = [c for c in changes if not c.failing]
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(
            f"[{c.severity}] {c.title}: {c.message}" for c in others)
