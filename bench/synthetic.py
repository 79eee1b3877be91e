"""A deterministic synthetic workload: N distinct statement shapes over ShopEase's schema.

    >>> from bench.synthetic import generate
    >>> queries = generate(3, seed=1)
    >>> len(queries), len({fingerprint(q) for q in queries})
    (3, 3)
    >>> generate(3, seed=1) == queries
    True

Statements vary the table, the columns read, the predicates (=, range, IN, LIKE, IS NULL),
joins along the foreign keys, GROUP BY, ORDER BY, LIMIT/OFFSET, and a few UPDATE/DELETE. They
carry literal values, as an application's statements reach pg_stat_statements, and they run on
a database built by ``app_under_test.schema.upgrade`` (or ``SCHEMA_DDL``). Shapes are drawn
from a seeded generator and kept only when their fingerprint is new, so N statements have N
distinct fingerprints.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from advisor.fingerprint import fingerprint
from advisor.model import Catalog, Column, ForeignKey, Index, Snapshot, Statement, Table

# Column kinds: id, fk, int, num, text, status, ts, bool. Mirrors app_under_test/models.py
# (tests/bench/test_synthetic.py checks it against the models when they are importable).
SCHEMA: dict[str, dict[str, str]] = {
    "users": {"id": "id", "email": "text", "full_name": "text", "is_active": "bool",
              "created_at": "ts", "last_login_at": "ts"},
    "categories": {"id": "id", "parent_id": "fk:categories", "name": "text", "slug": "text"},
    "sellers": {"id": "id", "user_id": "fk:users", "name": "text", "rating": "num",
                "created_at": "ts"},
    "products": {"id": "id", "seller_id": "fk:sellers", "category_id": "fk:categories",
                 "name": "text", "description": "text", "price": "num", "stock": "int",
                 "status": "status", "rating_avg": "num", "review_count": "int",
                 "created_at": "ts", "updated_at": "ts", "deleted_at": "ts"},
    "addresses": {"id": "id", "user_id": "fk:users", "line1": "text", "city": "text",
                  "postal_code": "text", "country": "text", "is_default": "bool"},
    "orders": {"id": "id", "user_id": "fk:users", "shipping_address_id": "fk:addresses",
               "status": "status", "total": "num", "created_at": "ts"},
    "order_items": {"id": "id", "order_id": "fk:orders", "product_id": "fk:products",
                    "quantity": "int", "unit_price": "num"},
    "reviews": {"id": "id", "product_id": "fk:products", "user_id": "fk:users", "rating": "int",
                "body": "text", "created_at": "ts"},
    "carts": {"id": "id", "user_id": "fk:users", "created_at": "ts", "updated_at": "ts"},
    "cart_items": {"id": "id", "cart_id": "fk:carts", "product_id": "fk:products",
                   "quantity": "int", "added_at": "ts"},
}
NULLABLE = {("users", "last_login_at"), ("categories", "parent_id"), ("products", "deleted_at"),
            ("orders", "shipping_address_id")}
STATUSES = {"products": ("active", "draft", "archived"),
            "orders": ("pending", "paid", "shipped", "delivered", "cancelled")}
# How often each table is the statement's main table: the hot ones of a shop first.
TABLE_WEIGHTS = {"products": 6, "orders": 5, "order_items": 4, "users": 3, "reviews": 3,
                 "cart_items": 2, "carts": 1, "addresses": 1, "sellers": 1, "categories": 1}
SQL_TYPES = {"id": "bigint", "fk": "bigint", "int": "integer", "num": "numeric(12, 2)",
             "text": "varchar(255)", "status": "varchar(20)", "ts": "timestamptz",
             "bool": "boolean"}

# Shares of each statement kind; the rest are single-table selects.
JOIN_SHARE, AGGREGATE_SHARE, UPDATE_SHARE, DELETE_SHARE = 0.30, 0.12, 0.06, 0.02
MAX_ATTEMPTS_PER_STATEMENT = 50


def _kind(table: str, column: str) -> str:
    return SCHEMA[table][column].split(":")[0]


def _parents(table: str) -> list[tuple[str, str]]:
    """(fk column, referenced table) of ``table``."""
    return [(c, k.split(":")[1]) for c, k in SCHEMA[table].items() if k.startswith("fk:")]


def _children(table: str) -> list[tuple[str, str]]:
    """(child table, its fk column) referencing ``table``."""
    return [(t, c) for t in SCHEMA for c, p in _parents(t) if p == table]


@dataclass
class _Gen:
    rng: random.Random

    def statement(self) -> str:
        roll = self.rng.random()
        table = self.rng.choices(list(TABLE_WEIGHTS), weights=list(TABLE_WEIGHTS.values()))[0]
        if roll < UPDATE_SHARE:
            return self.update(table)
        if roll < UPDATE_SHARE + DELETE_SHARE:
            return self.delete(table)
        if roll < UPDATE_SHARE + DELETE_SHARE + AGGREGATE_SHARE:
            return self.aggregate(table)
        if roll < UPDATE_SHARE + DELETE_SHARE + AGGREGATE_SHARE + JOIN_SHARE:
            return self.join(table)
        return self.select(table)

    # -- statement kinds -------------------------------------------------------------------

    def select(self, table: str) -> str:
        columns = self.columns(table)
        where = self.predicates(table, None, self.rng.choice((1, 1, 1, 2, 2, 3)))
        return self.finish(f"SELECT {columns} FROM {table}", where, self.order(table, None))

    def join(self, table: str) -> str:
        links = [(parent, fk, "id") for fk, parent in _parents(table)]
        links += [(child, "id", fk) for child, fk in _children(table)]
        if not links:
            return self.select(table)
        other, left_col, right_col = self.rng.choice(links)
        select = self.rng.choice(("a.*", f"a.{self.pick(table)}, b.{self.pick(other)}",
                                  f"a.id, b.{self.pick(other)}", "b.*"))
        sql = f"SELECT {select} FROM {table} a JOIN {other} b ON b.{right_col} = a.{left_col}"
        where = self.predicates(table, "a", self.rng.choice((1, 1, 2)))
        where += self.predicates(other, "b", self.rng.choice((0, 0, 1)))
        ordered, alias = self.rng.choice(((table, "a"), (other, "b")))
        order = self.order(ordered, alias)
        return self.finish(sql, where, order)

    def aggregate(self, table: str) -> str:
        group = self.pick(table, kinds=("fk", "status", "bool", "int"))
        measure = self.rng.choice(("count(*)", "count(DISTINCT id)", *(
            f"{fn}({c})" for fn in ("sum", "avg", "max", "min")
            for c in self.columns_of(table, ("num", "int")))))
        where = self.predicates(table, None, self.rng.choice((0, 1, 1, 2)))
        sql = f"SELECT {group}, {measure} AS n FROM {table}"
        having = " HAVING count(*) > 1" if self.rng.random() < 0.2 else ""
        order = f" ORDER BY n {self.rng.choice(('DESC', 'ASC'))}" if self.rng.random() < 0.4 else ""
        return self.finish(sql, where, "", tail=f" GROUP BY {group}{having}{order}")

    def update(self, table: str) -> str:
        column = self.pick(table, kinds=("int", "num", "text", "status", "ts", "bool"))
        value = self.value(table, column)
        where = self.predicates(table, None, self.rng.choice((1, 1, 2)))
        return f"UPDATE {table} SET {column} = {value} WHERE {' AND '.join(where)}"

    def delete(self, table: str) -> str:
        where = self.predicates(table, None, self.rng.choice((1, 2)))
        return f"DELETE FROM {table} WHERE {' AND '.join(where)}"

    # -- parts -----------------------------------------------------------------------------

    def finish(self, sql: str, where: list[str], order: str, tail: str = "") -> str:
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += tail
        if order:
            sql += " " + order
        if self.rng.random() < 0.45:
            sql += f" LIMIT {self.rng.choice((1, 10, 20, 50, 100))}"
            if self.rng.random() < 0.3:
                sql += f" OFFSET {self.rng.randrange(0, 500, 20)}"
        return sql

    def columns(self, table: str) -> str:
        if self.rng.random() < 0.3:
            return "*"
        names = list(SCHEMA[table])
        chosen = sorted(self.rng.sample(names, self.rng.randint(1, min(4, len(names)))),
                        key=names.index)
        return "*" if chosen == names else ", ".join(chosen)

    def columns_of(self, table: str, kinds: tuple[str, ...]) -> list[str]:
        return [c for c in SCHEMA[table] if _kind(table, c) in kinds]

    def pick(self, table: str, kinds: tuple[str, ...] | None = None) -> str:
        names = self.columns_of(table, kinds) if kinds else []
        return self.rng.choice(names or list(SCHEMA[table]))

    def predicates(self, table: str, alias: str | None, count: int) -> list[str]:
        names = list(SCHEMA[table])
        chosen = sorted(self.rng.sample(names, min(count, len(names))), key=names.index)
        return [self.predicate(table, c, f"{alias}.{c}" if alias else c) for c in chosen]

    def predicate(self, table: str, column: str, ref: str) -> str:
        kind = _kind(table, column)
        value = self.value(table, column)
        if (table, column) in NULLABLE and self.rng.random() < 0.4:
            return f"{ref} IS {self.rng.choice(('NULL', 'NOT NULL'))}"
        if kind in ("id", "fk"):
            return self.rng.choice((f"{ref} = {value}", f"{ref} = {value}",
                                    f"{ref} IN ({value}, {value + 1}, {value + 2})",
                                    f"{ref} > {value}"))
        if kind in ("int", "num"):
            return self.rng.choice((f"{ref} = {value}", f"{ref} > {value}", f"{ref} < {value}",
                                    f"{ref} >= {value}", f"{ref} BETWEEN {value} AND {value * 2}"))
        if kind == "ts":
            return self.rng.choice((f"{ref} > {value}", f"{ref} < {value}",
                                    f"{ref} >= now() - interval '{self.rng.randint(1, 90)} days'"))
        if kind == "text":
            word = self.rng.choice(("alpha", "beta", "gamma", "delta"))
            return self.rng.choice((f"{ref} = '{word}'", f"{ref} LIKE '{word}%'",
                                    f"{ref} LIKE '%{word}%'", f"lower({ref}) = '{word}'"))
        if kind == "status":
            return self.rng.choice((f"{ref} = {value}", f"{ref} <> {value}",
                                    f"{ref} IN ({value}, {self.value(table, column)})"))
        return f"{ref} = true" if self.rng.random() < 0.7 else f"NOT {ref}"

    def value(self, table: str, column: str):
        kind = _kind(table, column)
        if kind in ("id", "fk", "int"):
            return self.rng.randint(1, 5000)
        if kind == "num":
            return self.rng.randint(1, 4) if column.startswith("rating") else self.rng.randint(1, 500)
        if kind == "ts":
            return f"'2026-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}'"
        if kind == "status":
            return f"'{self.rng.choice(STATUSES.get(table, ('active',)))}'"
        if kind == "bool":
            return "true"
        if column == "country":
            return f"'{self.rng.choice(('FR', 'DE', 'US', 'JP'))}'"
        return f"'{self.rng.choice(('alpha', 'beta', 'gamma', 'delta'))}'"

    def order(self, table: str, alias: str | None) -> str:
        if self.rng.random() < 0.45:
            return ""
        names = self.columns_of(table, ("id", "int", "num", "ts", "text", "status"))
        chosen = self.rng.sample(names, self.rng.choice((1, 1, 2)))
        prefix = f"{alias}." if alias else ""
        items = [prefix + c + self.rng.choice(("", " DESC")) for c in chosen]
        return "ORDER BY " + ", ".join(items)


def generate(n: int, seed: int = 0) -> list[str]:
    """``n`` statements with ``n`` distinct fingerprints, the same for the same ``seed``."""
    gen = _Gen(random.Random(seed))
    seen: set[str] = set()
    queries: list[str] = []
    attempts = 0
    while len(queries) < n:
        attempts += 1
        if attempts > MAX_ATTEMPTS_PER_STATEMENT * max(n, 1):
            raise RuntimeError(f"only {len(queries)} distinct shapes found for {n}")
        sql = gen.statement()
        key = fingerprint(sql)
        if key not in seen:
            seen.add(key)
            queries.append(sql)
    return queries


def statements(n: int, seed: int = 0) -> list[Statement]:
    """``generate(n, seed)`` as pg_stat_statements-like rows with skewed, seeded call counts."""
    rng = random.Random(seed + 1)
    rows = []
    for sql in generate(n, seed):
        calls = max(1, int(rng.paretovariate(1.2) * 5))
        mean = round(rng.lognormvariate(0, 1.2), 3)
        rows.append(Statement(query=sql, calls=calls, mean_time_ms=mean,
                              total_time_ms=round(mean * calls, 3),
                              rows=calls * rng.randint(1, 50),
                              shared_blks_hit=calls * rng.randint(1, 400)))
    return rows


def catalog(rows_per_table: int = 100_000) -> Catalog:
    """ShopEase's catalog as capture would read it (primary keys and FKs; sizes are made up)."""
    tables, indexes, fks = [], [], []
    for name, columns in SCHEMA.items():
        tables.append(Table(schema="public", name=name, reltuples=float(rows_per_table),
                            n_live_tup=rows_per_table, relpages=rows_per_table // 50,
                            size_bytes=rows_per_table * 160,
                            columns=[Column(name=c, type=SQL_TYPES[_kind(name, c)],
                                            not_null=(name, c) not in NULLABLE)
                                     for c in columns]))
        indexes.append(Index(schema="public", name=f"pk_{name}", table=f"public.{name}",
                             definition=f"CREATE UNIQUE INDEX pk_{name} ON public.{name} USING btree (id)",
                             columns=["id"], is_unique=True, is_primary=True,
                             constraint=f"pk_{name}"))
        for column, parent in _parents(name):
            fks.append(ForeignKey(name=f"fk_{name}_{column}", table=f"public.{name}",
                                  columns=[column], ref_table=f"public.{parent}",
                                  ref_columns=["id"]))
    return Catalog(tables=tables, indexes=indexes, foreign_keys=fks)


def snapshot(n: int, seed: int = 0) -> Snapshot:
    """An offline Snapshot of ``n`` synthetic statements over ShopEase (no plans)."""
    return Snapshot(database="shopease_synthetic", statements=statements(n, seed),
                    catalog=catalog())


def schema_ddl() -> str:
    """CREATE TABLE statements for SCHEMA (keys and foreign keys, no other index)."""
    parts = []
    for name, columns in SCHEMA.items():
        cols = [f"{c} {SQL_TYPES[_kind(name, c)]}"
                + (" PRIMARY KEY" if c == "id" else "")
                + ("" if (name, c) in NULLABLE else " NOT NULL") for c in columns]
        cols += [f"FOREIGN KEY ({c}) REFERENCES {p} (id)" for c, p in _parents(name)]
        parts.append(f"CREATE TABLE {name} (\n    " + ",\n    ".join(cols) + "\n);")
    return "\n".join(parts)
