"""`advisor analyze`: findings and recommendations, as a table, JSON, markdown or SARIF.

The recipe: take a snapshot (or capture one), add SQL-file workloads and log traces, run the
rules, cost candidate indexes with HypoPG, then render and write the artifacts asked for.
"""

from __future__ import annotations

from pathlib import Path

import click

from advisor.cli._options import (
    SeveralValues,
    dsn_option,
    format_option,
    require_source,
    snapshot_option,
)


@click.command("analyze", cls=SeveralValues)
@dsn_option
@snapshot_option
@click.option("--log", "logs", multiple=True, type=click.Path(path_type=Path), metavar="PATH...",
              help="Server log files to read traces and statements from (stderr, csvlog or "
                   "jsonlog): several paths, a glob (postgresql-*.json) or a folder; rotated files "
                   "are read in order as one workload. Without pg_stat_statements, the workload.")
@click.option("--trace", "app_traces", multiple=True, type=click.Path(path_type=Path), metavar="JSONL...",
              help="JSONL trace(s) written by the advisor.trace SQLAlchemy hook.")
@click.option("--queries", multiple=True, type=click.Path(path_type=Path), metavar="PATH...",
              help="SQL files or folders to use as (extra) workload; `-- weight: N` per statement.")
@format_option
@click.option("--recommend/--no-recommend", default=True, show_default=True,
              help="Cost candidate indexes (needs --dsn and HypoPG).")
@click.option("--max-indexes", type=int, default=None, help="At most N new indexes.")
@click.option("--max-index-size", default=None, metavar="SIZE",
              help="Storage budget for new indexes, e.g. 500MB.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
              metavar="SECONDS", help="Stop the index selection after SECONDS and keep the best "
                                      "found so far (the plan says it stopped early).")
@click.option("--migrations", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Write the index builds as one Alembic revision on the head of the app's history "
                   "in DIR (its root, migrations/, an alembic.ini or a pyproject.toml with "
                   "[tool.alembic]); a new or empty DIR gets a standalone project.")
@click.option("--split", is_flag=True, help="One revision per index instead of one for all.")
@click.option("--drops", is_flag=True,
              help="Also write the safe drops, in a revision of their own after the builds.")
@click.option("--batch", is_flag=True, hidden=True, help="The default now: one revision.")
@click.option("--report", type=click.Path(path_type=Path), default=None,
              help="Write the HTML report to FILE.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help="pyproject.toml with a [tool.advisor] table (default: ./pyproject.toml).")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical"]), default=None,
              help="Exit 1 when a finding of this severity or worse is found (for CI).")
@click.option("-v", "--verbose", is_flag=True, help="Show rejected candidates and their reasons.")
def command(dsn, snapshot_path, logs, app_traces, queries, fmt, recommend, max_indexes,
            max_index_size, time_limit, migrations, split, drops, batch, report, config_path, fail_on,
            verbose):
    """Find missing indexes, N+1 patterns and other problems; recommend indexes."""
    from advisor.pipeline import Pipeline

    if not queries:
        require_source(dsn, snapshot_path)
    if migrations and dsn:
        Pipeline.check_migrations(migrations, dsn)  # before the work: the database must be at its head
    pipeline = Pipeline.from_options(dsn=dsn, snapshot_path=snapshot_path, logs=logs,
                                     app_traces=app_traces, queries=queries,
                                     config_path=config_path, max_indexes=max_indexes,
                                     max_index_size=max_index_size, time_limit=time_limit)
    analysis = pipeline.analyze(recommend=recommend and bool(dsn))
    if migrations:
        from advisor import console

        for path in pipeline.write_migrations(analysis, migrations, split=split, drops=drops):
            console.err.print(f"wrote {path}", highlight=False, markup=False)
    if report:
        pipeline.write_report(analysis, report)
    pipeline.render(analysis, fmt, verbose=verbose)
    if pipeline.failing(analysis, fail_on):
        raise SystemExit(1)
