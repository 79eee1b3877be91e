"""`advisor check`: write a baseline, or compare the workload with it and gate CI.

Exit 0: no regression; 1: a regression; 2: usage or connection error.
"""

from __future__ import annotations

from pathlib import Path

import click

from advisor.cli._options import SeveralValues, dsn_option
from advisor.errors import AdvisorError

FORMATS = ["table", "markdown", "junit", "sarif", "github", "json"]


@click.command("check", cls=SeveralValues)
@dsn_option
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Compare with this baseline; exit 1 on a regression.")
@click.option("--write-baseline", "write_path", type=click.Path(path_type=Path), metavar="FILE",
              help="Record the workload as the baseline in FILE (atomically).")
@click.option("--log", "logs", multiple=True, type=click.Path(path_type=Path),
              metavar="PATH...", help="Server log files (several paths, a glob or a folder): traces "
              "for queries per request.")
@click.option("--trace", "app_traces", multiple=True, type=click.Path(path_type=Path),
              help="JSONL trace(s) from the advisor.trace SQLAlchemy hook.")
@click.option("--timings", is_flag=True,
              help="Record pg_stat_statements mean time and calls, and compare them.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output format (stdout); progress and errors go to stderr.")
@click.option("--fail-on-new", is_flag=True, help="Fail on statements the baseline lacks.")
@click.option("--fail-on-missing", is_flag=True,
              help="Fail on baseline statements the workload no longer runs.")
@click.option("--cost-threshold", type=float, default=None, metavar="PCT",
              help="Planner cost increase that fails (percent; default 10).")
@click.option("--large-table-rows", type=int, default=None, metavar="N",
              help="Tables this large make a lost index critical (default 10000).")
@click.option("--time-threshold", type=float, default=None, metavar="PCT",
              help="With --timings: mean time increase that fails (percent; default 50).")
@click.option("--min-calls", type=int, default=None, metavar="N",
              help="With --timings: judge only statements called N+ times (default 20).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="pyproject.toml whose [tool.advisor.check] sets thresholds (default: ./pyproject.toml).")
@click.option("-v", "--verbose", is_flag=True, help="Also show notes (plan changes, new, missing).")
def command(dsn, baseline_path, write_path, logs, app_traces, timings, fmt, fail_on_new,
            fail_on_missing, cost_threshold, large_table_rows, time_threshold, min_calls,
            config_path, verbose):
    """Catch slow-query and N+1 regressions against a baseline (for CI)."""
    from advisor import console
    from advisor.check import CheckSettings, check, record
    from advisor.config import load_config

    if not dsn:
        raise AdvisorError("--dsn is required (or set $ADVISOR_DSN)")
    if bool(baseline_path) == bool(write_path):
        raise AdvisorError("give exactly one of --baseline FILE or --write-baseline FILE")
    settings = CheckSettings(**load_config(config_path).check)
    for name, value in (("fail_on_new", fail_on_new or None),
                        ("fail_on_missing", fail_on_missing or None),
                        ("cost_increase_pct", cost_threshold),
                        ("large_table_rows", large_table_rows),
                        ("mean_time_increase_pct", time_threshold), ("min_calls", min_calls)):
        if value is not None:
            setattr(settings, name, value)
    with _Phases(("EXPLAIN", "plan stability")) as on_progress:
        if write_path:
            baseline = record(dsn, write_path, logs=logs, app_traces=app_traces,
                              timings=timings, settings=settings, on_progress=on_progress)
        else:
            report = check(dsn, baseline_path, logs=logs, app_traces=app_traces,
                           settings=settings, on_progress=on_progress)
    if write_path:
        console.err.print(f"wrote baseline {write_path}: {len(baseline.statements)} statements, "
                          f"{len(baseline.requests)} kinds of request")
        return
    _render(report, fmt, verbose)
    if report.failed:
        raise SystemExit(1)


def _render(report, fmt: str, verbose: bool) -> None:
    import sys

    from advisor import console
    from advisor.check.formats import render

    if fmt == "table":
        from advisor.check.formats.terminal import print_report

        print_report(console.out, report, verbose)
        return
    sys.stdout.write(render(report, fmt) + "\n")


class _Phases:
    """Progress bars on a terminal's stderr, one per phase (a phase restarts at done == 1); each
    starts at its first step, so errors before the first EXPLAIN stay one line."""

    def __init__(self, names: tuple[str, ...]):
        self.names, self.phase, self.bar, self.advance = names, -1, None, None

    def __enter__(self):
        return self.step

    def step(self, done: int, total: int) -> None:
        from advisor import console

        if not console.err.is_terminal:  # CI logs: no bars (they would leave blank lines)
            return
        if done == 1 or self.bar is None:
            self._close()
            self.phase += 1
            name = self.names[min(self.phase, len(self.names) - 1)]
            self.bar = console.progress(name, total)
            self.advance = self.bar.__enter__()
        self.advance(1)

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __exit__(self, *exc) -> None:
        self._close()
