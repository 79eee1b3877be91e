"""What a rule is: its id, documentation, thresholds, executable examples and check function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.model import Finding, Snapshot

if TYPE_CHECKING:
    from advisor.analyze.context import Context


@dataclass
class Docs:
    what: str  # What it does
    why: str  # Why is this bad
    example: str  # Example (SQL)
    use_instead: str  # Use instead (SQL or prose)


@dataclass
class Example:
    """A tiny snapshot the rule must flag (``bad``) or leave alone; the tests run every one."""

    description: str
    bad: bool
    snapshot: Callable[[], Snapshot]
    expect_in_message: str | None = None  # a fragment the bad example's finding must state


@dataclass
class Rule:
    id: str
    name: str
    severity: str
    summary: str
    docs: Docs
    check: Callable[[Context], Iterable[Finding]]
    thresholds: dict[str, Any] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)

    @property
    def module(self) -> str:
        return self.id.replace("-", "_")
