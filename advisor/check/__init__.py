"""`advisor check`: a CI gate against slow-query and N+1 regressions.

The recipe: observe the workload the tests just ran (statements, generic plans, traces), then
either write that as the baseline or compare it with the baseline and list every change; the
failing ones are regressions.

    >>> from advisor.check import record, check                 # doctest: +SKIP
    >>> record(dsn, Path(".advisor/baseline.json"))             # doctest: +SKIP
    >>> check(dsn, Path(".advisor/baseline.json")).failed       # doctest: +SKIP
    False
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from advisor.check.baseline import Baseline, read_baseline, write_baseline
from advisor.check.compare import compare
from advisor.check.observe import Progress, observe
from advisor.check.report import CheckReport
from advisor.check.settings import CheckSettings
from advisor.model import Trace

__all__ = ["Baseline", "CheckReport", "CheckSettings", "check", "compare", "observe", "record"]


def record(dsn: str, path: Path, *, logs: Sequence[Path] = (), app_traces: Sequence[Path] = (),
           traces: Sequence[Trace] = (), timings: bool = False, settings: CheckSettings | None = None,
           on_progress: Progress | None = None) -> Baseline:
    """Observe ``dsn``'s workload and write it to ``path`` as the baseline."""
    baseline = observe(dsn, logs=logs, app_traces=app_traces, traces=traces, timings=timings,
                       settings=settings, on_progress=on_progress)
    write_baseline(baseline, path)
    return baseline


def check(dsn: str, path: Path, *, logs: Sequence[Path] = (), app_traces: Sequence[Path] = (),
          traces: Sequence[Trace] = (), settings: CheckSettings | None = None,
          on_progress: Progress | None = None) -> CheckReport:
    """Compare ``dsn``'s workload now with the baseline at ``path``."""
    baseline = read_baseline(path)
    current = observe(dsn, logs=logs, app_traces=app_traces, traces=traces,
                      timings=baseline.timings,
                      settings=settings, on_progress=on_progress)
    return compare(baseline, current, settings, baseline_name=str(path))
