"""Scaling: `advisor analyze --queries` over 1k, 5k and 10k distinct statements, next to the floor.

    python -m bench.bench_scale                       # 1000 5000 10000, quality at 1000
    python -m bench.bench_scale --sizes 200 --scale 0.1

One embedded server holds ``bench.scale_workload``'s help-desk database (about 2M rows at scale
1), in the state the TPC-H reference prescribes (CHECKPOINT, VACUUM, ANALYZE), without
pg_stat_statements so the workload is the SQL file alone. For each size N, in fresh child
processes (their peak RSS is the memory figure) and one after the other:

- the floor: ``sqlglot.parse_one`` of each statement, then one EXPLAIN of each on one connection
  (its generic plan for a ``$n`` statement: PREPARE, EXPLAIN EXECUTE, DEALLOCATE);
- the advisor: ``Pipeline.from_options(dsn, queries=[file])`` then ``analyze(recommend=True)``,
  as `advisor analyze --dsn ... --queries FILE` does, with the default settings.

Each child imports its modules before its clock starts.

The machine is shared: the advisor runs ``--repeat`` times (3), each between two floor runs, and
the medians of both are compared (each run's figures are printed too).

Quality (at the first size): the selection with workload compression and without, each chosen
set then priced over every statement alone (weight x planner cost with all chosen indexes).
Targets: N=5000 within 5x its floor, time per statement at 5000 at most 1.5x that at 1000, peak
memory under 1 GB at 10000, compressed within 2 % of uncompressed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (1000, 5000, 10000)
REPEAT = 3  # advisor runs per size (the median is reported), each between two floor runs
QUICK_SIZES = (200, 500)
SEED = 0
TARGET_FLOOR_RATIO, TARGET_FLAT, TARGET_MEMORY_MB, TARGET_QUALITY = 5.0, 1.5, 1024, 0.02


def run(sizes=SIZES, scale: float = 1.0, quality: bool = True, repeat: int = REPEAT) -> dict:
    """Load the database, then measure each size; the figures as a dict."""
    from advisor.embedded import EmbeddedPostgres
    from bench.scale_workload import generate, write_queries

    with EmbeddedPostgres() as pg, tempfile.TemporaryDirectory(prefix="advisor-scale-") as tmp:
        dsn = pg.create_database("scale")
        started = time.monotonic()
        load(dsn, scale)
        result = {"load_s": round(time.monotonic() - started, 1), "scale": scale, "sizes": []}
        for n in sizes:
            path = Path(tmp) / f"q{n}.sql"
            write_queries(generate(n, seed=SEED), path)
            row = measure(dsn, path, repeat)
            print(f"scale: {n} statements: {row['seconds']:.1f} s, floor {row['floor_s']:.1f} s",
                  file=sys.stderr, flush=True)
            result["sizes"].append({"n": n, **row})
        if quality:
            path = Path(tmp) / f"q{sizes[0]}.sql"
            result["quality"] = _child(["--quality", str(path)], dsn)
    return result


def measure(dsn: str, path: Path, repeat: int) -> dict:
    """The median of ``repeat`` advisor runs, each between two floor runs (floor, advisor, floor,
    advisor, ..., floor), next to the median floor: both see the machine's load of the moment."""
    floors = [_child(["--floor", str(path)], dsn)["seconds"]]
    runs = []
    for _ in range(repeat):
        runs.append(_child(["--advisor", str(path)], dsn))
        floors.append(_child(["--floor", str(path)], dsn)["seconds"])
    runs.sort(key=lambda r: r["seconds"])
    return {**runs[len(runs) // 2], "floor_s": statistics.median(floors), "floor_runs": floors,
            "advisor_runs": [r["seconds"] for r in runs]}


def load(dsn: str, scale: float) -> None:
    """The help-desk database, every page all-visible, no pg_stat_statements."""
    import psycopg

    from bench.scale_workload import data_sql

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP EXTENSION IF EXISTS pg_stat_statements")
        conn.execute(data_sql(scale))
        for statement in ("CHECKPOINT", "VACUUM", "ANALYZE"):
            conn.execute(statement)


def _child(args: list[str], dsn: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.bench_scale", "--dsn", dsn, *args],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench.bench_scale {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


# -- in the child processes ------------------------------------------------------------------


def floor(dsn: str, path: Path) -> dict:
    """Seconds to parse each statement and EXPLAIN each once."""
    import psycopg
    import sqlglot

    from advisor.recommend.explain import explain_json
    from advisor.workload_files import load_queries

    statements, _ = load_queries([path])
    with psycopg.connect(dsn, autocommit=True) as conn:
        version = conn.info.server_version
        started = time.perf_counter()
        for s in statements:
            sqlglot.parse_one(s.query, read="postgres")
        for s in statements:
            explain_json(conn, s.query, version)
        return {"seconds": time.perf_counter() - started}


def advisor(dsn: str, path: Path) -> dict:
    """`advisor analyze --dsn DSN --queries FILE`: seconds, EXPLAINs, peak memory, per phase."""
    from advisor.pipeline import Pipeline

    _import_modules()
    times = {}
    started = time.perf_counter()
    pipeline = Pipeline.from_options(dsn=dsn, queries=[path])
    times["load_s"] = time.perf_counter() - started
    analysis = pipeline.analyze(recommend=False)
    times["analyze_s"] = time.perf_counter() - started - times["load_s"]
    plan = pipeline.recommend(analysis)
    seconds = time.perf_counter() - started
    times["recommend_s"] = seconds - times["load_s"] - times["analyze_s"]
    creates = [r for r in plan.recommendations if r.action == "create"]
    served = {g.statement for r in creates for g in r.statements}
    return {"seconds": seconds, **times, "statements": len(pipeline.snapshot.statements),
            "planned": sum(1 for s in pipeline.snapshot.statements if s.plan is not None),
            "whatif_explains": plan.explain_calls, "creates": len(creates),
            "statements_served": len(served), "peak_mb": _peak_mb(),
            "templates": _templates(pipeline.snapshot, analysis)}


def _import_modules() -> None:
    """The advisor's modules imported before the clock starts, as the floor's are: importing is
    not work on the workload (and where bytecode is not cached, as with PYTHONDONTWRITEBYTECODE,
    it compiles every module: about 0.6 s)."""
    import advisor.analyze  # noqa: F401
    import advisor.recommend.plan  # noqa: F401
    from rules import all_rules

    all_rules()


def quality(dsn: str, path: Path) -> dict:
    """Workload cost of the selection with and without compression, every statement priced."""
    from advisor.pipeline import Pipeline
    from advisor.recommend import RecommendSettings, recommend
    from advisor.recommend.plan import workload
    from advisor.recommend.whatif import WhatIf

    pipeline = Pipeline.from_options(dsn=dsn, queries=[path])
    analysis = pipeline.analyze(recommend=False)
    result = {}
    chosen = {}
    for name, compress in (("compressed", True), ("uncompressed", False)):
        started = time.perf_counter()
        plan = recommend(dsn, pipeline.snapshot, analysis, RecommendSettings(compress=compress))
        chosen[name] = [r.index for r in plan.recommendations if r.action == "create"
                        and r.index is not None and r.index.method == "btree"]
        result[name] = {"seconds": time.perf_counter() - started, "explains": plan.explain_calls,
                        "indexes": len(chosen[name])}
    items, _ = workload(pipeline.snapshot, analysis.shapes, RecommendSettings())
    with WhatIf.open(dsn) as whatif:
        for name, specs in [("none", []), *chosen.items()]:
            total = 0.0
            for item in items:
                try:
                    total += item.weight * whatif.cost(item.sql, specs, item.tables, key=item.key)
                except Exception:  # noqa: BLE001 - a statement that does not plan counts in neither
                    continue
            result.setdefault(name, {})["workload_cost"] = total
    return result


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _templates(snapshot, analysis) -> str:
    """"<statements with candidates> as <templates>" (counted after the timed run)."""
    from advisor.recommend import RecommendSettings
    from advisor.recommend.compress import compress
    from advisor.recommend.plan import workload

    items, _ = workload(snapshot, analysis.shapes, RecommendSettings())
    templates = compress(items, {s.fingerprint: s for s in analysis.shapes}, snapshot.catalog)
    return f"{len(items)} as {len(templates)}"


# -- the document ------------------------------------------------------------------------------


def rows(result: dict) -> list[dict]:
    out = []
    first = result["sizes"][0]
    for r in result["sizes"]:
        per = r["seconds"] / r["n"]
        out.append({
            "statements": r["n"],
            "advisor wall time": f"{r['seconds']:.1f} s ({_runs(r['advisor_runs'])})",
            "load + plan / analyze / recommend": f"{r['load_s']:.1f} / {r['analyze_s']:.1f} / {r['recommend_s']:.1f} s",
            "floor (parse + 1 EXPLAIN each)": f"{r['floor_s']:.1f} s ({_runs(r['floor_runs'])})",
            "advisor / floor": f"{r['seconds'] / r['floor_s']:.2f}×",
            "EXPLAINs (planning + what-if)": f"{r['planned']} + {r['whatif_explains']}",
            "statements with candidates, as templates": r["templates"],
            "per statement": f"{1000 * per:.1f} ms ({per / (first['seconds'] / first['n']):.2f}× of {first['n']})",
            "peak memory": f"{r['peak_mb']:.0f} MB",
            "indexes / statements served": f"{r['creates']} / {r['statements_served']}",
        })
    return out


def _runs(seconds: list[float]) -> str:
    return ", ".join(f"{s:.1f}" for s in seconds)


def verdicts(result: dict) -> list[str]:
    by_n = {r["n"]: r for r in result["sizes"]}
    notes = []
    if 5000 in by_n:
        ratio = by_n[5000]["seconds"] / by_n[5000]["floor_s"]
        notes.append(f"5,000 statements in {ratio:.2f}x the floor (target <= {TARGET_FLOOR_RATIO:g}x): "
                     + ("met" if ratio <= TARGET_FLOOR_RATIO else "missed"))
    if 1000 in by_n and 5000 in by_n:
        flat = (by_n[5000]["seconds"] / 5000) / (by_n[1000]["seconds"] / 1000)
        notes.append(f"time per statement 5,000 / 1,000: {flat:.2f} (target <= {TARGET_FLAT:g}): "
                     + ("met" if flat <= TARGET_FLAT else "missed"))
    if 10000 in by_n:
        peak = by_n[10000]["peak_mb"]
        notes.append(f"peak memory at 10,000: {peak:.0f} MB (target < {TARGET_MEMORY_MB} MB): "
                     + ("met" if peak < TARGET_MEMORY_MB else "missed"))
    q = result.get("quality")
    if q:
        gap = q["compressed"]["workload_cost"] / q["uncompressed"]["workload_cost"] - 1
        notes.append(
            f"quality at {result['sizes'][0]['n']}: workload cost {q['compressed']['workload_cost']:,.0f} "
            f"compressed vs {q['uncompressed']['workload_cost']:,.0f} uncompressed ({100 * gap:+.2f} %, "
            f"target within {100 * TARGET_QUALITY:g} %: {'met' if gap <= TARGET_QUALITY else 'missed'}); "
            f"no index: {q['none']['workload_cost']:,.0f}; selection {q['compressed']['seconds']:.1f} s / "
            f"{q['compressed']['explains']} EXPLAINs compressed, {q['uncompressed']['seconds']:.1f} s / "
            f"{q['uncompressed']['explains']} uncompressed")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--scale", type=float, default=1.0, help="rows: 1 = about 2M")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="advisor runs per size (median)")
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--advisor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--quality", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for mode, fn in (("floor", floor), ("advisor", advisor), ("quality", quality)):
        if getattr(args, mode):
            print(json.dumps(fn(args.dsn, getattr(args, mode))))
            return 0
    result = run(args.sizes, args.scale, quality=not args.no_quality, repeat=args.repeat)
    from bench.report import markdown_table

    print(markdown_table(rows(result)))
    print("\n".join(f"- {v}" for v in verdicts(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
