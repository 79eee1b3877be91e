"""TPC-H index selection: relative workload cost RC at storage budgets, next to the literature.

    python -m bench.tpch                          # scale 1, budgets 200..2000 MB, markdown table
    python -m bench.tpch --budgets 500 1000       # some budgets only

Follows /work/shared/benchmarks/tpch/README.md (Kossmann et al., PVLDB 2020): TPC-H scale 1
from ``tpchgen-cli`` (CSV cached under ``.bench-data/tpch-sf1/``), loaded into a throwaway
PostgreSQL 15 with default planner settings, the 19 queries unweighted, in the state the README
prescribes: after the COPYs, ``CHECKPOINT``, ``VACUUM`` and ``ANALYZE``, each on its own, again
until every page of every table is all-visible (the visibility map prices index-only scans, and
on a server committing asynchronously a ``VACUUM (ANALYZE)`` right after the load leaves pages
not all-visible). Budgets are in MB of 10^6 bytes, as the README defines them (the advisor's own
``500MB`` reads MiB, as PostgreSQL does).

The selection is the advisor's whole recommend stage (``advisor.recommend.recommend``: candidates,
pruning, compression, what-if selection, trigram GIN indexes counted at their estimated size),
with ``min_improvement = 0`` as the paper's algorithms run. RC(B) = planner cost of the workload
with the B-tree indexes chosen (hypothetical, HypoPG) / without any, measured in the same
session: the plans' total cost as the planner estimates it, as the literature measures (the
selection itself optimises the advisor's robust cost, which prices a LIMIT over a sort-only index
as read to the end). "size" is every index proposed, GIN ones at their estimate; it must stay
within the budget. Under the table, the per-query floor: each query with its own best subset of
the candidates, no budget - how far any selection could go in this database.

ANALYZE's sample moves RC by up to a point between loads (the README: two fresh loads in the
same state differ by 1.8 % in no-index cost; here 64.37 % and 65.63 % at 200 MB on two loads of
one day), so compare code within one load. Against the README's bar, which is the lower of its
two runs per budget, ``run`` does the same: ``LOADS`` fresh loads, the lower RC per budget kept,
every load's figure shown.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BENCH_DIR = Path(os.environ.get("TPCH_DIR", "/work/shared/benchmarks/tpch"))
DEFAULT_DATA = Path(".bench-data/tpch-sf1")
BUDGETS_MB = (200, 500, 1000, 1500, 2000)
TABLES = ("region", "nation", "supplier", "part", "partsupp", "customer", "orders", "lineitem")
# PostgreSQL defaults for what the embedded server changes and the planner reads; autovacuum off
# so nothing moves during the run (after the prescribed statements it has nothing to do anyway).
DEFAULT_PLANNER = {"work_mem": "4MB", "shared_buffers": "128MB", "autovacuum": "off"}
MB = 1_000_000  # the README's MB
REFERENCE = {  # budget MB: (Extend, DB2Advis, Relaxation, DTA-like, best), RC in %: the lower of
    200: (64.71, 97.04, 66.62, 64.71, 64.71),  # the README's two runs (2026-12-01), the bar
    500: (54.39, 62.47, 61.31, 55.44, 54.39),
    1000: (50.03, 57.28, 50.19, 50.20, 50.03),
    1500: (48.23, 56.94, 48.18, 47.80, 47.80),
    2000: (48.23, 49.11, 47.35, 47.40, 47.35),
}
EXTEND_SECONDS = (4, 21)  # Extend's runtime range in the README's runs
RUNTIME_FACTOR = 3  # the target: at most this many times Extend's runtime
SETTLE_TRIES = 5
LOADS = 2  # fresh loads per run: ANALYZE's sample moves RC by up to a point (see the docstring)


def generate(data_dir: Path) -> Path:
    """The scale-1 CSVs in ``data_dir``, generated once and reused."""
    if all((data_dir / f"{t}.csv").exists() for t in TABLES):
        return data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    tool = shutil.which("tpchgen-cli") or str(Path(sys.executable).with_name("tpchgen-cli"))
    subprocess.run([tool, "csv", "-s", "1", f"--output-dir={data_dir}"], check=True,
                   stdout=subprocess.DEVNULL)
    return data_dir


def load(dsn: str, data_dir: Path) -> None:
    """schema.sql, COPY of every table (CSV with header), then the README's state."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute((BENCH_DIR / "schema.sql").read_text())
        for table in TABLES:
            with conn.cursor().copy(
                    f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, \
                    open(data_dir / f"{table}.csv", "rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
    settle(dsn)


def settle(dsn: str) -> None:
    """CHECKPOINT, VACUUM, ANALYZE, each on its own, then CHECKPOINT and VACUUM again while some
    table has pages that are not all-visible (the README's prescribed state)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in ("CHECKPOINT", "VACUUM", "ANALYZE"):
            conn.execute(statement)
        for _ in range(SETTLE_TRIES):
            if not _not_all_visible(conn):
                return
            conn.execute("CHECKPOINT")
            conn.execute("VACUUM")
        left = _not_all_visible(conn)
        if left:
            raise RuntimeError(f"tables not all-visible after {SETTLE_TRIES} VACUUMs: {', '.join(left)}")


def _not_all_visible(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' "
        "AND relallvisible < relpages", (list(TABLES),))]


def queries() -> list[tuple[str, str]]:
    """(name, sql) of the 19 queries, the trailing semicolon removed."""
    return [(p.stem, p.read_text().strip().rstrip(";").strip())
            for p in sorted((BENCH_DIR / "queries").glob("q*.sql"))]


def snapshot_of(dsn: str):
    """A snapshot of the loaded database: its catalog and the 19 queries (weight 1 each)."""
    from advisor.capture.catalog import read_catalog
    from advisor.db import session
    from advisor.model import Snapshot, Statement

    with session(dsn) as conn:
        catalog = read_catalog(conn, [])
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    statements = [Statement(sql, source="file", weight=1.0) for _, sql in queries()]
    return Snapshot(database="tpch", server_version_num=version, statements=statements,
                    catalog=catalog)


def select_at_budgets(dsn: str, budgets_mb=BUDGETS_MB, *, max_width: int = 3,
                      min_improvement: float = 0.0, plain: bool = False) -> list[dict]:
    """The advisor's recommend stage at each budget (fresh what-if session each, as each of the
    paper's runs has), RC against the no-index cost measured in one session.

    ``plain``: only plain-column B-tree candidates (no INCLUDE, expression or partial index), as
    the paper's algorithms use - with ``max_width=2`` a like-for-like comparison."""
    from advisor.analyze.shapes import extract_shapes
    from advisor.model import Analysis
    from advisor.recommend import RecommendSettings, candidates, recommend
    from advisor.recommend.plan import workload
    from advisor.recommend.whatif import WhatIf

    snap = snapshot_of(dsn)
    shapes = extract_shapes(snap)
    settings = RecommendSettings(max_width=max_width, min_improvement=min_improvement)
    items, every_candidate = workload(snap, shapes, settings)
    every_candidate = [c for c in every_candidate if c.opclass != candidates.TRGM]
    if plain:
        every_candidate = [c for c in every_candidate if _plain(c)]
    every = [(s.fingerprint, s.query) for s in snap.statements]
    rows = []
    for budget in budgets_mb:
        settings.max_index_size_bytes = budget * MB
        started = time.monotonic()
        with _only(plain):
            plan = recommend(dsn, snap, Analysis(shapes=shapes), settings)
        runtime = time.monotonic() - started
        creates = [r for r in plan.recommendations if r.action == "create"]
        chosen = [r.index for r in creates if r.index.method == "btree"]
        size = sum(r.estimated_size_bytes for r in creates)
        print(f"tpch: {budget} MB: {len(creates)} indexes, {size / MB:,.1f} MB, {runtime:.1f} s, "
              f"{plan.explain_calls} EXPLAINs", file=sys.stderr, flush=True)
        rows.append({"budget_mb": budget, "runtime_s": round(runtime, 2),
                     "explain_calls": plan.explain_calls, "size_mb": round(size / MB, 1),
                     "within_budget": size <= budget * MB, "chosen": chosen,
                     "indexes": [_label(r.index) for r in creates]})
    with WhatIf.open(dsn) as whatif:
        baseline = sum(_planner_cost(whatif, sql, []) for _, sql in every)
        for r in rows:
            chosen = r.pop("chosen")
            r["rc"] = 100.0 * sum(_planner_cost(whatif, sql, chosen) for _, sql in every) / baseline
            r["baseline_cost"], r["candidates"] = round(baseline), len(every_candidate)
        floor = sum(i.weight * _query_floor(whatif, i, every_candidate) for i in items)
    for r in rows:
        r["floor_rc"] = 100.0 * floor / baseline
    return rows


@contextmanager
def _only(plain: bool):
    """With ``plain``, the recommend stage sees plain-column B-tree candidates only."""
    from advisor.recommend import plan as recipe

    if not plain:
        yield
        return
    original = recipe.generate

    def generate(*args, **kwargs):
        return {fp: [c for c in specs if _plain(c)] for fp, specs in original(*args, **kwargs).items()}

    recipe.generate = generate
    try:
        yield
    finally:
        recipe.generate = original


def _planner_cost(whatif, sql: str, indexes, tables=None) -> float:
    """The plan's total cost as the planner estimates it - the literature's measure; the advisor's
    own cost (``WhatIf.cost``) prices a fragile LIMIT as read to the end and can be higher."""
    return float(whatif.plan(sql, indexes, tables)["Total Cost"])


def _query_floor(whatif, item, candidates) -> float:
    """The lowest cost a local search reaches for one query with the candidates on its tables, no
    budget: add or drop one index while the cost falls, from none and from all of them. The sum
    over the queries bounds what any selection from these candidates reaches in this database
    (a heuristic bound: a search can stop in a local minimum)."""
    mine, memo = [c for c in candidates if c.table in item.tables], {}

    def price(config):  # WhatIf.plan is not cached, and the search prices a config many times
        key = frozenset(c.key() for c in config)
        if key not in memo:
            memo[key] = _planner_cost(whatif, item.sql, config, item.tables)
        return memo[key]

    best = price([])
    for config in ([], list(mine)):
        cost = price(config)
        while True:
            moves = [[c for c in config if c is not out] for out in config] + [
                config + [c] for c in mine if c not in config]
            step = min(moves, key=price, default=None)
            if step is None or price(step) >= cost * (1 - 1e-9):
                break
            config, cost = step, price(step)
        best = min(best, cost)
    return best


def _plain(spec) -> bool:
    return not spec.include and not spec.where and all(
        c.replace(" DESC", "").isidentifier() for c in spec.columns)


def _label(spec) -> str:
    text = f"{spec.table.split('.')[-1]}({', '.join(spec.columns)})"
    if spec.include:
        text += f" INCLUDE ({', '.join(spec.include)})"
    return text + (f" WHERE {spec.where}" if spec.where else "")


def run(budgets_mb=BUDGETS_MB, *, data_dir: Path = DEFAULT_DATA, max_width: int = 3,
        plain: bool = False, loads: int = LOADS) -> list[dict]:
    """Generate (cached); on each of ``loads`` fresh loads into a throwaway PostgreSQL 15, select
    at each budget. Per budget the row of the load with the lower RC, as the README's bar is the
    lower of its two runs; ``rc_runs`` holds every load's RC."""
    generate(Path(data_dir))
    runs = [_one_load(budgets_mb, Path(data_dir), max_width, plain) for _ in range(loads)]
    best = []
    for rows in zip(*runs, strict=True):
        row = dict(min(rows, key=lambda r: r["rc"]))
        row["rc_runs"] = [r["rc"] for r in rows]
        best.append(row)
    return best


def _one_load(budgets_mb, data_dir: Path, max_width: int, plain: bool) -> list[dict]:
    from advisor.embedded import EmbeddedPostgres

    pg = EmbeddedPostgres(settings=DEFAULT_PLANNER)
    try:
        started = time.monotonic()
        load(pg.dsn, data_dir)
        print(f"tpch: loaded scale 1 in {time.monotonic() - started:.0f} s", file=sys.stderr)
        return select_at_budgets(pg.dsn, budgets_mb, max_width=max_width, plain=plain)
    finally:
        pg.stop()


def render(rows: list[dict]) -> str:
    """A markdown table: the advisor's RC next to the README's reference figures."""
    lines = ["| budget (MB) | advisor RC (each load) | runtime (s) | EXPLAINs | size (MB) | Extend | DB2Advis "
             "| Relaxation | DTA-like | best | vs best |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ref = REFERENCE.get(r["budget_mb"], (None,) * 5)
        cells = " | ".join(f"{v:.2f} %" if v is not None else "-" for v in ref)
        diff = f"{r['rc'] - ref[4]:+.2f} pt" if ref[4] is not None else "-"
        size = f"{r['size_mb']}" + ("" if r.get("within_budget", True) else " (over!)")
        runs = " / ".join(f"{v:.2f}" for v in r.get("rc_runs", []))
        lines.append(f"| {r['budget_mb']} | **{r['rc']:.2f} %**{f' ({runs})' if runs else ''} | "
                     f"{r['runtime_s']:.1f} | {r['explain_calls']} | {size} | {cells} | {diff} |")
    if rows:
        worst = max(r["runtime_s"] for r in rows)
        limit = RUNTIME_FACTOR * EXTEND_SECONDS[1]
        lines += ["", f"Runtime: at most {worst:.1f} s per budget; Extend took {EXTEND_SECONDS[0]}-"
                  f"{EXTEND_SECONDS[1]} s in the README's runs, so the target ({RUNTIME_FACTOR}x) is "
                  f"{RUNTIME_FACTOR * EXTEND_SECONDS[0]}-{limit} s."]
    if rows and "floor_rc" in rows[0]:
        lines += ["", f"Per-query floor in this database: {rows[0]['floor_rc']:.2f} % - each query "
                  "with its own best subset of the candidates, no budget (local search); no "
                  "selection from these candidates goes far below it, whatever the budget."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tpch", description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=list(BUDGETS_MB),
                        help="in MB of 10^6 bytes")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--dsn", help="an already loaded TPC-H database (skips generate and load)")
    parser.add_argument("--max-width", type=int, default=3)
    parser.add_argument("--loads", type=int, default=LOADS, help="fresh loads; the lower RC per budget")
    parser.add_argument("--plain", action="store_true",
                        help="plain-column B-tree candidates only (the paper's candidate kind)")
    args = parser.parse_args(argv)
    if args.dsn:
        rows = select_at_budgets(args.dsn, args.budgets, max_width=args.max_width, plain=args.plain)
    else:
        rows = run(args.budgets, data_dir=args.data_dir, max_width=args.max_width, plain=args.plain,
                   loads=args.loads)
    print(render(rows))
    for r in rows:
        print(f"{r['budget_mb']} MB: {', '.join(r['indexes'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
