"""Prove the gain: run the workload before and after the migrations, on a scratch copy.

    >>> result = validate(dsn, Path("migrations"), ShopeaseWorkload(requests=400))  # doctest: +SKIP
    >>> result["overall"]["throughput_ratio"]                                      # doctest: +SKIP

This module WRITES: it creates a scratch database (``CREATE DATABASE ... TEMPLATE``), applies
migrations to it and drops it at the end — even on an error or Ctrl-C. ``in_place=True`` runs on
the given database itself, only when asked for explicitly.

Figures that survive noise: both phases run in one process, each as a warm-up then
``repetitions`` measured runs; per-statement figures come from pg_stat_statements (reset before
each run, calls and shared buffers per call next to time), per-endpoint ones from the driver, and
each figure is the median over the repetitions.

Latency at the same offered load: the repetitions are closed loop (each client sends its next
request as soon as the last is answered), which measures what the app sustains but not what a
user waits: once the app is faster, the clients just send more, the server saturates again and
latency becomes queueing. So a workload that can also runs open loop, once per phase, at one
fixed arrival rate for every phase (``LATENCY_LOAD`` of the throughput measured before, unless
given), with latency counted from each request's scheduled arrival; those figures are the
``load_*`` ones, and the p95 speed-up compares them.
"""

from __future__ import annotations

import os
import shlex
import statistics
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

from advisor.db import with_dbname
from advisor.errors import AdvisorError
from advisor.fingerprint import fingerprint
from advisor.model import Plan

MIN_HELPFUL_SPEEDUP = 1.2  # a recommendation whose statements got less than this faster "did not help"
LATENCY_LOAD = 0.6  # open-loop arrival rate, as a share of the throughput before the migrations
LOAD_FIGURES = ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "mean_sql_ms", "requests")


# ---------------------------------------------------------------------------------------------
# Workloads
# ---------------------------------------------------------------------------------------------


@dataclass
class ShopeaseWorkload:
    """The bundled ShopEase driver: per-endpoint latency and queries per request."""

    requests: int = 600
    concurrency: int = 4
    eager: bool = False
    warmup: int = 30
    seed: int = 7
    latency_requests: int | None = None  # of the open-loop run; ``requests`` if None

    name = "shopease"
    open_loop = True

    def run(self, dsn: str, rate: float | None = None) -> dict | None:
        """Closed loop; open loop at ``rate`` requests per second when given."""
        from app_under_test.driver import run_workload

        requests = (self.latency_requests or self.requests) if rate else self.requests
        result = run_workload(dsn, requests=requests, concurrency=self.concurrency,
                              eager=self.eager, warmup=self.warmup, seed=self.seed, rate=rate)
        return result.to_dict()

    def warm_up(self, dsn: str) -> None:
        """Each run warms up on its own (the driver's unmeasured first requests)."""


