"""recommend: Findings + Snapshot -> Plan of indexes to create and to drop.

    >>> parse_size("500MB"), parse_size("1.5 GB"), parse_size("8192")
    (524288000, 1610612736, 8192)

The recipe: candidates from each statement's shape; what-if costs with HypoPG (read-only,
session-private); a greedy, re-evaluating selection over the weighted workload within the
budgets; drops from the unused-index and redundant-index findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, is_dataclass

from advisor.errors import AdvisorError
from advisor.model import Analysis, Plan, Snapshot

_UNITS = {"": 1, "b": 1, "kb": 1024, "k": 1024, "mb": 1024 ** 2, "m": 1024 ** 2,
          "gb": 1024 ** 3, "g": 1024 ** 3, "tb": 1024 ** 4, "t": 1024 ** 4}


@dataclass
class RecommendSettings:
    """The thresholds of the selection (``[tool.advisor.recommend]`` in pyproject.toml).

    ``min_improvement``: an index (or widening) is taken only when it lowers the summed weighted
    planner cost of the statements it changes by at least this share of their cost before it
    (0.1 = 10%). ``min_saved_seconds_per_hour``: and only when it saves at least this much of the
    statements' measured time (pg_stat_statements ``total_exec_time``, shared out by planner
    cost) per hour of the captured workload; not applied without measured times (--queries) or
    a known capture window. ``write_overhead_factor``: planner cost units charged per index
    entry the workload's writes add to a new index (a row inserted, a row of a non-HOT UPDATE;
    a DELETE adds none; an index on a column an UPDATE sets ends its HOT path and is charged every
    index's entry for it). ``narrow_tolerance``: a chosen index is replaced by a narrower
    variant (fewer INCLUDE columns or trailing keys, or a smaller candidate on its columns), and
    two indexes led by the same column by one, when that loses at most this share of their gain
    (0.1 = 10%); all of it together adds at most this share to the workload's remaining planner
    cost and measured time, so the gains stay within it (0 under ``max_index_size_bytes``: the
    selection has weighed every byte already). ``max_include_width``: no INCLUDE column wider than this many bytes
    (pg_stats ``avg_width``: text bodies, jsonb, bytea). ``min_all_visible``: no INCLUDE on a
    table with less than this share of its pages all-visible (``relallvisible / relpages``):
    its index-only scans would read the heap anyway.
    ``drop_min_stats_days``: an index is advised dropped for having no scans only when the usage
    statistics cover at least this many days (35: a monthly job ran at least once in them).
    ``time_limit``: seconds the selection may take before it returns the best found so far.
    ``compress``: price statements of one shape through one of them (``compress.py``).
    """

    max_indexes: int | None = None
    max_index_size_bytes: int | None = None
    min_improvement: float = 0.1
    min_saved_seconds_per_hour: float = 1.0
    write_overhead_factor: float = 2.0
    narrow_tolerance: float = 0.1
    max_include_width: int = 16
    min_all_visible: float = 0.5
    max_width: int = 3
    min_table_rows: int = 1000
    allow_real_indexes: bool = False  # without HypoPG: real indexes in rolled-back transactions
    drop_min_stats_days: float = 35.0
    time_limit: float | None = None
    compress: bool = True

    @classmethod
    def from_config(cls, config) -> RecommendSettings:
        """From ``advisor.config.Config`` (its ``recommend`` table) or a plain dict of it.

        ``write_overhead`` there weighs the maintenance charge: it multiplies
        ``write_overhead_factor``."""
        section = getattr(config, "recommend", None)
        if section is None and isinstance(config, dict):
            section = config.get("recommend", {})
        if section is not None and is_dataclass(section):
            section = asdict(section)
        values = {k.replace("-", "_"): v for k, v in dict(section or {}).items() if v is not None}
        settings = cls()
        if "max_index_size" in values:
            settings.max_index_size_bytes = parse_size(str(values.pop("max_index_size")))
        if "write_overhead" in values:
            settings.write_overhead_factor *= float(values.pop("write_overhead"))
        known = {f.name for f in fields(cls)}
        for name, value in values.items():
            if name in known:
                setattr(settings, name, value)
        return settings


def parse_size(text: str) -> int:
    """Bytes from ``500MB``, ``1.5 GB``, ``64kB`` or a plain number."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise AdvisorError(f"not a size: {text!r} (expected e.g. 500MB, 2GB, 64kB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def recommend(dsn: str, snapshot: Snapshot, analysis: Analysis,
              settings: RecommendSettings | None = None,
              on_progress: Callable[[str, int, int], None] | None = None, *,
              planned_here: bool = False) -> Plan:
    """The plan of indexes to create (costed on ``dsn`` with HypoPG) and to drop.

    ``on_progress(phase, done, total)`` is called as the work goes (``total`` 0: no count).
    ``planned_here``: the snapshot's plans were made on ``dsn`` by this run (a capture or
    ``--queries``, not a snapshot file), so a statement's cost without any new index is read
    from its plan instead of EXPLAINed again."""
    from advisor.collector import fewer_collections
    from advisor.recommend.plan import build_plan

    with fewer_collections():
        return build_plan(dsn, snapshot, analysis, settings or RecommendSettings(), on_progress,
                          planned_here=planned_here)


__all__ = ["RecommendSettings", "parse_size", "recommend"]
