"""Report rendering: ``advisor.emit.report.render_report`` for 100 and 1,000 statements."""

from __future__ import annotations

from functools import partial

from bench.report import SectionResult, format_duration, format_timing, repeat
from bench.synthetic import generate

SIZES = (100, 1000)
QUICK_SIZES = (50,)


def run(ctx) -> SectionResult:
    from advisor.analyze import analyze
    from advisor.emit.report import render_report
    from bench.bench_parse import _collect, _helpers

    snapshot_of, _clear = _helpers()
    rows = []
    for size in QUICK_SIZES if ctx.quick else SIZES:
        snapshot = snapshot_of(generate(size, seed=0))
        analysis = analyze(snapshot)
        pages = []
        samples = repeat(partial(_collect, pages, render_report, analysis, snapshot), ctx.repeats(5))
        rows.append({"statements": size, "findings": len(analysis.findings),
                     "render time": format_timing(samples),
                     "per statement": format_duration(sorted(samples)[len(samples) // 2] / size),
                     "HTML size": f"{len(pages[-1].encode()) / 1024:.0f} KiB"})
    return SectionResult("report", "", rows=rows,
                         notes=["analysis of bench.synthetic statements (no plans, no recommendations); "
                                "render_report(analysis, snapshot) only, analysis not timed."])
