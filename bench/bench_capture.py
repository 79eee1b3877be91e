"""Capture at scale: pg_stat_statements holding 1,000 / 2,500 / 5,000 distinct statements.

For each size, on one embedded server: reset pg_stat_statements, run that many synthetic
statements (``bench.synthetic``) on ShopEase's schema, then time ``advisor.capture.capture(dsn)``
(catalog, every row, EXPLAIN of every statement: the recommend stage compresses the workload, so
capture keeps it all). Target: <= 30 s at 5,000.
"""

from __future__ import annotations

import psycopg

from bench.report import SectionResult, format_duration, format_timing, repeat, summarize
from bench.synthetic import generate, schema_ddl

SIZES = (1000, 2500, 5000)
QUICK_SIZES = (200,)
TOP = None  # every statement: the recommend stage prices statements of one shape as one
TARGET_SECONDS = 30.0


def run(ctx) -> SectionResult:
    from advisor.capture import capture
    from advisor.embedded import EmbeddedPostgres

    sizes = QUICK_SIZES if ctx.quick else SIZES
    top = TOP
    rows, notes = [], []
    with EmbeddedPostgres() as pg:
        dsn = pg.create_database("bench_capture")
        notes.append(_build_schema(dsn))
        _fill(dsn, 100)
        capture(dsn, top=50)  # warm-up, untimed: first connections, catalog caches
        medians = {}
        for size in sizes:
            held = _fill(dsn, size)
            samples, snap = _measure(capture, dsn, top, ctx.repeats())
            planned = sum(1 for s in snap.statements if s.plan is not None)
            median = summarize(samples).median
            medians[held] = median
            rows.append({
                "statements in pg_stat_statements": held,
                "kept": len(snap.statements),
                "with a plan": planned,
                "capture time": format_timing(samples),
                "per statement held": format_duration(median / max(held, 1)),
                "target": f"<= {TARGET_SECONDS:.0f} s: {'met' if median <= TARGET_SECONDS else 'MISSED'}"
                          if size == max(SIZES) else "",
            })
    if len(medians) > 1:
        (small, t_small), (large, t_large) = min(medians.items()), max(medians.items())
        notes.append(f"growth: {format_duration((t_large - t_small) / (large - small))} per extra "
                     f"statement held ({small} -> {large}, medians); the rest is the fixed cost "
                     "of the catalog.")
    notes.append("statements: bench.synthetic.generate(N, seed=0), each executed once "
                 "(pg_stat_statements.max = 10000); capture(dsn): reads every row, keeps and plans "
                 "them all; statements without a plan are utility statements (the reset, ANALYZE) "
                 "or ones EXPLAIN refused.")
    return SectionResult("capture", "", rows=rows, notes=notes)


def _measure(capture, dsn: str, top: int, times: int):
    snapshots = []
    samples = repeat(lambda: snapshots.append(capture(dsn, top=top)), times)
    return samples, snapshots[-1]


def _build_schema(dsn: str) -> str:
    try:
        from app_under_test import schema
    except ImportError:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(schema_ddl())
        return "schema: bench.synthetic.schema_ddl() (app_under_test not importable), empty tables"
    schema.upgrade(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return "schema: ShopEase (app_under_test.schema.upgrade), empty tables"


def _fill(dsn: str, size: int) -> int:
    """Reset pg_stat_statements, run ``size`` distinct statements; the rows it then holds."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        for sql in generate(size, seed=0):
            conn.execute(sql)
        return conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()[0]
