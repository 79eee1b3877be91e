"""The rule catalogue: one module per rule, each defining ``RULE``.

    >>> [r.id for r in all_rules()][:3]
    ['deep-offset', 'fk-without-index', 'function-on-column']

A new rule is a new module here; ``all_rules`` finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from rules._base import Docs, Example, Rule

__all__ = ["Docs", "Example", "Rule", "all_rules", "get_rule", "rules_by_id"]


@cache
def all_rules() -> tuple[Rule, ...]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = getattr(module, "RULE", None)
        if isinstance(rule, Rule):
            found.append(rule)
    return tuple(sorted(found, key=lambda r: r.id))


def rules_by_id() -> dict[str, Rule]:
    return {r.id: r for r in all_rules()}


def get_rule(rule_id: str) -> Rule | None:
    return rules_by_id().get(rule_id)
