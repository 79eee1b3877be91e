"""docs/rules.md is generated from the rules; the CLI shows the same catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from advisor.cli import main
from rules import all_rules
from rules._docs import catalogue_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_docs_match_the_rules():
    assert (ROOT / "docs/rules.md").read_text() == catalogue_markdown(), \
        "docs/rules.md is stale: run `python -m rules._docs > docs/rules.md`"


def test_rules_json_lists_every_rule():
    result = CliRunner().invoke(main, ["rules", "--format", "json"])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [r["id"] for r in listed] == [r.id for r in all_rules()]
    assert all(r["docs"]["why_is_this_bad"] for r in listed)


def test_rules_table_and_show():
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0 and "missing-index" in result.stdout
    shown = CliRunner().invoke(main, ["rules", "show", "n-plus-one"])
    assert shown.exit_code == 0
    for section in ("What it does", "Why is this bad", "Example", "Use instead"):
        assert section in shown.stdout


def test_show_unknown_rule_is_a_one_line_error():
    result = CliRunner().invoke(main, ["rules", "show", "no-such-rule"])
    assert result.exit_code == 2
    assert "unknown rule 'no-such-rule'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_documented_config_loads(tmp_path):
    from advisor.config import load_config

    text = (ROOT / "docs/rules.md").read_text()
    toml = text.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(toml)
    config = load_config(tmp_path / "pyproject.toml")
    assert not config.enabled("small-table") and config.severity("missing-index", "high") == "critical"
    assert config.recommend.max_index_size == "500MB"
