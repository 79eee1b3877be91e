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


class SeveralValues(click.Command):
    """A command whose ``several`` options take every value up to the next option.

    ``--log postgresql-*.json``, which the shell expands into several paths, then reads them
    all, as ``--log a --log b`` does; click alone would call the second path an extra argument.
    """

    several = ("--log", "--trace", "--queries")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread(args, self.several))


def spread(args: list[str], names: tuple[str, ...]) -> list[str]:
    """``--log a b --x`` -> ``--log a --log b --x``, for the option names in ``names``.

    >>> spread(["--log", "a", "b", "--log=c", "d", "--format", "json"], ("--log",))
    ['--log', 'a', '--log', 'b', '--log=c', '--log', 'd', '--format', 'json']
    """
    out: list[str] = []
    option, has_value = None, False
    for arg in args:
        if arg == "--":
            option = None
        elif option and not arg.startswith("-"):
            out += [option, arg] if has_value else [arg]
            has_value = True
            continue
        else:
            name, eq, _ = arg.partition("=")
            option, has_value = (name, bool(eq)) if name in names else (None, False)
        out.append(arg)
    return out
