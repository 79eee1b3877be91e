"""What a rule's check sees: the snapshot, its shapes and plan evidence, its own thresholds.

    >>> from advisor.model import Snapshot, Statement
    >>> ctx = Context.build(Snapshot(statements=[Statement("SELECT 1", calls=2, total_time_ms=5.0)]))
    >>> ctx.total_time_ms, ctx.share(ctx.snapshot.statements[0])
    (5.0, 1.0)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from advisor.analyze.plans import PlanEvidence, statement_evidence, table_sizes
from advisor.analyze.shapes import extract_shapes
from advisor.model import Finding, Predicate, QueryShape, Snapshot, Statement, Table, TraceEvent


def finite_sum(values: Iterable[float]) -> float:
    """A sum of finite values that stays finite (absurd counters can add up past float's range)."""
    return min(float(sum(values)), sys.float_info.max)


def finite(value: Any) -> float:
    """A count or duration as a usable number: junk, NaN, infinities and negatives count as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) and value > 0 else 0.0


@dataclass
class Context:
    snapshot: Snapshot
    shapes: dict[str, QueryShape]
    evidence: dict[str, list[PlanEvidence]]
    total_time_ms: float
    rule_id: str = ""
    severity: str = "medium"
    thresholds: dict[str, Any] = field(default_factory=dict)
    _observed: dict = field(default_factory=dict, repr=False)
    _by_fingerprint: dict | None = field(default=None, repr=False)

    @classmethod
    def build(cls, snapshot: Snapshot) -> Context:
        shapes = {s.fingerprint: s for s in extract_shapes(snapshot)}
        sizes = table_sizes(snapshot.catalog)
        evidence = {s.fingerprint: statement_evidence(s, snapshot.catalog, sizes) for s in snapshot.statements}
        total = sum(finite(s.total_time_ms) for s in snapshot.statements)
        return cls(snapshot, shapes, evidence, total)

    @property
    def catalog(self):
        return self.snapshot.catalog

    def statements(self) -> list[tuple[Statement, QueryShape]]:
        """Each statement with its shape, parsed ones only."""
        return [(s, self.shapes[s.fingerprint]) for s in self.snapshot.statements
                if s.fingerprint in self.shapes and not self.shapes[s.fingerprint].parse_error]

    def share(self, statement: Statement) -> float:
        """The statement's share of the workload's total execution time (0..1)."""
        return finite(statement.total_time_ms) / self.total_time_ms if self.total_time_ms > 0 else 0.0

    def table(self, qualname: str | None) -> Table | None:
        return self.snapshot.catalog.table(qualname) if qualname else None

    def rows(self, qualname: str | None) -> float:
        table = self.table(qualname)
        return max(table.reltuples, float(table.n_live_tup)) if table else 0.0

    def observed(self, statement: Statement, predicate: Predicate, limit: int = 200) -> list[str]:
        """The values traces show for a predicate's parameter (event params, or literal log text)."""
        key = (statement.fingerprint, predicate.column, predicate.param)
        if key not in self._observed:
            self._observed[key] = self._find_observed(statement, predicate, limit)
        return self._observed[key]

    def _find_observed(self, statement: Statement, predicate: Predicate, limit: int) -> list[str]:
        from advisor.analyze.shapes import extract_shape

        values: list[str] = []
        for event in self._events().get(statement.fingerprint, [])[:limit]:
            if event.params and predicate.param and predicate.param <= len(event.params):
                values.append(str(event.params[predicate.param - 1]))
            elif event.query != statement.query:
                literal = extract_shape(event.query, self.catalog, event.fingerprint)
                values += [p.value for a in literal.tables for p in a.predicates
                           if p.column == predicate.column and p.op == predicate.op and p.value]
        return values

    def _events(self) -> dict[str, list[TraceEvent]]:
        if self._by_fingerprint is None:
            self._by_fingerprint = {}
            for trace in self.snapshot.traces:
                for event in trace.events:
                    self._by_fingerprint.setdefault(event.fingerprint, []).append(event)
        return self._by_fingerprint

    def threshold(self, name: str) -> Any:
        return self.thresholds[name]

    def finding(self, message: str, help: str, **kwargs: Any) -> Finding:
        return Finding(rule=self.rule_id, severity=self.severity, message=message, help=help, **kwargs)

    def workload_evidence(self, statements: list[Statement]) -> dict[str, Any]:
        """Calls, time and share of total time of a group of statements, for a finding."""
        total = float(sum(finite(s.total_time_ms) for s in statements))
        return {"calls": int(sum(finite(s.calls) for s in statements)), "total_time_ms": round(total, 3),
                "share_of_total_time": round(total / self.total_time_ms, 4) if self.total_time_ms else 0.0}
