import pytest

from advisor.check import CheckSettings
from advisor.config import config_from_dict
from advisor.errors import AdvisorError


def test_check_thresholds_come_from_tool_advisor_check():
    config = config_from_dict({"check": {"cost_increase_pct": 25, "large_table_rows": 50_000}})
    settings = CheckSettings(**config.check)
    assert settings.cost_increase_pct == 25
    assert settings.large_table_rows == 50_000
    assert settings.min_calls == CheckSettings().min_calls


@pytest.mark.parametrize("table", [{"nope": 1}, {"cost_increase_pct": "a lot"}, {"fail_on_new": 3}])
def test_bad_check_settings_are_one_line_errors(table):
    with pytest.raises(AdvisorError, match="bad config"):
        config_from_dict({"check": table})
