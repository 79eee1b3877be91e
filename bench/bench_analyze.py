"""Analyze throughput: parse + shapes + rules on 5,000 distinct statements, against bare sqlglot.

    .venv/bin/python bench/bench_analyze.py [--statements 5000] [--repeat 3]

Prints the median seconds of a bare ``sqlglot.parse_one`` of every statement, of ``analyze()``
on a snapshot holding them (caches cleared before each run, no database), and their ratio. The
statements are synthetic but ORM-like, over a ShopEase-like schema, generated from a fixed seed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlglot  # noqa: E402

from advisor.analyze import analyze, parsing, shapes  # noqa: E402
from advisor.analyze.ddl import catalog_from_ddl  # noqa: E402
from advisor.model import ColumnStats, Snapshot, Statement  # noqa: E402

SCHEMA = (Path(__file__).resolve().parents[1] / "fixtures/shapes/schema.sql").read_text()
COLUMNS = {
    "users": ["id", "email", "full_name", "is_active", "created_at", "last_login_at"],
    "sellers": ["id", "user_id", "name", "rating"],
    "categories": ["id", "parent_id", "name", "slug"],
    "products": ["id", "seller_id", "category_id", "name", "price", "stock", "status", "rating_avg",
                 "review_count", "created_at", "updated_at", "deleted_at"],
    "orders": ["id", "user_id", "status", "total", "created_at"],
    "order_items": ["id", "order_id", "product_id", "quantity", "unit_price"],
    "reviews": ["id", "product_id", "user_id", "rating", "created_at"],
}
JOINS = [("products", "seller_id", "sellers"), ("products", "category_id", "categories"),
         ("orders", "user_id", "users"), ("order_items", "order_id", "orders"),
         ("order_items", "product_id", "products"), ("reviews", "product_id", "products"),
         ("reviews", "user_id", "users"), ("sellers", "user_id", "users")]


def _predicate(rng: random.Random, alias: str, column: str, n: int) -> str:
    kind = rng.random()
    col = f"{alias}.{column}"
    if kind < 0.45:
        return f"{col} = ${n}"
    if kind < 0.6:
        return f"{col} IN (${n}, ${n + 1}, ${n + 2})"
    if kind < 0.7:
        return f"{col} = ANY(${n})"
    if kind < 0.8:
        return f"{col} >= ${n}"
    if kind < 0.85:
        return f"{col} IS NULL"
    if kind < 0.92:
        return f"lower({col}::text) = lower(${n})"
    return f"{col}::text ILIKE ${n}"


def statement(rng: random.Random, i: int) -> str:
    shape = rng.random()
    table = rng.choice(list(COLUMNS))
    cols = COLUMNS[table]
    projection = ", ".join(f"t.{c}" for c in rng.sample(cols, rng.randint(1, len(cols)))) + f", t.id AS c{i}"
    where = " AND ".join(_predicate(rng, "t", c, 1 + 3 * k) for k, c in enumerate(rng.sample(cols, rng.randint(1, 3))))
    order = f" ORDER BY t.{rng.choice(cols)} {rng.choice(['ASC', 'DESC'])}" if rng.random() < 0.5 else ""
    limit = f" LIMIT {rng.choice([1, 10, 20, 50])}" if rng.random() < 0.6 else ""
    offset = f" OFFSET {rng.choice([0, 20, 5000])}" if limit and rng.random() < 0.3 else ""
    if shape < 0.45:
        return f"SELECT {projection} FROM {table} t WHERE {where}{order}{limit}{offset}"
    if shape < 0.7:
        left, column, right = rng.choice(JOINS)
        rcol = rng.choice(COLUMNS[right])
        return (f"SELECT l.*, r.{rcol} AS c{i} FROM {left} l JOIN {right} r ON r.id = l.{column} "
                f"WHERE {_predicate(rng, 'r', rcol, 1)} AND {_predicate(rng, 'l', rng.choice(COLUMNS[left]), 4)}"
                f" ORDER BY l.id DESC LIMIT 20")
    if shape < 0.8:
        left, column, right = rng.choice(JOINS)
        return (f"WITH recent AS (SELECT {column} AS k, count(*) AS n FROM {left} WHERE created_at > $1 "
                f"GROUP BY {column}) SELECT r.*, recent.n AS c{i} FROM recent JOIN {right} r ON r.id = recent.k "
                f"WHERE EXISTS (SELECT 1 FROM {left} x WHERE x.{column} = r.id AND x.id > $2) ORDER BY recent.n DESC")
    if shape < 0.88:
        setcol = rng.choice(cols[1:])
        return f"UPDATE {table} t SET {setcol} = $1 WHERE {where} RETURNING t.id AS c{i}"
    if shape < 0.94:
        chosen = rng.sample(cols[1:], rng.randint(1, len(cols) - 1))
        values = ", ".join(f"${k + 1}" for k in range(len(chosen)))
        return f"INSERT INTO {table} ({', '.join(chosen)}) VALUES ({values}) RETURNING id AS c{i}"
    return f"DELETE FROM {table} t WHERE {where} AND t.id <> {i}"


def workload(count: int, seed: int = 42) -> list[str]:
    rng = random.Random(seed)
    return [statement(rng, i) for i in range(count)]


def snapshot_of(queries: list[str]) -> Snapshot:
    catalog = catalog_from_ddl(SCHEMA, rows={t: 100_000 for t in COLUMNS})
    for table in catalog.tables:
        for column in table.columns:
            column.stats = ColumnStats(n_distinct=-0.5 if column.name == "id" else 50,
                                       most_common_vals=["a", "b"], most_common_freqs=[0.3, 0.2])
    statements = [Statement(q, calls=100 + i, total_time_ms=float(1000 + i)) for i, q in enumerate(queries)]
    return Snapshot(database="bench", statements=statements, catalog=catalog)


def _clear() -> None:
    parsing.parse.cache_clear()
    shapes._cache.clear()


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    queries = workload(args.statements)
    snapshot = snapshot_of(queries)
    distinct = len({s.fingerprint for s in snapshot.statements})
    bare, ours, results = [], [], []
    for _ in range(args.repeat):
        bare.append(timed(lambda: [sqlglot.parse_one(q, read="postgres") for q in queries]))
        _clear()
        ours.append(timed(lambda: results.append(analyze(snapshot))))
    analysis = results[-1]
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"statements: {len(queries)} ({distinct} distinct fingerprints), findings: {len(analysis.findings)}, "
          f"unparsed: {len(analysis.unparsed)}")
    print(f"bare sqlglot.parse_one: {b:.2f} s (median of {args.repeat})")
    print(f"analyze (parse + shapes + rules): {o:.2f} s (median of {args.repeat})")
    print(f"ratio: {o / b:.2f}x (target <= 3x; absolute target <= 10 s)")


if __name__ == "__main__":
    main()
