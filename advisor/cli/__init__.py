"""The `advisor` command line: thin commands over the library.

Each module in this package defines one click command named ``command`` (or a group); they are
found here, so adding a command is adding a module. Library errors (``AdvisorError``) become a
one-line message on stderr and exit 2 (or the error's own code), never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from advisor import __version__
from advisor.db import redact
from advisor.errors import AdvisorError


class _Main(click.Group):
    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("advisor: interrupted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if getattr(exc, "ctx", None) else ""
            click.echo(f"advisor: error: {redact(exc.format_message())}{hint}", err=True)
            sys.exit(exc.exit_code)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AdvisorError as exc:
            click.echo(f"advisor: error: {redact(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("advisor: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:
            if not type(exc).__module__.startswith("psycopg"):
                raise
            # a database error no stage turned into an AdvisorError: still one line, exit 2
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            click.echo(f"advisor: error: database error: {redact(first)}", err=True)
            sys.exit(2)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="advisor")
def main() -> None:
    """A PostgreSQL query-optimization and migration advisor."""


def _register() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            main.add_command(command)


_register()
