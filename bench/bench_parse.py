"""Analysis at scale: ``advisor.analyze.analyze`` (parse + shapes + rules) vs a bare parse.

For 1,000 / 5,000 / 20,000 distinct synthetic statements (``bench.synthetic``), each run times
``sqlglot.parse_one`` of every statement and then ``analyze(snapshot)`` of the same statements
with the analyzer's caches cleared, side by side; the ratio is taken per run. The catalog is
the analyze engineer's bench catalog (``bench.bench_analyze.snapshot_of``) when present.
"""

from __future__ import annotations

from functools import partial

import sqlglot

from bench.report import SectionResult, format_duration, format_ratio, format_timing, repeat
from bench.synthetic import generate

SIZES = (1000, 5000, 20000)
QUICK_SIZES = (200,)
REPEATS = {1000: 5, 5000: 5, 20000: 3}  # more runs where they are cheap: the machine is shared
WARMUP_STATEMENTS = 200


def run(ctx) -> SectionResult:
    from advisor.analyze import analyze

    snapshot_of, clear = _helpers()
    warmup = generate(WARMUP_STATEMENTS, seed=99)
    _parse_all(warmup)
    analyze(snapshot_of(warmup))  # imports and first-call costs stay out of the figures
    rows = []
    for size in QUICK_SIZES if ctx.quick else SIZES:
        queries = generate(size, seed=0)
        snapshot = snapshot_of(queries)
        bare, ours, ratios, findings = [], [], [], []
        for _ in range(ctx.repeats(REPEATS.get(size, 3))):
            (b,) = repeat(partial(_parse_all, queries), 1)
            clear()
            (o,) = repeat(partial(_collect, findings, analyze, snapshot), 1)
            bare.append(b)
            ours.append(o)
            ratios.append(o / b)
        analysis = findings[-1]
        rows.append({
            "statements": size,
            "bare sqlglot.parse_one": format_timing(bare),
            "analyze (parse + rules)": format_timing(ours),
            "ratio analyze / parse": format_ratio(ratios),
            "analyze per statement": format_duration(sorted(ours)[len(ours) // 2] / size),
            "findings": len(analysis.findings),
            "unparsed": len(analysis.unparsed),
        })
    notes = ["statements: bench.synthetic.generate(N, seed=0), all distinct fingerprints; "
             "parse then analyze in each run (caches cleared before analyze), the ratio taken per "
             f"run; one untimed warm-up of {WARMUP_STATEMENTS} other statements first."]
    return SectionResult("analysis", "", rows=rows, notes=notes)


def _parse_all(queries: list[str]) -> None:
    for query in queries:
        sqlglot.parse_one(query, read="postgres")


def _collect(into: list, fn, *args) -> None:
    into.append(fn(*args))


def _helpers():
    try:
        from bench.bench_analyze import _clear, snapshot_of
    except ImportError:
        from advisor.model import Snapshot, Statement
        from bench.synthetic import catalog

        def snapshot_of(queries):
            return Snapshot(database="bench", catalog=catalog(),
                            statements=[Statement(q, calls=100) for q in queries])

        return snapshot_of, lambda: None
    return snapshot_of, _clear
