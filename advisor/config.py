"""Settings users tune in ``[tool.advisor]`` of their pyproject.toml.

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pyproject.toml"
    >>> _ = path.write_text('''
    ... [tool.advisor]
    ... disable = ["small-table"]
    ... [tool.advisor.rules.missing-index]
    ... severity = "critical"
    ... min_table_rows = 5000
    ... [tool.advisor.recommend]
    ... max_indexes = 3
    ... ''')
    >>> config = load_config(path)
    >>> config.enabled("small-table"), config.severity("missing-index", "high")
    (False, 'critical')
    >>> config.threshold("missing-index", "min_table_rows", 10000), config.recommend.max_indexes
    (5000, 3)

Rule defaults live with each rule in ``rules/``; this file only holds what the user changed.
Anything wrong (unknown rule, unknown threshold, a bad severity) is a one-line AdvisorError.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError
from advisor.model import SEVERITIES

DEFAULT_PATH = Path("pyproject.toml")


@dataclass
class RuleSettings:
    enabled: bool = True
    severity: str | None = None
    thresholds: dict[str, Any] = field(default_factory=dict)


@dataclass
class RecommendConfig:
    """What the recommend stage reads: how much gain is worth an index, and the budget."""

    min_improvement: float = 0.05  # a candidate must cut its statements' cost by this fraction
    max_indexes: int | None = None
    max_index_size: str | None = None  # e.g. "500MB"
    write_overhead: float = 1.0  # weight of the estimated index-maintenance cost
    # None: RecommendSettings' default (its docstring explains each)
    min_saved_seconds_per_hour: float | None = None  # measured time an index must save per hour
    narrow_tolerance: float | None = None  # share of its gain a narrower variant may lose
    max_include_width: int | None = None  # bytes (pg_stats avg_width) an INCLUDE column may take
    min_all_visible: float | None = None  # all-visible share of a table below which INCLUDE is struck
    drop_min_stats_days: float | None = None  # days of usage statistics a drop needs (default 35)
    time_limit: float | None = None  # seconds the index selection may take (the best so far then)


@dataclass
class Config:
    rules: dict[str, RuleSettings] = field(default_factory=dict)
    recommend: RecommendConfig = field(default_factory=RecommendConfig)
    check: dict[str, Any] = field(default_factory=dict)  # [tool.advisor.check]: CheckSettings
    source: Path | None = None

    def enabled(self, rule_id: str) -> bool:
        return self.rules.get(rule_id, RuleSettings()).enabled

    def severity(self, rule_id: str, default: str) -> str:
        return self.rules.get(rule_id, RuleSettings()).severity or default

    def threshold(self, rule_id: str, name: str, default: Any) -> Any:
        return self.rules.get(rule_id, RuleSettings()).thresholds.get(name, default)


def load_config(path: Path | None = None) -> Config:
    """The [tool.advisor] settings of ``path`` (default ./pyproject.toml when it exists)."""
    if path is None:
        if not DEFAULT_PATH.is_file():
            return Config()
        path = DEFAULT_PATH
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AdvisorError(f"cannot read config {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AdvisorError(f"bad config {path}: {exc}") from None
    table = data.get("tool", {}).get("advisor", {})
    return config_from_dict(table, source=Path(path))


def config_from_dict(table: dict[str, Any], source: Path | None = None) -> Config:
    where = f"[tool.advisor] in {source}" if source else "[tool.advisor]"
    if not isinstance(table, dict):
        raise AdvisorError(f"bad config: {where} must be a table")
    from rules import rules_by_id

    known = rules_by_id()
    config = Config(source=source)
    unknown = set(table) - {"disable", "enable", "rules", "recommend", "check"}
    if unknown:
        raise AdvisorError(f"bad config: unknown setting {sorted(unknown)[0]!r} in {where}")
    for rule_id, settings in (table.get("rules") or {}).items():
        config.rules[rule_id] = _rule_settings(rule_id, settings, known, where)
    for key, enabled in (("disable", False), ("enable", True)):
        ids = table.get(key, [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise AdvisorError(f"bad config: {key} in {where} must be a list of rule ids")
        for rule_id in ids:
            _known_rule(rule_id, known, where)
            config.rules.setdefault(rule_id, RuleSettings()).enabled = enabled
    config.recommend = _recommend(table.get("recommend") or {}, where)
    config.check = _check(table.get("check") or {}, where)
    return config


def _check(table: Any, where: str) -> dict[str, Any]:
    """``[tool.advisor.check]``: the thresholds of `advisor check`, checked against CheckSettings."""
    from advisor.check.settings import CheckSettings

    if not isinstance(table, dict):
        raise AdvisorError(f"bad config: check in {where} must be a table")
    defaults = CheckSettings()
    for name, value in table.items():
        if name not in CheckSettings.__dataclass_fields__:
            raise AdvisorError(f"bad config: unknown check setting {name!r} in {where}")
        _typed("check", name, value, getattr(defaults, name))
    return dict(table)


def _known_rule(rule_id: str, known: dict, where: str) -> None:
    if rule_id not in known:
        raise AdvisorError(f"bad config: unknown rule {rule_id!r} in {where} "
                           f"(see `advisor rules`)")


def _rule_settings(rule_id: str, settings: Any, known: dict, where: str) -> RuleSettings:
    _known_rule(rule_id, known, where)
    if not isinstance(settings, dict):
        raise AdvisorError(f"bad config: rules.{rule_id} in {where} must be a table")
    result = RuleSettings()
    defaults = known[rule_id].thresholds
    for name, value in settings.items():
        if name == "enabled":
            if not isinstance(value, bool):
                raise AdvisorError(f"bad config: rules.{rule_id}.enabled must be true or false")
            result.enabled = value
        elif name == "severity":
            if value not in SEVERITIES:
                raise AdvisorError(f"bad config: rules.{rule_id}.severity must be one of "
                                   f"{', '.join(SEVERITIES)} (got {value!r})")
            result.severity = value
        elif name in defaults:
            result.thresholds[name] = _typed(rule_id, name, value, defaults[name])
        else:
            raise AdvisorError(f"bad config: rule {rule_id} has no setting {name!r} "
                               f"(it has: {', '.join(['enabled', 'severity', *defaults])})")
    return result


def _typed(rule_id: str, name: str, value: Any, default: Any) -> Any:
    numeric = isinstance(default, int | float) and not isinstance(default, bool)
    if numeric and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if type(value) is type(default):
        return value
    raise AdvisorError(f"bad config: rules.{rule_id}.{name} must be a {type(default).__name__} "
                       f"(got {value!r})")


def _recommend(table: Any, where: str) -> RecommendConfig:
    if not isinstance(table, dict):
        raise AdvisorError(f"bad config: recommend in {where} must be a table")
    config = RecommendConfig()
    for name, value in table.items():
        if name not in RecommendConfig.__dataclass_fields__:
            raise AdvisorError(f"bad config: unknown recommend setting {name!r} in {where}")
        if name == "max_index_size":
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise AdvisorError("bad config: recommend.max_index_size must be a size like \"500MB\"")
            value = str(value)
        elif name == "max_indexes":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise AdvisorError("bad config: recommend.max_indexes must be a whole number >= 0")
        elif not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise AdvisorError(f"bad config: recommend.{name} must be a number >= 0")
        setattr(config, name, value)
    return config