@dataclass
class CommandWorkload:
    """Any command; ``{dsn}`` in it (and $DATABASE_URL) point at the database under test."""

    command: str

    @property
    def name(self) -> str:
        return self.command

    open_loop = False

    def run(self, dsn: str, rate: float | None = None) -> dict | None:
        env = {**os.environ, "DATABASE_URL": dsn, "ADVISOR_DSN": dsn}
        args = shlex.split(self.command.replace("{dsn}", shlex.quote(dsn)))
        if not args:
            raise AdvisorError("empty workload command")
        try:
            done = subprocess.run(args, env=env, capture_output=True, text=True)
        except OSError as exc:
            raise AdvisorError(f"workload command cannot start: {exc.strerror}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise AdvisorError(f"workload command failed (exit {done.returncode}): {last}")
        return None

    def warm_up(self, dsn: str) -> None:
        self.run(dsn)


def workload_from_option(value: str, *, requests: int, concurrency: int) -> ShopeaseWorkload | CommandWorkload:
    if value == "shopease":
        return ShopeaseWorkload(requests=requests, concurrency=concurrency)
    return CommandWorkload(value)


# ---------------------------------------------------------------------------------------------
# Scratch copy
# ---------------------------------------------------------------------------------------------


def _admin_dsn(dsn: str) -> tuple[str, str]:
    params = conninfo.conninfo_to_dict(dsn)
    source = params.get("dbname") or params.get("user") or "postgres"
    return with_dbname(dsn, "postgres"), source


@contextmanager
def scratch_copy(dsn: str) -> Iterator[str]:
    """A copy of the database (CREATE DATABASE ... TEMPLATE), dropped on the way out."""
    admin, source = _admin_dsn(dsn)
    name = f"advisor_scratch_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, application_name="advisor") as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(source)))
    except psycopg.errors.ObjectInUse:
        raise AdvisorError(
            f"cannot copy database {source!r}: other sessions are connected to it "
            "(CREATE DATABASE ... TEMPLATE needs it idle); stop them or use --in-place") from None
    except psycopg.errors.InsufficientPrivilege:
        raise AdvisorError("cannot create a scratch copy: the role lacks CREATEDB") from None
    except psycopg.Error as exc:
        raise AdvisorError(f"cannot create a scratch copy: {str(exc).strip().splitlines()[0]}") from None
    try:
        yield with_dbname(dsn, name)
    finally:
        with psycopg.connect(admin, autocommit=True, application_name="advisor") as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def _reset_stats(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, application_name="advisor") as conn:
        try:
            conn.execute("SELECT pg_stat_statements_reset()")
            conn.execute("SELECT pg_stat_reset()")
        except psycopg.errors.InsufficientPrivilege as exc:
            raise AdvisorError(
                f"validate resets the statistics of the copy between runs, but this role may not "
                f"({str(exc).strip().splitlines()[0]}): run it as a superuser or GRANT EXECUTE "
                "ON FUNCTION pg_stat_statements_reset, pg_stat_reset TO the role") from None


_PGSS = """
SELECT s.query, s.calls, s.total_exec_time,
       s.shared_blks_hit + s.shared_blks_read AS blks
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = current_database() AND s.calls > 0
"""
_SKIP = ("pg_stat", "pg_catalog", "alembic_version", "begin", "commit", "rollback", "set ",
         "show ", "select pg_")


def _statement_stats(dsn: str) -> dict[str, dict]:
    with psycopg.connect(dsn, autocommit=True, application_name="advisor") as conn:
        rows = conn.execute(_PGSS).fetchall()
    stats: dict[str, dict] = {}
    for query, calls, total, blks in rows:
        low = query.lower().lstrip()
        if any(low.startswith(s) or s in low[:60] for s in _SKIP):
            continue
        key = fingerprint(query)
        entry = stats.setdefault(key, {"query": query, "calls": 0, "total_ms": 0.0, "blks": 0})
        entry["calls"] += calls
        entry["total_ms"] += total
        entry["blks"] += blks
    for entry in stats.values():
        entry["mean_ms"] = entry["total_ms"] / entry["calls"]
        entry["blks_per_call"] = entry["blks"] / entry["calls"]
    return stats


def _phase(dsn: str, workload, repetitions: int, tick: Callable[[str], None],
           rate: Callable[[list[dict]], float | None] = lambda runs: None) -> dict:
    """``repetitions`` closed-loop runs, then one open-loop run at ``rate(runs)`` if any."""
    tick("warm-up")
    workload.warm_up(dsn)
    runs = []
    for i in range(repetitions):
        tick(f"run {i + 1}/{repetitions}")
        _reset_stats(dsn)
        endpoints = workload.run(dsn)
        runs.append({"endpoints": endpoints, "statements": _statement_stats(dsn)})
    index_scans = _index_scans(dsn)
    arrivals = rate(runs) if workload.open_loop else None
    load = None
    if arrivals:
        tick(f"open loop at {arrivals:.1f} requests/s")
        load = workload.run(dsn, rate=arrivals)
    return {"runs": runs, "index_scans": index_scans, "load": load, "rate": arrivals}


def _index_scans(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn, autocommit=True, application_name="advisor") as conn:
        rows = conn.execute("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes").fetchall()
    return {name: scans for name, scans in rows}


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _median_statements(runs: list[dict]) -> dict[str, dict]:
    keys = {k for run in runs for k in run["statements"]}
    merged = {}
    for key in keys:
        present = [run["statements"][key] for run in runs if key in run["statements"]]
        merged[key] = {
            "query": present[0]["query"],
            "calls": _median([p["calls"] for p in present]),
            "mean_ms": _median([p["mean_ms"] for p in present]),
            "blks_per_call": _median([p["blks_per_call"] for p in present]),
        }
    return merged


_ENDPOINT_FIGURES = ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "mean_queries", "max_queries",
                     "mean_sql_ms", "requests")


