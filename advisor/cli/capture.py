"""`advisor capture`: read a live database (and its server log) into a snapshot file."""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from pathlib import Path

import click

from advisor.cli._options import SeveralValues, dsn_option


@click.command("capture", cls=SeveralValues)
@dsn_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              metavar="FILE", help="Where to write the snapshot (JSON).")
@click.option("--top", type=click.IntRange(min=1), default=None, metavar="N",
              help="Keep the N statements with the most total time.")
@click.option("--min-calls", type=click.IntRange(min=1), default=1, show_default=True,
              metavar="N", help="Leave out statements called fewer than N times.")
@click.option("--reset", is_flag=True,
              help="WRITES: after reading, call pg_stat_statements_reset() so the next capture "
                   "starts afresh (needs the right to call it).")
@click.option("--analyze-plans", is_flag=True,
              help="Also run EXPLAIN (ANALYZE, BUFFERS) of the SELECTs with sample values "
                   "(executes them, read-only, rolled back).")
@click.option("--log", "logs", multiple=True, type=click.Path(path_type=Path),
              metavar="PATH...", help="Server log files (stderr, csvlog or jsonlog) to read traces "
              "from: several paths, a glob or a folder; rotated files are read in order.")
@click.option("--log-line-prefix", default=None, metavar="PREFIX",
              help="The server's log_line_prefix for stderr logs (default: detected).")
@click.option("--trace", "app_traces", multiple=True,
              type=click.Path(path_type=Path, dir_okay=False), metavar="JSONL",
              help="Trace file written by the advisor.trace SQLAlchemy hook.")
def command(dsn, out, top, min_calls, reset, analyze_plans, logs, log_line_prefix, app_traces):
    """Snapshot a database: pg_stat_statements, catalog, generic plans, traces.

    Read-only (one read-only transaction with statement and lock timeouts), except --reset.
    """
    from advisor import console
    from advisor.capture import capture
    from advisor.errors import AdvisorError
    from advisor.trace import load

    if not dsn:
        raise AdvisorError("--dsn is required (or set $ADVISOR_DSN)")
    with ExitStack() as stack:
        bars: list = []

        def on_progress(done: int, total: int) -> None:
            if not bars:  # shown from the first EXPLAIN on, so an early error prints alone
                bars.append(stack.enter_context(console.progress("EXPLAIN", total=total)))
            bars[0](1, total=total)

        snapshot = capture(dsn, top=top, min_calls=min_calls, analyze_plans=analyze_plans,
                           logs=logs, reset=reset, on_progress=on_progress,
                           log_line_prefix=log_line_prefix)
    if app_traces:
        snapshot.traces += load(app_traces)
    write_atomically(out, snapshot.to_json())
    planned = sum(1 for s in snapshot.statements if s.plan is not None)
    console.err.print(
        f"captured {len(snapshot.statements)} statements ({planned} planned), "
        f"{len(snapshot.catalog.tables)} tables, {len(snapshot.catalog.indexes)} indexes, "
        f"{len(snapshot.traces)} traces -> {out}", highlight=False, markup=False)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    from advisor.errors import AdvisorError

    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise AdvisorError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
