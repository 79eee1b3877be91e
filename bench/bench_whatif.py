"""What-if throughput: 500 distinct statements priced with each of their candidate indexes.

    python -m bench.bench_whatif             # 500 statements over ShopEase (scale 0.05)
    python -m bench.bench_whatif --n 200

Builds ShopEase in a throwaway PostgreSQL, draws the statements from ``bench.synthetic``, makes
the candidates, and prices every statement with no new index, with each candidate alone and with
all of them (HypoPG, one read-only session). Prints the wall-clock time and the EXPLAIN count;
the target is 500 statements in at most 60 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time


def run(n: int = 500, scale: float = 0.05) -> dict:
    from advisor.analyze.shapes import extract_shapes
    from advisor.capture.catalog import read_catalog
    from advisor.db import session
    from advisor.embedded import EmbeddedPostgres
    from advisor.model import Snapshot, Statement
    from advisor.recommend.candidates import TRGM, generate
    from advisor.recommend.whatif import UnsupportedIndex, WhatIf
    from app_under_test import datagen, schema
    from bench import synthetic

    pg = EmbeddedPostgres()
    try:
        dsn = pg.create_database("whatif")
        schema.upgrade(dsn)
        datagen.generate(dsn, scale=scale, seed=42)
        with session(dsn) as conn:
            catalog = read_catalog(conn, [])
        statements = [Statement(q, calls=1) for q in synthetic.generate(n, seed=7)]
        snapshot = Snapshot(statements=statements, catalog=catalog)
        shapes = {s.fingerprint: s for s in extract_shapes(snapshot)}
        started = time.monotonic()
        by_fp = generate(list(shapes.values()), catalog, min_table_rows=100)
        candidates = failed = 0
        with WhatIf.open(dsn) as w:
            for st in statements:
                specs = [c for c in by_fp.get(st.fingerprint, []) if c.opclass != TRGM]
                tables = {a.table for a in shapes[st.fingerprint].tables}
                try:
                    base = w.cost(st.query, [], tables, key=st.fingerprint)
                    for spec in specs:
                        w.cost(st.query, [spec], tables, key=st.fingerprint)
                    w.cost(st.query, specs, tables, key=st.fingerprint)
                except (UnsupportedIndex, Exception):  # noqa: BLE001 - count statements that cannot be planned
                    failed += 1
                    continue
                candidates += len(specs)
                del base
            seconds = time.monotonic() - started
            return {"statements": len(statements), "candidates": candidates, "failed": failed,
                    "explain_calls": w.explain_calls, "seconds": round(seconds, 1),
                    "explains_per_s": round(w.explain_calls / seconds, 1)}
    finally:
        pg.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_whatif")
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args(argv)
    r = run(args.n)
    print(f"what-if: {r['statements']} statements, {r['candidates']} candidate pricings, "
          f"{r['explain_calls']} EXPLAINs in {r['seconds']} s ({r['explains_per_s']}/s); "
          f"{r['failed']} statements could not be planned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