def _median_endpoints(phase: dict) -> dict[str, dict]:
    """Endpoint -> the medians of the closed-loop runs, and the open-loop run's ``load_*``."""
    per_run = [run["endpoints"] for run in phase["runs"] if run["endpoints"]]
    if not per_run:
        return {}
    names = {name for r in per_run for name in r.get("endpoints", {})} | {"overall"}
    merged = {}
    for name in names:
        rows = [row for row in (_endpoint(r, name) for r in per_run) if row]
        merged[name] = {f: _median([row.get(f) for row in rows]) for f in _ENDPOINT_FIGURES}
        load = _endpoint(phase.get("load"), name)
        if load:
            merged[name].update({f"load_{f}": load.get(f) for f in LOAD_FIGURES})
    return merged


def _endpoint(run: dict | None, name: str) -> dict | None:
    if not run:
        return None
    return run.get("overall") if name == "overall" else run.get("endpoints", {}).get(name)


def _before_rate(share: float) -> Callable[[list[dict]], float | None]:
    """The open-loop rate: ``share`` of the median closed-loop throughput of these runs."""
    def rate(runs: list[dict]) -> float | None:
        rps = _median([(run["endpoints"] or {}).get("overall", {}).get("rps") for run in runs])
        return round(share * rps, 2) if rps else None
    return rate


def p95_label(result: dict) -> str:
    """What the p95 figures of ``result`` are: at which offered load, or saturated."""
    rate = result.get("open_loop_rate")
    return f"p95 ms at {rate:g} requests/s" if rate else "p95 ms (closed loop)"


def comparable_p95(figures: dict) -> float | None:
    """The p95 the speed-ups compare: at the same offered load when measured, else closed loop."""
    return at_load(figures, "p95_ms")


def at_load(figures: dict, name: str) -> float | None:
    """Figure ``name`` from the open-loop run when there was one, else the closed-loop median."""
    return figures.get(f"load_{name}") or figures.get(name)


