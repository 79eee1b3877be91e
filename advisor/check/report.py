"""What a check found: changes, each with a kind, a severity and whether it fails the build."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.model import Serializable

# kind -> (title, what it means); the ids are the SARIF rule ids and JUnit failure types
KINDS = {
    "index-to-seq-scan": ("Index scan became a sequential scan",
                          "A table the baseline read through an index is now read in full."),
    "cost-increase": ("Planner cost increased", "The statement's planner cost grew beyond "
                      "the threshold."),
    "new-filter-scan": ("New statement scans a large table by filter",
                        "A statement not in the baseline reads a large table in full, "
                        "filtering row by row: it probably needs an index."),
    "n-plus-one": ("New N+1 pattern", "One statement now runs many times within one request."),
    "queries-per-request": ("More queries per request",
                            "A kind of request now runs more statements than in the baseline."),
    "mean-time-increase": ("Mean execution time increased",
                           "pg_stat_statements mean time grew beyond the threshold."),
    "plan-changed": ("Plan changed", "The plan shape changed without a cost regression."),
    "unstable-plan": ("Unstable plan", "The plan sits on a cost tie between two paths; its "
                      "changes are reported, not failed."),
    "new-statement": ("New statement", "A statement that the baseline does not have."),
    "missing-statement": ("Statement no longer seen", "A baseline statement that the workload "
                          "no longer runs."),
    "untraced": ("No traces to compare", "Queries per request need traces on both sides."),
}
LEVELS = ("note", "warning", "error", "critical")


@dataclass
class Change(Serializable):
    kind: str
    severity: str  # note, warning, error, critical
    message: str
    failing: bool = False
    statement: str | None = None  # fingerprint
    query: str | None = None
    request: str | None = None  # request label, for per-request changes
    evidence: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return KINDS[self.kind][0]

    @property
    def subject(self) -> str:
        return self.statement or f"request {self.request}"

    def sort_key(self) -> tuple:
        return (not self.failing, -LEVELS.index(self.severity), self.kind, self.statement or "",
                self.request or "")


@dataclass
class StatementResult(Serializable):
    fingerprint: str
    query: str
    status: str  # ok, regressed, changed, unstable, new, missing, unplanned
    cost_before: float | None = None
    cost_after: float | None = None


@dataclass
class CheckReport(Serializable):
    baseline: str = ""  # the baseline file, as given
    baseline_created_at: str = ""
    changes: list[Change] = field(default_factory=list)
    statements: list[StatementResult] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # request labels compared

    @property
    def failures(self) -> list[Change]:
        return [c for c in self.changes if c.failing]

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    def changes_for(self, statement: str | None = None, request: str | None = None) -> list[Change]:
        return [c for c in self.changes
                if (statement and c.statement == statement) or (request and c.request == request
                                                                and not c.statement)]

    def summary(self) -> str:
        n = len(self.failures)
        counts = {s: sum(1 for r in self.statements if r.status == s)
                  for s in ("new", "missing", "unstable")}
        extra = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        head = (f"{n} regression{'s' if n != 1 else ''}" if n else "no regressions")
        total = len(self.statements)
        return (f"{head} in {total} statement{'s' if total != 1 else ''}"
                + (f" ({extra})" if extra else ""))
