"""The whole story on an embedded PostgreSQL, in one call: what `make demo` runs.

Build ShopEase, run its workload with tracing, capture, analyze, write migrations into a working
copy of the app's Alembic history and the report into ``reports/``, validate on a scratch copy
(with the N+1 fix, the app's eager-loading flag, measured too), and prune from the migrations
the indexes that validation found useless. Everything happens on a throwaway
server that is stopped at the end, on an error and on Ctrl-C.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from advisor.demo_claims import claims
from advisor.embedded import EmbeddedPostgres
from advisor.emit.footprint import footprint
from advisor.model import Analysis
from advisor.validate import prune

N_PLUS_ONE = "n-plus-one"


@dataclass
class DemoSettings:
    scale: float = 1.0
    requests: int = 200  # per closed-loop run: throughput
    latency_requests: int = 600  # of each phase's open-loop run: ~20 samples of a 3 % endpoint
    trace_requests: int = 200
    repetitions: int = 3
    concurrency: int = 4
    out_dir: Path = Path("reports")


def run_demo(settings: DemoSettings, step: Callable[[str], None] = lambda s: None) -> dict:
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    with EmbeddedPostgres() as pg:
        dsn = pg.create_database("shopease")
        step(f"building ShopEase at scale {settings.scale}")
        rows = _build(dsn, settings.scale)
        step("running the workload with tracing")
        traces_path = _traced_workload(pg, dsn, settings)
        step("capturing and analysing")
        pipeline, analysis = _advise(pg, dsn, traces_path)
        step("writing migrations")
        migrations = shopease_migrations(settings.out_dir / "shopease-migrations")
        revisions = pipeline.write_migrations(analysis, migrations)
        step("validating on a scratch copy: before, after the indexes, and with eager loading")
        validation = _validate(dsn, migrations, analysis, settings, step)
        queries = {s.fingerprint: s.query for s in pipeline.snapshot.statements}
        validation["pruned"] = prune(analysis.plan, validation, migrations, queries) if analysis.plan else []
        report = pipeline.write_report(analysis, settings.out_dir / "advisor-report.html", validation)
        _write_json(settings.out_dir / "analysis.json", analysis.to_dict())
    summary = _summary(rows, analysis, revisions, validation, report, settings)
    _write_json(settings.out_dir / "summary.json", summary)
    return summary


def _build(dsn: str, scale: float) -> dict:
    from app_under_test import datagen, schema

    schema.upgrade(dsn)
    return datagen.generate(dsn, scale=scale, seed=42)


def _traced_workload(pg: EmbeddedPostgres, dsn: str, settings: DemoSettings) -> Path:
    """One lazy-loading run with the server log and the SQLAlchemy hook both tracing."""
    from advisor.trace import Tracer
    from app_under_test.driver import run_workload

    path = settings.out_dir / "demo-traces.jsonl"
    path.unlink(missing_ok=True)
    tracer = Tracer(path)
    _set_statement_logging(pg, on=True)
    try:
        _reset_pgss(dsn)
        run_workload(dsn, requests=settings.trace_requests, concurrency=settings.concurrency,
                     eager=False, warmup=0, before_request=tracer.before_request,
                     after_request=tracer.after_request, engine_hook=tracer.instrument)
    finally:
        tracer.close()
        _set_statement_logging(pg, on=False)
    return path


def _set_statement_logging(pg: EmbeddedPostgres, *, on: bool) -> None:
    with psycopg.connect(pg.dsn_for("postgres"), autocommit=True) as conn:
        value = "0" if on else "-1"
        conn.execute(f"ALTER DATABASE shopease SET log_min_duration_statement = {value}")


def _reset_pgss(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


def _advise(pg: EmbeddedPostgres, dsn: str, traces_path: Path):
    from advisor.pipeline import Pipeline

    pipeline = Pipeline.from_options(dsn=dsn, logs=[pg.log_path], app_traces=[traces_path])
    return pipeline, pipeline.analyze(recommend=True)


def shopease_migrations(target: Path) -> Path:
    """A working copy of ShopEase's Alembic project in ``target``, so the repo's own history
    stays clean; revisions written there chain onto the app's head."""
    import app_under_test

    app = Path(app_under_test.__file__).parent
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copytree(app / "migrations", target / "migrations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (target / "alembic.ini").write_text((app / "alembic.ini").read_text())
    return target


def _validate(dsn: str, migrations: Path, analysis: Analysis, settings: DemoSettings, step) -> dict:
    from advisor.validate import ShopeaseWorkload, validate

    sizes = {"requests": settings.requests, "latency_requests": settings.latency_requests,
             "concurrency": settings.concurrency}
    lazy, eager = ShopeaseWorkload(**sizes), ShopeaseWorkload(**sizes, eager=True)
    result = validate(dsn, migrations, lazy, plan=analysis.plan, repetitions=settings.repetitions,
                      also_after={"eager": eager}, on_step=step)
    after = {row["endpoint"]: row["after"] for row in result["endpoints"]}
    result["eager_loading"] = {"lazy": after, "eager": result["variants"]["eager"]}
    return result


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    tmp.replace(path)


def _summary(rows, analysis, revisions, validation, report, settings) -> dict:
    plan = analysis.plan
    n_plus_one = [f for f in analysis.findings if f.rule == N_PLUS_ONE]
    return {
        "scale": settings.scale,
        "rows": rows,
        "endpoints": validation.get("endpoints", []),
        "overall": validation.get("overall"),
        "open_loop_rate": validation.get("open_loop_rate"),
        "indexes_created": [r.name for r in plan.recommendations if r.action == "create"] if plan else [],
        "index_footprint": footprint(plan),
        "indexes_dropped": [r.name for r in plan.recommendations if r.action == "drop"] if plan else [],
        "pruned": validation.get("pruned", []),
        "recommendations": validation.get("recommendations", []),
        "n_plus_one": [{"message": f.message, "statements": f.statements, "evidence": f.evidence}
                       for f in n_plus_one],
        "eager_loading": validation["eager_loading"],
        "claims": claims(validation.get("endpoints", []), validation.get("overall"),
                         validation["eager_loading"]["eager"]),
        "migrations": [str(p) for p in revisions],
        "report": str(report),
        "summary_path": str(settings.out_dir / "summary.json"),
    }
