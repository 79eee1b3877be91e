"""Gain in time: what an index saves of the statement time pg_stat_statements measured.

    >>> clock = Clock({"a": 7200.0}, hours=2.0)
    >>> clock.per_hour(1800.0)   # ms over the capture -> seconds per hour of workload
    0.9

The selection weighs planner cost by calls; what users pay is time. A statement's measured time
(``total_exec_time``) is shared out by its planner cost: with an index that cuts its cost by a
quarter, it is estimated to save a quarter of its time. An index must save at least
``min_saved_seconds_per_hour`` of that time per hour of the captured workload (the window from
the pg_stat_statements reset to the capture), besides cutting its statements' planner cost by
``min_improvement``. Statements from SQL files (--queries) have no measured time: then the choice
rests on planner cost alone, and the plan says so. Statements from the server log were timed
over the log's span: when pg_stat_statements times the rest, theirs are rated over that span.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from advisor.model import IndexSpec, Snapshot
from advisor.recommend.select import Evaluator


@dataclass
class Clock:
    """Measured time per statement (ms over the capture) and the capture's length in hours."""

    times: dict[str, float]
    hours: float | None = None

    @classmethod
    def of(cls, snapshot: Snapshot) -> Clock:
        """Statements from the server log were timed over its span: their times are put on the
        scale of the window the others cover (the same rate per hour)."""
        hours = window_hours(snapshot)
        logged = _hours(*snapshot.log_window) if snapshot.log_window else None
        scale = hours / logged if hours and logged else 1.0
        times = {s.fingerprint: s.total_time_ms * (scale if s.source == "log" else 1.0)
                 for s in snapshot.statements if s.total_time_ms > 0}
        return cls(times, hours)

    @property
    def measured(self) -> bool:
        return bool(self.times)

    def saved_ms(self, ev: Evaluator, spec: IndexSpec, config: list[IndexSpec]) -> float:
        """Measured ms of the capture that ``spec`` saves, the rest of ``config`` present: each
        statement's time x its planner cost saved / its cost with no new index."""
        rest = [c for c in config if c.key() != spec.key()]
        saved = 0.0
        for item in ev.relevant(spec):
            time, before = self.times.get(item.key, 0.0), ev.item_cost(item, [])
            if time and before > 0:
                saved += time * (ev.item_cost(item, rest) - ev.item_cost(item, config)) / before
        return saved

    def judges(self, ev: Evaluator, spec: IndexSpec, config: list[IndexSpec]) -> bool:
        """Whether every statement ``spec`` speeds up has a measured time (a statement from a SQL
        file has none: an index serving one is judged on planner cost alone)."""
        relevant = ev.relevant(spec)
        if not any(item.key in self.times for item in relevant):
            return False  # none of its statements has a time: no need to price which it serves
        rest = [c for c in config if c.key() != spec.key()]
        return all(item.key in self.times for item in relevant
                   if ev.item_cost(item, config) < ev.item_cost(item, rest))

    def per_hour(self, ms: float) -> float | None:
        """Seconds per hour of workload, or None when the window is unknown."""
        return ms / 1000.0 / self.hours if self.hours else None

    def describe(self, ms: float) -> str:
        rate = self.per_hour(ms)
        if rate is None:
            return f"~{seconds(ms / 1000.0)} of measured statement time over the capture"
        return f"~{seconds(rate)} of measured statement time per hour of workload"


def window_hours(snapshot: Snapshot) -> float | None:
    """Hours from the statistics reset to the capture, when both are known."""
    return _hours(*snapshot.timed_window())


def _hours(start: str | None, stop: str | None) -> float | None:
    try:
        begin, end = datetime.fromisoformat(start or ""), datetime.fromisoformat(stop or "")
    except ValueError:
        return None
    if begin.tzinfo is None or end.tzinfo is None:
        return None
    hours = (end - begin).total_seconds() / 3600.0
    return hours if hours > 0 else None


def enough_time(ev: Evaluator, clock: Clock, chosen: list[IndexSpec], minimum: float,
                unsized: frozenset[str] = frozenset()):
    """(kept, rejected): while some chosen index saves under ``minimum`` seconds per hour (given
    the others), leave out the one saving least. Unknown window or no measured time: all kept;
    so is an index that speeds up a statement without a measured time, and one on a table in
    ``unsized`` (never analysed: what it holds, and will hold, is the planner's guess)."""
    kept, rejected = list(chosen), []
    if not clock.measured or clock.hours is None or minimum <= 0:
        return kept, rejected
    while kept:
        judged = [c for c in kept if c.table not in unsized and clock.judges(ev, c, kept)]
        if not judged:
            break
        saved = {c.key(): clock.saved_ms(ev, c, kept) for c in judged}
        worst = min(judged, key=lambda c: saved[c.key()])
        if clock.per_hour(saved[worst.key()]) >= minimum:
            break
        rest = [c for c in kept if c is not worst]
        gain, base = ev.delta(ev.relevant(worst), rest, kept)
        kept = rest
        cut = f"{100.0 * gain / base:.0f}%" if base > 0 else "nothing"
        rejected.append((worst, f"too little time saved: {clock.describe(saved[worst.key()])} < "
                                f"{seconds(minimum)} (min_saved_seconds_per_hour), though it cuts "
                                f"the planner cost of its statements by {cut}", gain))
    return kept, rejected


def seconds(value: float) -> str:
    if value >= 60:
        return f"{value / 60.0:,.1f} min"
    return f"{value:,.2f} s" if value < 10 else f"{value:,.1f} s"


__all__ = ["Clock", "enough_time", "seconds", "window_hours"]
