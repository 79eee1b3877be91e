"""The thresholds of `advisor check`, each a named setting with its reason.

    >>> CheckSettings().cost_increase_pct
    10.0
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CheckSettings:
    # A table this large (planner row estimate) makes a lost index or a filtered scan critical;
    # below it a sequential scan is often the planner's right choice, so it is only a warning.
    large_table_rows: int = 10_000
    # Planner total cost may grow this much (percent) before it is a regression.
    cost_increase_pct: float = 10.0
    # Costs below this are too small to judge by percent (a few pages): never a regression.
    min_cost: float = 10.0
    # Two plan alternatives whose costs are this close (percent) sit on a tie: "unstable".
    tie_pct: float = 1.0
    # One statement repeated this many times in one request is an N+1 pattern.
    n_plus_one_repeats: int = 5
    # Queries per request (the most in one request of a kind) may grow by this many queries
    # and by this percentage before it fails: one extra lookup is a design choice, not a leak.
    extra_queries_per_request: int = 2
    queries_per_request_pct: float = 10.0
    # Timings (only with --timings): mean time may grow this much (percent) ...
    mean_time_increase_pct: float = 50.0
    # ... and by at least this many milliseconds (sub-millisecond drift is noise) ...
    min_time_increase_ms: float = 1.0
    # ... and only statements called this often on both sides are judged (repetitions).
    min_calls: int = 20
    fail_on_new: bool = False
    fail_on_missing: bool = False