def _ratio(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or after <= 0:
        return None
    return before / after


# ---------------------------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------------------------


def compare(before: dict, after: dict, plan: Plan | None) -> dict:
    """The validation document: per endpoint, per statement, per recommendation."""
    eb, ea = _median_endpoints(before), _median_endpoints(after)
    endpoints = []
    for name in sorted(set(eb) | set(ea)):
        if name == "overall":
            continue
        b, a = eb.get(name, {}), ea.get(name, {})
        endpoints.append({"endpoint": name, "before": b, "after": a,
                          "p95_speedup": _ratio(comparable_p95(b), comparable_p95(a))})
    sb, sa = _median_statements(before["runs"]), _median_statements(after["runs"])
    statements = []
    for key in sorted(set(sb) & set(sa), key=lambda k: -(sb[k]["mean_ms"] * sb[k]["calls"])):
        statements.append({"statement": key, "query": sb[key]["query"],
                           "before": sb[key], "after": sa[key],
                           "speedup": _ratio(sb[key]["mean_ms"], sa[key]["mean_ms"]),
                           "buffers_ratio": _ratio(sb[key]["blks_per_call"], sa[key]["blks_per_call"])})
    overall = None
    if "overall" in eb and "overall" in ea:
        overall = {"before": eb["overall"], "after": ea["overall"],
                   "throughput_ratio": _ratio(ea["overall"]["rps"], eb["overall"]["rps"]),
                   "p95_speedup": _ratio(comparable_p95(eb["overall"]), comparable_p95(ea["overall"]))}
    return {"endpoints": endpoints, "overall": overall, "statements": statements,
            "recommendations": _judge(plan, statements, after["index_scans"])}


def _judge(plan: Plan | None, statements: list[dict], index_scans: dict[str, int]) -> list[dict]:
    if plan is None:
        return []
    by_key = {s["statement"]: s for s in statements}
    verdicts = []
    for rec in plan.recommendations:
        if rec.action != "create":
            continue
        served = [by_key[g.statement] for g in rec.statements if g.statement in by_key]
        before = sum(s["before"]["mean_ms"] * s["before"]["calls"] for s in served)
        after = sum(s["after"]["mean_ms"] * s["before"]["calls"] for s in served)
        est_before = sum(g.cost_before * g.calls for g in rec.statements)
        est_after = sum(g.cost_after * g.calls for g in rec.statements)
        scans = index_scans.get(rec.name, 0)
        measured = _ratio(before, after)
        helps = scans > 0 and (measured is None or measured >= MIN_HELPFUL_SPEEDUP)
        slower = [s["statement"] for s in served if (s["speedup"] or 1) < 1 / MIN_HELPFUL_SPEEDUP]
        if scans == 0:
            verdict = "not used by any plan during the workload"
        elif not helps:
            verdict = f"used, but its statements got only {measured:.2f}x faster"
        elif slower:
            verdict = (f"helps overall ({measured:.1f}x), but {len(slower)} statement(s) it was "
                       f"meant to serve got slower: {', '.join(slower)}")
        else:
            verdict = "helps"
        verdicts.append({"name": rec.name, "table": rec.table, "idx_scan": scans,
                         "estimated_speedup": _ratio(est_before, est_after),
                         "measured_speedup": measured, "statements_measured": len(served),
                         "slower_statements": slower, "helps": helps, "verdict": verdict})
    return verdicts


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def apply_migrations(dsn: str, directory: Path) -> None:
    """``alembic upgrade head`` for the project at ``directory`` against ``dsn``, in a child
    process, through the project's own env.py (given ``-x dsn=`` and ``DATABASE_URL``)."""
    from advisor.emit.alembic_project import find_project

    project = find_project(Path(directory))
    if project is None:
        raise AdvisorError(f"{directory} is not an Alembic project")
    argv, cwd = project.upgrade_command(dsn)
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": dsn})
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise AdvisorError(f"alembic upgrade failed: {last}")


def validate(dsn: str, migrations: Path, workload, *, plan: Plan | None = None,
             repetitions: int = 3, in_place: bool = False, rate: float | None = None,
             also_after: dict | None = None,
             on_step: Callable[[str], None] | None = None) -> dict:
    """Run ``workload`` before and after applying ``migrations``; the comparison document.

    ``rate`` is the open-loop arrival rate (requests per second) of every phase; by default
    ``LATENCY_LOAD`` of the throughput measured before. ``also_after`` names other workloads
    (e.g. the app with an N+1 fix switched on) measured the same way after the migrations; their
    per-endpoint medians land in ``result["variants"]``.
    """
    tick = on_step or (lambda _step: None)
    target = _in_place(dsn) if in_place else scratch_copy(dsn)
    variants = {}
    with target as where:
        before = _phase(where, workload, repetitions, lambda s: tick(f"before: {s}"),
                        (lambda runs: rate) if rate else _before_rate(LATENCY_LOAD))
        tick("applying migrations")
        apply_migrations(where, migrations)
        def same(_runs: list[dict]) -> float | None:  # every phase at the rate before had
            return before["rate"]

        after = _phase(where, workload, repetitions, lambda s: tick(f"after: {s}"), same)
        for name, other in (also_after or {}).items():
            runs = _phase(where, other, repetitions, lambda s, n=name: tick(f"after, {n}: {s}"), same)
            variants[name] = _median_endpoints(runs)
    result = compare(before, after, plan)
    result["variants"] = variants
    result.update({"workload": workload.name, "repetitions": repetitions,
                   "scratch_copy": not in_place, "open_loop_rate": before["rate"]})
    return result


@contextmanager
def _in_place(dsn: str) -> Iterator[str]:
    yield dsn


def prune(plan: Plan, result: dict, migrations: Path, queries: dict[str, str] | None = None) -> list[str]:
    """Take the indexes that did not help out of advisor's revisions in ``migrations``; their names.

    ``queries`` (fingerprint -> SQL) keep the statements quoted in a revision written again."""
    from advisor.emit.migrations import remove_index_revisions

    useless = [r["name"] for r in result["recommendations"] if not r["helps"]]
    if useless:
        remove_index_revisions(migrations, useless, plan, queries)
    return useless
