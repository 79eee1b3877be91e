"""Where the CLI writes: machine-readable output to stdout, everything else to stderr.

The library never prints; it reports progress through a ``Progress`` callback that the CLI
builds here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

out = Console(soft_wrap=True)
err = Console(stderr=True)


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
