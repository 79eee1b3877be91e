"""`advisor rules`: the rule catalogue; `advisor rules show ID`: one rule's documentation."""

from __future__ import annotations

import json
import sys

import click

from advisor.errors import AdvisorError


def _rule_dict(rule) -> dict:
    return {"id": rule.id, "name": rule.name, "severity": rule.severity, "summary": rule.summary,
            "thresholds": rule.thresholds,
            "docs": {"what_it_does": rule.docs.what, "why_is_this_bad": rule.docs.why,
                     "example": rule.docs.example, "use_instead": rule.docs.use_instead}}


@click.group("rules", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format; json goes to stdout alone.")
@click.pass_context
def command(ctx, fmt):
    """List the rules advisor checks (id, default severity, summary)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from advisor import console
    from rules import all_rules

    if fmt == "json":
        sys.stdout.write(json.dumps([_rule_dict(r) for r in all_rules()], indent=1) + "\n")
        return
    table = Table(title="advisor rules")
    for column in ("id", "severity", "summary"):
        table.add_column(column, overflow="fold")
    for rule in all_rules():
        table.add_row(rule.id, rule.severity, rule.summary)
    console.out.print(table)


@command.command("show")
@click.argument("rule_id")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True)
def show(rule_id, fmt):
    """Print one rule's documentation: what it does, why, an example, what to use instead."""
    from rich.markdown import Markdown

    from advisor import console
    from rules import all_rules, get_rule
    from rules._docs import rule_markdown

    rule = get_rule(rule_id)
    if rule is None:
        known = ", ".join(r.id for r in all_rules())
        raise AdvisorError(f"unknown rule {rule_id!r}; the rules are: {known}")
    if fmt == "json":
        sys.stdout.write(json.dumps(_rule_dict(rule), indent=1) + "\n")
    elif sys.stdout.isatty():
        console.out.print(Markdown(rule_markdown(rule)))
    else:
        sys.stdout.write(rule_markdown(rule))
