"""`advisor validate`: re-run the workload before and after the migrations (writes!)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from advisor.cli._options import dsn_option


@click.command("validate")
@dsn_option
@click.option("--migrations", type=click.Path(path_type=Path, exists=True, file_okay=False),
              required=True, help="Alembic project whose pending revisions are validated.")
@click.option("--workload", required=True, metavar="CMD|shopease",
              help="Command that runs the workload ({dsn} and $DATABASE_URL point at the copy), "
                   "or `shopease` for the bundled driver.")
@click.option("--requests", default=600, show_default=True, help="Requests per run (shopease).")
@click.option("--concurrency", default=4, show_default=True, help="Threads (shopease).")
@click.option("--repetitions", default=3, show_default=True, help="Closed-loop runs per phase.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Open-loop arrival rate (requests/s) for the latency run of each phase "
                   "(shopease); default: 60 % of the throughput measured before.")
@click.option("--in-place", is_flag=True,
              help="Apply the migrations to the database itself instead of a scratch copy.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path, exists=True), default=None,
              help="JSON written by `advisor analyze --format json`, to judge each recommendation.")
@click.option("--prune", is_flag=True, help="Remove revisions of indexes that did not help.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the results JSON here.")
def command(dsn, migrations, workload, requests, concurrency, repetitions, rate, in_place,
            plan_path, prune, out):
    """Prove the gain: workload before, apply migrations, workload after.

    This WRITES: it creates a scratch copy of the database (CREATE DATABASE ... TEMPLATE),
    migrates and drops it; --in-place migrates the database itself.
    """
    from advisor import console
    from advisor.emit.validation import load_plan, print_validation
    from advisor.errors import AdvisorError
    from advisor.validate import prune as prune_revisions
    from advisor.validate import validate, workload_from_option

    if not dsn:
        raise AdvisorError("--dsn is required")
    plan = load_plan(plan_path) if plan_path else None
    chosen = workload_from_option(workload, requests=requests, concurrency=concurrency)
    with console.progress("validate", total=None) as advance:
        result = validate(dsn, migrations, chosen, plan=plan, repetitions=repetitions,
                          in_place=in_place, rate=rate, on_step=lambda step: advance(1))
    if prune and plan:
        result["pruned"] = prune_revisions(plan, result, migrations)
    if out:
        out.write_text(json.dumps(result, indent=1, default=str))
    print_validation(console.out, result)
