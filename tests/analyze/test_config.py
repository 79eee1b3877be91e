"""[tool.advisor] settings: rule severities, thresholds, enable/disable, recommend settings."""

from __future__ import annotations

import pytest

from advisor.config import Config, load_config
from advisor.errors import AdvisorError


def write(tmp_path, text: str):
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config == Config()
    assert config.recommend.min_improvement == 0.05


def test_reads_the_table(tmp_path):
    config = load_config(write(tmp_path, """
[tool.advisor]
disable = ["small-table"]
[tool.advisor.rules.n-plus-one]
severity = "critical"
min_repeats = 3
[tool.advisor.recommend]
min_improvement = 0.2
max_indexes = 4
max_index_size = "500MB"
write_overhead = 2
"""))
    assert not config.enabled("small-table") and config.enabled("missing-index")
    assert config.severity("n-plus-one", "high") == "critical"
    assert config.threshold("n-plus-one", "min_repeats", 5) == 3
    assert config.threshold("n-plus-one", "min_calls", 100) == 100
    assert (config.recommend.min_improvement, config.recommend.max_indexes,
            config.recommend.max_index_size, config.recommend.write_overhead) == (0.2, 4, "500MB", 2)


@pytest.mark.parametrize("text,expected", [
    ("[tool.advisor\n", "bad config"),
    ('[tool.advisor]\ndisable = ["nope"]', "unknown rule 'nope'"),
    ('[tool.advisor.rules.missing-index]\nseverity = "urgent"', "severity must be one of"),
    ('[tool.advisor.rules.missing-index]\nmin_rows = 3', "has no setting 'min_rows'"),
    ('[tool.advisor.rules.missing-index]\nmin_table_rows = "many"', "must be a int"),
    ('[tool.advisor]\ncolour = 1', "unknown setting 'colour'"),
    ('[tool.advisor.recommend]\nmax_indexes = -1', "max_indexes"),
    ('[tool.advisor.recommend]\nbudget = 1', "unknown recommend setting"),
])
def test_bad_config_is_a_one_line_error(tmp_path, text, expected):
    with pytest.raises(AdvisorError) as caught:
        load_config(write(tmp_path, text))
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value).strip()


def test_missing_explicit_file(tmp_path):
    with pytest.raises(AdvisorError, match="cannot read config"):
        load_config(tmp_path / "nope.toml")


def test_bad_config_on_the_command_line(tmp_path):
    from click.testing import CliRunner

    from advisor.cli import main
    from advisor.model import Snapshot, Statement

    snapshot = tmp_path / "s.json"
    snapshot.write_text(Snapshot(statements=[Statement("SELECT 1", calls=1)]).to_json())
    config = write(tmp_path, '[tool.advisor.rules.missing-index]\nseverity = "urgent"')
    result = CliRunner().invoke(main, ["analyze", "--snapshot", str(snapshot), "--config", str(config),
                                       "--format", "json"])
    assert result.exit_code == 2
    assert "severity must be one of" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
