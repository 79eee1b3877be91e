"""Quality on ShopEase: does the advisor's advice pay, by the planner's estimate and by the clock?

One embedded server: build ShopEase at a bench scale, run its workload (lazy loading, as shipped),
capture + analyze + recommend (``advisor.pipeline.Pipeline``), write the Alembic migrations into
a working copy of the app's history, then ``advisor.validate.validate``: the workload before and
after the migrations on a scratch copy, medians of repeated runs, side by side. Then greedy
selection vs an exhaustive search over a small candidate set (the recommend engineer's code).
"""

from __future__ import annotations

import psycopg

from bench.report import SectionResult

SCALE, QUICK_SCALE = 0.25, 0.05
REQUESTS, QUICK_REQUESTS = 300, 80
REPETITIONS = 3
MAX_EXHAUSTIVE_CANDIDATES = 10


def run(ctx) -> SectionResult:
    from advisor.demo import shopease_migrations
    from advisor.embedded import EmbeddedPostgres
    from advisor.pipeline import Pipeline
    from advisor.validate import ShopeaseWorkload, validate
    from app_under_test import datagen, schema
    from app_under_test.driver import run_workload

    scale = QUICK_SCALE if ctx.quick else SCALE
    requests = QUICK_REQUESTS if ctx.quick else REQUESTS
    with EmbeddedPostgres() as pg:
        dsn = pg.create_database("shopease_bench")
        schema.upgrade(dsn)
        datagen.generate(dsn, scale=scale, seed=42)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ANALYZE")
            conn.execute("SELECT pg_stat_statements_reset()")
        run_workload(dsn, requests=requests, concurrency=4, eager=False, warmup=20)
        pipeline = Pipeline.from_options(dsn=dsn)
        analysis = pipeline.analyze(recommend=True)
        plan = analysis.plan
        migrations = shopease_migrations(ctx.data_dir / "quality")
        pipeline.write_migrations(analysis, migrations)
        result = validate(dsn, migrations, ShopeaseWorkload(requests=requests),
                          plan=plan, repetitions=ctx.repeats(REPETITIONS))
        greedy_rows = _greedy_vs_exhaustive(dsn, pipeline.snapshot, quick=ctx.quick)
    rows = _quality_rows(plan, result)
    notes = [f"ShopEase at scale {scale}, {requests} requests per run, concurrency 4, "
             f"{ctx.repeats(REPETITIONS)} measured runs per phase (validate: medians).",
             "estimated: the plan's weighted workload cost (HypoPG, planner units); measured: sum "
             "over statements of mean time x calls before, from pg_stat_statements."]
    markdown = ""
    if greedy_rows:
        from bench.report import markdown_table

        markdown = ("### Greedy selection vs exhaustive optimum (small candidate sets)\n\n"
                    + markdown_table(greedy_rows))
    return SectionResult("quality", "", rows=rows, notes=notes, markdown=markdown)


def _quality_rows(plan, result: dict) -> list[dict]:
    creates = [r for r in plan.recommendations if r.action == "create"] if plan else []
    rows = []
    if plan and plan.cost_before:
        gain = 1 - plan.cost_after / plan.cost_before
        rows.append({"figure": "estimated workload cost (planner units)",
                     "before": f"{plan.cost_before:,.0f}", "after": f"{plan.cost_after:,.0f}",
                     "ratio before/after": f"{plan.cost_before / max(plan.cost_after, 1e-9):.2f}×"})
        rows.append({"figure": "indexes proposed (create / drop)",
                     "before": "", "after": f"{len(creates)} / {len(plan.recommendations) - len(creates)}",
                     "ratio before/after": f"{gain * 100 / max(len(creates), 1):.1f} % of estimated "
                                           "cost saved per index"})
    statements = result.get("statements", [])
    before = sum(s["before"]["mean_ms"] * s["before"]["calls"] for s in statements)
    after = sum(s["after"]["mean_ms"] * s["before"]["calls"] for s in statements)
    if before and after:
        rows.append({"figure": "measured workload time (ms, same calls)", "before": f"{before:,.1f}",
                     "after": f"{after:,.1f}", "ratio before/after": f"{before / after:.2f}×"})
    overall = result.get("overall")
    if overall:
        from advisor.validate import comparable_p95, p95_label

        rows.append({"figure": f"overall {p95_label(result)}",
                     "before": f"{comparable_p95(overall['before']):.1f}",
                     "after": f"{comparable_p95(overall['after']):.1f}",
                     "ratio before/after": f"{overall['p95_speedup']:.2f}×"})
        rows.append({"figure": "throughput (requests/s)", "before": f"{overall['before']['rps']:.1f}",
                     "after": f"{overall['after']['rps']:.1f}",
                     "ratio before/after": f"{overall['throughput_ratio']:.2f}× more (after/before)"})
    helped = [r for r in result.get("recommendations", []) if r["helps"]]
    rows.append({"figure": "created indexes that helped (used, >= 1.2x faster)",
                 "before": "", "after": f"{len(helped)} of {len(result.get('recommendations', []))}",
                 "ratio before/after": ""})
    return rows


def _greedy_vs_exhaustive(dsn: str, snapshot, quick: bool) -> list[dict]:
    from advisor.analyze.shapes import extract_shapes
    from advisor.recommend import RecommendSettings
    from advisor.recommend.optimum import exhaustive
    from advisor.recommend.plan import workload
    from advisor.recommend.select import Evaluator, Limits, select
    from advisor.recommend.whatif import WhatIf

    items, candidates = workload(snapshot, extract_shapes(snapshot), RecommendSettings(max_width=2))
    per_table: dict[str, list] = {}
    for c in candidates:
        if c.method == "btree":
            per_table.setdefault(c.table, []).append(c)
    chosen = [c for group in per_table.values() for c in group[:3]][:MAX_EXHAUSTIVE_CANDIDATES - 2 * quick]
    budgets = [{"max_indexes": 2}, {"max_indexes": 4}, {"bytes_share": 0.25}, {"bytes_share": 0.5}]
    rows = []
    with WhatIf.open(dsn) as w:
        ev = Evaluator(w, items)
        total_bytes = sum(ev.size(c) for c in chosen)
        for budget in budgets[:2] if quick else budgets:
            share = budget.get("bytes_share")
            limits = Limits(max_indexes=budget.get("max_indexes"), min_improvement=0.0, max_width=1,
                            max_bytes=int(total_bytes * share) if share else None)
            greedy = select(ev, chosen, limits)
            optimum, best = exhaustive(ev, chosen, limits)
            rows.append({"budget": f"{budget['max_indexes']} indexes" if "max_indexes" in budget
                         else f"{share:.0%} of all candidates' bytes",
                         "candidates": len(chosen), "statements": len(items),
                         "no-index cost": f"{greedy.cost_before:,.0f}",
                         "greedy cost": f"{greedy.cost_after:,.0f} ({len(greedy.chosen)} idx)",
                         "exhaustive optimum": f"{optimum:,.0f} ({len(best)} idx)",
                         "greedy / optimum": f"{greedy.cost_after / optimum:.3f}"})
    return rows
