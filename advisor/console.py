"""Where the CLI writes: machine-readable output to stdout, everything else to stderr.

The library never prints; it reports progress through a ``Progress`` callback that the CLI
builds here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# Piped or logged (CI), rich would assume 80 columns and fold every table; logs are wide.
LOG_WIDTH = 160
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS")
              else LOG_WIDTH)
err = Console(stderr=True)


@contextmanager
def phases() -> Iterator:
    """One progress bar on stderr labelled with the current phase, with the time it estimates is
    left of it; yields ``update(phase, done, total)`` (total 0: no count). Nothing when stderr is
    not a terminal (CI logs)."""
    if not err.is_terminal:
        yield lambda phase, done=0, total=0: None
        return
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=err,
                   transient=True)
    with bar:
        task = bar.add_task("", total=None)
        current = [None]

        def update(phase: str, done: int = 0, total: int = 0) -> None:
            if phase != current[0]:
                current[0] = phase
                bar.reset(task, total=total or None, completed=done, description=phase)
            else:
                bar.update(task, total=total or None, completed=done)

        yield update


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator:
    """A rich progress bar on stderr; yields ``advance(n=1)``."""
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err, transient=True)
    with bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1, total: int | None = None) -> None:
            if total is not None:
                bar.update(task, total=total)
            bar.advance(task, n)

        yield advance
