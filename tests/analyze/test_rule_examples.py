"""Every rule's documented examples run here: the bad ones are flagged, the good ones are not."""

from __future__ import annotations

import pytest

from advisor.analyze import analyze
from advisor.config import Config, RuleSettings
from rules import all_rules

EXAMPLES = [(rule, example) for rule in all_rules() for example in rule.examples]


@pytest.mark.parametrize("rule,example", EXAMPLES, ids=[f"{r.id}:{e.description}" for r, e in EXAMPLES])
def test_example(rule, example):
    analysis = analyze(example.snapshot())
    assert "rule_errors" not in analysis.snapshot_summary
    found = [f for f in analysis.findings if f.rule == rule.id]
    if not example.bad:
        assert found == [], [f.message for f in found]
        return
    assert found, f"{rule.id} missed: {example.description}"
    for finding in found:
        assert finding.message and finding.help and finding.message != finding.help
        assert finding.severity == rule.severity
    if example.expect_in_message:
        assert any(example.expect_in_message in f.message + f.help for f in found), [f.message for f in found]


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_is_complete(rule):
    assert rule.module == rule.check.__module__.split(".")[-1]
    assert rule.id == rule.id.lower() and " " not in rule.id
    assert all([rule.docs.what, rule.docs.why, rule.docs.example, rule.docs.use_instead])
    assert any(e.bad for e in rule.examples) and any(not e.bad for e in rule.examples)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_severity_override_and_disable(rule):
    example = next(e for e in rule.examples if e.bad)
    forced = "critical" if rule.severity != "critical" else "info"
    config = Config(rules={rule.id: RuleSettings(severity=forced)})
    found = [f for f in analyze(example.snapshot(), config).findings if f.rule == rule.id]
    assert found and all(f.severity == forced for f in found)
    config = Config(rules={rule.id: RuleSettings(enabled=False)})
    assert not [f for f in analyze(example.snapshot(), config).findings if f.rule == rule.id]


def test_threshold_override_changes_the_outcome():
    rule = next(r for r in all_rules() if r.id == "missing-index")
    bad = rule.examples[0].snapshot()
    config = Config(rules={"missing-index": RuleSettings(thresholds={"min_table_rows": 10_000_000})})
    assert not [f for f in analyze(bad, config).findings if f.rule == "missing-index"]


def test_required_rules_exist():
    ids = {r.id for r in all_rules()}
    assert {"missing-index", "fk-without-index", "function-on-column", "leading-wildcard-like",
            "deep-offset", "unused-index", "redundant-index", "low-selectivity-filter",
            "n-plus-one"} <= ids
