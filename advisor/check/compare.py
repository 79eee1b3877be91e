"""Compare the workload now with its baseline: the recipe of the check.

    >>> from advisor.check.baseline import Baseline, StatementRecord
    >>> from advisor.check.shape import Access, Shape
    >>> def rec(scan, cost):
    ...     return StatementRecord("f1", "SELECT * FROM t WHERE a = $1", shape=Shape(
    ...         [Access("public.t", scan, "t_a_idx" if scan == "index" else None)], [], cost))
    >>> before = Baseline(tables={"public.t": 50000}, statements=[rec("index", 8.3)])
    >>> now = Baseline(tables={"public.t": 50000}, statements=[rec("seq", 900.0)])
    >>> [(c.kind, c.severity, c.failing) for c in compare(before, now).changes]
    [('index-to-seq-scan', 'critical', True), ('cost-increase', 'error', True)]
"""

from __future__ import annotations

import math

from advisor.check.baseline import Baseline, RequestRecord, StatementRecord
from advisor.check.report import Change, CheckReport, StatementResult
from advisor.check.settings import CheckSettings


def compare(baseline: Baseline, current: Baseline, settings: CheckSettings | None = None,
            *, baseline_name: str = "") -> CheckReport:
    """Every change between ``baseline`` and ``current``, sorted; failing ones are regressions."""
    settings = settings or CheckSettings()
    tables = {**baseline.tables, **current.tables}
    report = CheckReport(baseline=baseline_name, baseline_created_at=baseline.created_at)
    fingerprints = sorted({s.fingerprint for s in baseline.statements} |
                          {s.fingerprint for s in current.statements})
    for fp in fingerprints:
        before, now = baseline.statement(fp), current.statement(fp)
        changes = _statement_changes(before, now, tables, settings,
                                     timings=baseline.timings and current.timings)
        report.changes += changes
        report.statements.append(_result(before, now, changes))
    report.changes += _request_changes(baseline, current, settings)
    report.requests = sorted({r.label for r in baseline.requests + current.requests})
    report.changes.sort(key=Change.sort_key)
    return report


def _statement_changes(before: StatementRecord | None, now: StatementRecord | None,
                       tables: dict[str, float], settings: CheckSettings,
                       timings: bool) -> list[Change]:
    if before is None:
        return _new_statement(now, tables, settings)
    if now is None:
        return [Change("missing-statement", "warning" if settings.fail_on_missing else "note",
                       "the workload no longer runs this statement",
                       failing=settings.fail_on_missing, statement=before.fingerprint,
                       query=before.query)]
    changes = _plan_changes(before, now, tables, settings)
    if timings:
        changes += _timing_changes(before, now, settings)
    return changes


def _new_statement(now: StatementRecord, tables: dict[str, float],
                   settings: CheckSettings) -> list[Change]:
    changes = [Change("new-statement", "warning" if settings.fail_on_new else "note",
                      "a statement the baseline does not have", failing=settings.fail_on_new,
                      statement=now.fingerprint, query=now.query)]
    for access in (now.shape.accesses if now.shape else []):
        rows = tables.get(access.relation, 0.0)
        if access.scan == "seq" and access.filtered and rows >= settings.large_table_rows:
            changes.append(Change(
                "new-filter-scan", "warning" if now.unstable else "error",
                f"new statement reads {access.relation} ({rows:,.0f} rows) with a sequential "
                f"scan and a row-by-row filter"
                + (f" (unstable plan: {now.unstable})" if now.unstable else ""),
                failing=not now.unstable,
                statement=now.fingerprint, query=now.query,
                evidence={"table": access.relation, "rows": rows, "cost": now.shape.cost}))
    return changes


def _plan_changes(before: StatementRecord, now: StatementRecord, tables: dict[str, float],
                  settings: CheckSettings) -> list[Change]:
    if not before.shape or not now.shape:
        return []
    unstable = before.unstable or now.unstable
    changes: list[Change] = []

    def add(kind, severity, message, **evidence):
        fails = severity in ("error", "critical") and not unstable
        changes.append(Change(kind, severity if fails or not unstable else "warning",
                              message + (f" (unstable plan: {unstable})" if unstable and
                                         severity in ("error", "critical") else ""),
                              failing=fails, statement=now.fingerprint, query=now.query,
                              evidence=evidence))

    for old in before.shape.accesses:
        new = now.shape.access(old.table)
        if new and old.uses_index and new.scan == "seq":
            rows = tables.get(old.relation, 0.0)
            large = rows >= settings.large_table_rows
            add("index-to-seq-scan", "critical" if large else "warning",
                f"{old.table}: {old.describe()} -> {new.describe()} ({rows:,.0f} rows"
                + ("" if large else f", under the {settings.large_table_rows:,} rows of a "
                   "large table") + ")", table=old.relation, rows=rows,
                before=old.describe(), after=new.describe())
    cost_before, cost_after = before.shape.cost, now.shape.cost
    limit = cost_before * (1 + settings.cost_increase_pct / 100)
    if cost_after > limit and max(cost_before, cost_after) >= settings.min_cost:
        pct = (cost_after / cost_before - 1) * 100 if cost_before else math.inf
        add("cost-increase", "error",
            f"planner cost {cost_before:,.2f} -> {cost_after:,.2f} (+{pct:,.0f}%, threshold "
            f"{settings.cost_increase_pct:g}%)", before=cost_before, after=cost_after)
    if not changes and before.shape.signature() != now.shape.signature():
        add("plan-changed", "note", _describe_change(before, now))
    if unstable and not changes:
        changes.append(Change("unstable-plan", "note", unstable, statement=now.fingerprint,
                              query=now.query))
    return changes


