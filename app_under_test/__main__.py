"""ShopEase command line: ``python -m app_under_test build|run``.

    python -m app_under_test build --dsn postgresql://postgres@127.0.0.1:5432/shop --scale 1
    python -m app_under_test run --dsn postgresql://postgres@127.0.0.1:5432/shop --requests 2000 --json out.json
"""

from __future__ import annotations

import json
import sys
import time

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app_under_test import datagen, schema
from app_under_test.driver import render_table, run_workload

out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)


@click.group()
def main() -> None:
    """ShopEase, the e-commerce backend the advisor is shown on."""


@main.command()
@click.option("--dsn", required=True, help="libpq URL of an (empty or ShopEase) database")
@click.option("--scale", type=float, default=1.0, show_default=True, help="1 = about 2.3 M rows")
@click.option("--seed", type=int, default=42, show_default=True)
def build(dsn: str, scale: float, seed: int) -> None:
    """Migrate to head and (re)generate the data."""
    start = time.perf_counter()
    with err.status("migrating"):
        schema.upgrade(dsn)
    with err.status(f"generating data at scale {scale:g}"):
        counts = datagen.generate(dsn, scale=scale, seed=seed)
    err.print(f"built in {time.perf_counter() - start:.1f} s")
    out.print_json(json.dumps(counts))


@main.command()
@click.option("--dsn", required=True)
@click.option("--requests", type=int, default=None, help="number of measured requests (default 200)")
@click.option("--duration", type=float, default=None, help="run for this many seconds instead")
@click.option("--concurrency", type=int, default=4, show_default=True)
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), default=None,
              help="open loop: requests arrive this many per second (latency from the arrival)")
@click.option("--eager/--lazy", default=False, help="load relations eagerly (no N+1)")
@click.option("--warmup", type=int, default=20, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="also write the result as JSON to this file")
def run(dsn, requests, duration, concurrency, rate, eager, warmup, seed, json_path) -> None:
    """Run the workload and print per-endpoint latency, RPS and queries per request."""
    if requests is not None and duration is not None:
        raise click.UsageError("give --requests or --duration, not both")
    columns = [TextColumn("workload"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("run", total=requests or (None if duration else 200))
        result = run_workload(dsn, requests=requests, duration=duration, concurrency=concurrency,
                              eager=eager, warmup=warmup, seed=seed, rate=rate,
                              on_progress=lambda done, total: progress.update(task, completed=done))
    out.print(render_table(result))
    for sample in result.error_samples:
        err.print(f"[red]error[/red] {sample}", markup=True, highlight=False)
    if json_path:
        with open(json_path, "w") as handle:
            json.dump(result.to_dict(), handle, indent=2)
    sys.exit(1 if result.overall.errors else 0)


if __name__ == "__main__":
    main()
