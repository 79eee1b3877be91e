"""Settings: sizes, and the [tool.advisor.recommend] table."""

import pytest

from advisor.config import config_from_dict
from advisor.errors import AdvisorError
from advisor.recommend import RecommendSettings, parse_size


@pytest.mark.parametrize("text,expected", [("500MB", 500 * 2**20), ("1.5 GB", int(1.5 * 2**30)),
                                           ("64kB", 65536), ("8192", 8192), ("2g", 2 * 2**30)])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "12 parsecs", "-5MB"])
def test_parse_size_rejects(text):
    with pytest.raises(AdvisorError, match="not a size"):
        parse_size(text)


def test_from_config():
    config = config_from_dict({"recommend": {"max_index_size": "1GB", "max_indexes": 3,
                                             "write_overhead": 0.5, "min_improvement": 0.2}})
    settings = RecommendSettings.from_config(config)
    assert (settings.max_index_size_bytes, settings.max_indexes, settings.min_improvement) == (2**30, 3, 0.2)
    assert settings.write_overhead_factor == RecommendSettings().write_overhead_factor * 0.5
    assert RecommendSettings.from_config(None) == RecommendSettings()


def test_narrowing_and_time_settings_from_config():
    config = config_from_dict({"recommend": {"narrow_tolerance": 0.2, "max_include_width": 32,
                                             "min_all_visible": 0.9, "min_saved_seconds_per_hour": 5}})
    settings = RecommendSettings.from_config(config)
    assert (settings.narrow_tolerance, settings.max_include_width, settings.min_all_visible,
            settings.min_saved_seconds_per_hour) == (0.2, 32, 0.9, 5)
    defaults = RecommendSettings.from_config(config_from_dict({}))
    assert defaults.narrow_tolerance == RecommendSettings().narrow_tolerance  # unset: the settings' own
    with pytest.raises(AdvisorError, match="narrow_tolerance"):
        config_from_dict({"recommend": {"narrow_tolerance": -1}})


def test_the_drop_minimum_is_a_named_setting():
    assert RecommendSettings.from_config(config_from_dict({})).drop_min_stats_days == 35
    config = config_from_dict({"recommend": {"drop_min_stats_days": 90}})
    assert RecommendSettings.from_config(config).drop_min_stats_days == 90
    with pytest.raises(AdvisorError, match="drop_min_stats_days must be a number >= 0"):
        config_from_dict({"recommend": {"drop_min_stats_days": "a month"}})
