"""Options shared by several commands, and the one place that loads their inputs."""

from __future__ import annotations

from pathlib import Path

import click

from advisor.errors import AdvisorError
from advisor.model import Snapshot

dsn_option = click.option("--dsn", envvar="ADVISOR_DSN", metavar="DSN",
                          help="PostgreSQL connection string (or $ADVISOR_DSN).")
snapshot_option = click.option("--snapshot", "snapshot_path", type=click.Path(path_type=Path),
                               metavar="FILE", help="A snapshot written by `advisor capture`.")
format_option = click.option("--format", "fmt", default="table", show_default=True,
                             type=click.Choice(["table", "json", "markdown", "sarif", "junit"]),
                             help="Output format; machine-readable ones go to stdout alone.")


def load_snapshot(path: Path) -> Snapshot:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdvisorError(f"cannot read snapshot {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AdvisorError(f"not a snapshot: {path} is not UTF-8 text") from None
    return Snapshot.from_json(text)


def require_source(dsn: str | None, snapshot_path: Path | None) -> None:
    if bool(dsn) == bool(snapshot_path):
        raise AdvisorError("give exactly one of --dsn or --snapshot")