def _describe_change(before: StatementRecord, now: StatementRecord) -> str:
    old = {a.table: a.describe() for a in before.shape.accesses}
    new = {a.table: a.describe() for a in now.shape.accesses}
    parts = [f"{t}: {old.get(t, 'absent')} -> {new.get(t, 'absent')}"
             for t in sorted(old.keys() | new.keys()) if old.get(t) != new.get(t)]
    if before.shape.joins != now.shape.joins:
        parts.append(f"joins {', '.join(before.shape.joins) or 'none'} -> "
                     f"{', '.join(now.shape.joins) or 'none'}")
    return "; ".join(parts) or "plan shape changed"


def _timing_changes(before: StatementRecord, now: StatementRecord,
                    settings: CheckSettings) -> list[Change]:
    if before.mean_time_ms is None or now.mean_time_ms is None:
        return []
    calls = min(before.calls or 0, now.calls or 0)
    if calls < settings.min_calls:
        return []
    growth = now.mean_time_ms - before.mean_time_ms
    noise = 2 * max(before.stddev_time_ms or 0, now.stddev_time_ms or 0) / math.sqrt(calls)
    if growth <= max(settings.min_time_increase_ms, noise) or \
            now.mean_time_ms <= before.mean_time_ms * (1 + settings.mean_time_increase_pct / 100):
        return []
    return [Change("mean-time-increase", "error",
                   f"mean time {before.mean_time_ms:.2f} ms -> {now.mean_time_ms:.2f} ms over "
                   f"{calls}+ calls (threshold {settings.mean_time_increase_pct:g}%)",
                   failing=True, statement=now.fingerprint, query=now.query,
                   evidence={"before_ms": before.mean_time_ms, "after_ms": now.mean_time_ms,
                             "calls": calls})]


def _request_changes(baseline: Baseline, current: Baseline,
                     settings: CheckSettings) -> list[Change]:
    if not current.requests:
        return []
    if not baseline.traced:
        return [Change("untraced", "warning", "the check has traces but the baseline has none: "
                       "write the baseline with --log or --trace to compare queries per request",
                       request="*")]
    changes: list[Change] = []
    for now in current.requests:
        changes += _one_request(baseline.request(now.label), now, settings)
    return changes


def _one_request(before: RequestRecord | None, now: RequestRecord,
                 settings: CheckSettings) -> list[Change]:
    changes = []
    old_patterns = set(before.n_plus_one) if before else set()
    for fp, times in now.n_plus_one.items():
        if fp not in old_patterns:
            changes.append(Change(
                "n-plus-one", "error",
                f"{now.label}: one statement runs {times} times in one request"
                + (" (new kind of request)" if before is None else ""),
                failing=True, statement=fp, query=now.queries.get(fp), request=now.label,
                evidence={"repeats": times,
                          "before": before.repeats.get(fp, 0) if before else None}))
    if before and now.max_queries > before.max_queries + settings.extra_queries_per_request and \
            now.max_queries > before.max_queries * (1 + settings.queries_per_request_pct / 100):
        changes.append(Change(
            "queries-per-request", "error",
            f"{now.label}: up to {now.max_queries} queries per request, was "
            f"{before.max_queries} (mean {before.mean_queries:g} -> {now.mean_queries:g})",
            failing=True, request=now.label,
            evidence={"before": before.max_queries, "after": now.max_queries}))
    return changes


def _result(before: StatementRecord | None, now: StatementRecord | None,
            changes: list[Change]) -> StatementResult:
    record = now or before
    if before is None:
        status = "new"
    elif now is None:
        status = "missing"
    elif any(c.failing for c in changes):
        status = "regressed"
    elif before.unstable or now.unstable:
        status = "unstable"
    elif not now.shape:
        status = "unplanned"
    else:
        status = "changed" if changes else "ok"
    return StatementResult(record.fingerprint, record.query, status,
                           before.shape.cost if before and before.shape else None,
                           now.shape.cost if now and now.shape else None)
