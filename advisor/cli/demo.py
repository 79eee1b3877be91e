"""`advisor demo`: the whole story on an embedded PostgreSQL (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("--scale", default=1.0, show_default=True, help="ShopEase data scale.")
@click.option("--requests", default=200, show_default=True,
              help="Requests per closed-loop run (throughput).")
@click.option("--latency-requests", default=600, show_default=True,
              help="Requests of each phase's open-loop run (p50/p95/p99 at one offered load).")
@click.option("--repetitions", default=3, show_default=True, help="Closed-loop runs per phase.")
@click.option("--out", "out_dir", default=Path("reports"), type=click.Path(path_type=Path),
              show_default=True, help="Where the report, migrations and summary.json go.")
def command(scale, requests, latency_requests, repetitions, out_dir):
    """Build ShopEase, find its problems, fix them, and measure the gain."""
    from advisor import console
    from advisor.demo import DemoSettings, run_demo
    from advisor.emit.demo_summary import print_summary

    settings = DemoSettings(scale=scale, requests=requests, latency_requests=latency_requests,
                            repetitions=repetitions, out_dir=out_dir)
    with console.err.status("starting") as status:
        summary = run_demo(settings, step=lambda s: (status.update(s), console.err.log(s)))
    print_summary(console.out, summary)
