"""A help-desk database and a workload of N distinct statements over it, for the scaling benchmark.

    >>> from advisor.fingerprint import fingerprint
    >>> rows = generate(300, seed=1)
    >>> len(rows), len({fingerprint(sql) for sql, _ in rows})
    (300, 300)
    >>> generate(300, seed=1) == rows
    True

Four tables (``accounts``, ``tickets``, ``events``, ``comments``; about 2M rows at scale 1) with
skewed values: a few open tickets among many closed ones, popular and rare event kinds, NULLs.

The workload is what an application's pg_stat_statements holds: a number of query sites (a
table, the columns read, the predicates and their operators, a join, a sort, a LIMIT, a GROUP BY,
or an UPDATE/DELETE/INSERT), popular ones called far more often, each seen in a few spellings
that pg_stat_statements keeps apart - with or without a table alias, the predicates in another
order, a ``$n`` with or without a cast, the columns listed in another order. Half the statements
carry ``$n`` parameters (as pg_stat_statements shows them), half literal values (as a server
log or a SQL file does). Every statement has its own fingerprint.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from advisor.fingerprint import fingerprint

# column -> kind: id, fk:<table>, int, cat, text, ts, bool; "?" marks a nullable column.
SCHEMA: dict[str, dict[str, str]] = {
    "accounts": {"id": "id", "email": "text", "region": "cat", "plan": "cat", "score": "int",
                 "active": "bool", "created_at": "ts"},
    "tickets": {"id": "id", "account_id": "fk:accounts", "assignee_id": "int?", "status": "cat",
                "priority": "int", "subject": "text", "created_at": "ts", "updated_at": "ts",
                "closed_at": "ts?"},
    "events": {"id": "id", "ticket_id": "fk:tickets", "actor_id": "int", "kind": "cat",
               "created_at": "ts", "duration_ms": "int"},
    "comments": {"id": "id", "ticket_id": "fk:tickets", "author_id": "int", "body": "text",
                 "created_at": "ts", "edited": "bool"},
}
ROWS = {"accounts": 100_000, "tickets": 500_000, "events": 1_000_000, "comments": 400_000}
CATEGORIES = {
    ("accounts", "region"): ["eu-west", "eu-north", "us-east", "us-west", "ap-south", "ap-east",
                             "sa-east", "af-south"],
    ("accounts", "plan"): ["free", "team", "business", "enterprise"],
    ("tickets", "status"): ["open", "pending", "solved", "closed"],
    ("events", "kind"): ["view", "reply", "assign", "tag", "merge", "escalate", "rate", "reopen",
                         "close", "sla_breach", "macro", "export"],
}
INT_RANGE = {("accounts", "score"): 1000, ("tickets", "assignee_id"): 2000,
             ("tickets", "priority"): 5, ("events", "actor_id"): 2000,
             ("events", "duration_ms"): 60_000, ("comments", "author_id"): 5000}
WORDS = ("refund", "login", "invoice", "crash", "export", "billing", "password", "upgrade")
TABLE_WEIGHTS = {"tickets": 5, "events": 3, "comments": 2, "accounts": 2}
KIND_SHARES = {"select": 0.52, "join": 0.2, "aggregate": 0.12, "update": 0.08, "delete": 0.03,
               "insert": 0.05}
NEW_SITE_SHARE = 0.3  # a statement comes from a new query site this often, else a known one
MAX_ATTEMPTS_PER_STATEMENT = 200

DATA_SQL = """
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL, region text NOT NULL,
  plan text NOT NULL, score int NOT NULL, active boolean NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE tickets (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts,
  assignee_id int, status text NOT NULL, priority int NOT NULL, subject text NOT NULL,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, closed_at timestamptz);
CREATE TABLE events (id bigint PRIMARY KEY, ticket_id bigint NOT NULL REFERENCES tickets,
  actor_id int NOT NULL, kind text NOT NULL, created_at timestamptz NOT NULL,
  duration_ms int NOT NULL);
CREATE TABLE comments (id bigint PRIMARY KEY, ticket_id bigint NOT NULL REFERENCES tickets,
  author_id int NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL,
  edited boolean NOT NULL);
INSERT INTO accounts SELECT g, 'user' || g || '@example.com',
  (ARRAY['eu-west','eu-north','us-east','us-west','ap-south','ap-east','sa-east','af-south'])[1 + (g * 7) % 8],
  CASE WHEN g % 50 = 0 THEN 'enterprise' WHEN g % 10 = 0 THEN 'business' WHEN g % 3 = 0 THEN 'team'
       ELSE 'free' END,
  (g::bigint * 37) % 1000, g % 9 <> 0, timestamptz '2023-01-01' + g * interval '5 minutes'
  FROM generate_series(1, {accounts}) g;
INSERT INTO tickets SELECT g, 1 + (g::bigint * 7919) % {accounts},
  CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + (g::bigint * 31) % 2000 END,
  CASE WHEN g > {tickets} - {tickets} / 25 THEN 'open' WHEN g % 17 = 0 THEN 'pending'
       WHEN g % 3 = 0 THEN 'solved' ELSE 'closed' END,
  1 + (g * 13) % 5,
  (ARRAY['refund','login','invoice','crash','export','billing','password','upgrade'])[1 + g % 8]
    || ' issue ' || g,
  timestamptz '2023-01-01' + g * interval '1 minute',
  timestamptz '2023-01-01' + g * interval '1 minute' + (g % 500) * interval '1 hour',
  CASE WHEN g > {tickets} - {tickets} / 25 THEN NULL
       ELSE timestamptz '2023-01-02' + g * interval '1 minute' END
  FROM generate_series(1, {tickets}) g;
INSERT INTO events SELECT g, 1 + (g::bigint * 104729) % {tickets}, 1 + (g::bigint * 11) % 2000,
  CASE WHEN g % 200 = 0 THEN 'sla_breach' WHEN g % 97 = 0 THEN 'merge' WHEN g % 50 = 0 THEN 'reopen'
       ELSE (ARRAY['view','reply','assign','tag','escalate','rate','close','macro','export'])[1 + g % 9] END,
  timestamptz '2023-01-01' + g * interval '30 seconds', (g::bigint * 101) % 60000
  FROM generate_series(1, {events}) g;
INSERT INTO comments SELECT g, 1 + (g::bigint * 15485863) % {tickets}, 1 + (g::bigint * 17) % 5000,
  (ARRAY['refund','login','invoice','crash','export','billing','password','upgrade'])[1 + g % 8]
    || ' comment ' || g, timestamptz '2023-01-01' + g * interval '75 seconds', g % 11 = 0
  FROM generate_series(1, {comments}) g;
"""


def data_sql(scale: float = 1.0) -> str:
    """The schema and its rows (``ROWS`` times ``scale``), as one script."""
    return DATA_SQL.format(**{t: max(int(n * scale), 100) for t, n in ROWS.items()})


def _kind(table: str, column: str) -> str:
    return SCHEMA[table][column].split(":")[0].rstrip("?")


def _nullable(table: str, column: str) -> bool:
    return SCHEMA[table][column].endswith("?")


def _parents(table: str) -> list[tuple[str, str]]:
    return [(c, k.split(":")[1]) for c, k in SCHEMA[table].items() if k.startswith("fk:")]


def _children(table: str) -> list[tuple[str, str]]:
    return [(t, c) for t in SCHEMA for c, p in _parents(t) if p == table]


@dataclass
class Site:
    """One query site of the application: what its statements have in common."""

    kind: str
    table: str
    columns: list[str]  # read (select list) or set (update), per table: "a.col" for joins
    predicates: list[tuple[str, str, str]]  # (alias or "", column, operator)
    join: tuple[str, str, str] | None = None  # (other table, this table's column, other's column)
    order: list[tuple[str, str, bool]] = field(default_factory=list)  # (alias, column, desc)
    limit: bool = False
    group: str | None = None
    calls: float = 1.0


@dataclass
class _Gen:
    rng: random.Random

    # -- sites -------------------------------------------------------------------------------

    def site(self) -> Site:
        kind = self.rng.choices(list(KIND_SHARES), weights=list(KIND_SHARES.values()))[0]
        table = self.rng.choices(list(TABLE_WEIGHTS), weights=list(TABLE_WEIGHTS.values()))[0]
        calls = max(1.0, round(self.rng.paretovariate(1.1) * 10))
        if kind == "join":
            return self.join_site(table, calls)
        preds = self.predicates(table, "", self.rng.choice((1, 1, 2, 2, 3)))
        if kind == "select":
            order = self.order(table, "") if self.rng.random() < 0.5 else []
            return Site(kind, table, self.projection(table), preds, order=order,
                        limit=bool(order) and self.rng.random() < 0.7 or self.rng.random() < 0.2,
                        calls=calls)
        if kind == "aggregate":
            group = self.rng.choice([c for c in SCHEMA[table]
                                     if _kind(table, c) in ("fk", "cat", "int", "bool")])
            return Site(kind, table, [], preds[:self.rng.choice((0, 1, 2))], group=group, calls=calls)
        if kind == "insert":
            return Site(kind, table, list(SCHEMA[table]), [], calls=calls * 5)
        if kind == "update":
            settable = [c for c in SCHEMA[table] if _kind(table, c) not in ("id", "fk")]
            return Site(kind, table, self.rng.sample(settable, self.rng.choice((1, 1, 2))),
                        preds[:self.rng.choice((1, 2))], calls=calls * 3)
        return Site(kind, table, [], preds[:self.rng.choice((1, 2))], calls=calls)

    def join_site(self, table: str, calls: float) -> Site:
        links = [(parent, fk, "id") for fk, parent in _parents(table)]
        links += [(child, "id", fk) for child, fk in _children(table)]
        other, mine, theirs = self.rng.choice(links)
        columns = [f"a.{c}" for c in self.rng.sample(list(SCHEMA[table]), 2)]
        columns += [f"b.{c}" for c in self.rng.sample(list(SCHEMA[other]), self.rng.choice((1, 2)))]
        preds = self.predicates(table, "a", self.rng.choice((1, 1, 2)))
        preds += self.predicates(other, "b", self.rng.choice((0, 0, 1)))
        alias, ordered = self.rng.choice((("a", table), ("b", other)))
        order = self.order(ordered, alias) if self.rng.random() < 0.5 else []
        return Site("join", table, columns, preds, join=(other, mine, theirs), order=order,
                    limit=bool(order) and self.rng.random() < 0.7, calls=calls)

    def projection(self, table: str) -> list[str]:
        names = list(SCHEMA[table])
        roll = self.rng.random()
        if roll < 0.4:
            return ["*"]
        if roll < 0.5:
            return ["id"]
        return self.rng.sample(names, self.rng.randint(2, min(4, len(names))))

    def predicates(self, table: str, alias: str, count: int) -> list[tuple[str, str, str]]:
        names = [c for c in SCHEMA[table] if _kind(table, c) != "text" or self.rng.random() < 0.3]
        chosen = self.rng.sample(names, min(count, len(names)))
        return [(alias, c, self.operator(table, c)) for c in chosen]

    def operator(self, table: str, column: str) -> str:
        kind = _kind(table, column)
        if _nullable(table, column) and self.rng.random() < 0.3:
            return self.rng.choice(("is null", "is not null"))
        choices = {"id": ("=", "=", "in"), "fk": ("=", "=", "in"), "int": ("=", ">", "<", "between"),
                   "cat": ("=", "=", "in", "<>"), "ts": (">", "<", ">=", "between"),
                   "text": ("=", "like", "like%"), "bool": ("=",)}[kind]
        return self.rng.choice(choices)

    def order(self, table: str, alias: str) -> list[tuple[str, str, bool]]:
        names = [c for c in SCHEMA[table] if _kind(table, c) in ("id", "int", "ts")]
        return [(alias, c, self.rng.random() < 0.6) for c in self.rng.sample(names, 1)]

    # -- spellings ---------------------------------------------------------------------------

    def statement(self, site: Site) -> str:
        params = self.rng.random() < 0.5
        style = _Style(self.rng, params, cast=params and self.rng.random() < 0.5)
        aliased = site.join is not None or self.rng.random() < 0.4
        if site.kind == "insert":
            return self.insert(site, style)
        name = site.table + (" a" if aliased else "")
        ref = "a." if aliased else ""
        where = self.where(site, style, ref)
        if site.kind == "update":
            sets = ", ".join(f"{c} = {style.value(site.table, c)}" for c in self.shuffled(site.columns))
            return f"UPDATE {name} SET {sets}{where}"
        if site.kind == "delete":
            return f"DELETE FROM {name}{where}"
        if site.kind == "aggregate":
            measure = self.rng.choice(("count(*)", "count(*) AS n", "count(1)"))
            return f"SELECT {ref}{site.group}, {measure} FROM {name}{where} GROUP BY {ref}{site.group}"
        columns = ", ".join(c if site.join or c == "*" else ref + c for c in self.shuffled(site.columns))
        sql = f"SELECT {columns} FROM {name}"
        if site.join:
            other, mine, theirs = site.join
            sql += f" JOIN {other} b ON b.{theirs} = a.{mine}"
        sql += where
        if site.order:
            sql += " ORDER BY " + ", ".join(f"{a + '.' if a else ref}{c}{' DESC' if d else ''}"
                                            for a, c, d in site.order)
        if site.limit:
            sql += f" LIMIT {style.limit()}"
        return sql

    def where(self, site: Site, style: _Style, ref: str) -> str:
        parts = [self.predicate(site, alias, column, op, style, ref)
                 for alias, column, op in self.shuffled(site.predicates)]
        return " WHERE " + " AND ".join(parts) if parts else ""

    def predicate(self, site: Site, alias: str, column: str, op: str, style: _Style, ref: str) -> str:
        table = site.table if alias in ("", "a") else site.join[0]
        col = f"{alias}.{column}" if alias else ref + column
        if op in ("is null", "is not null"):
            return f"{col} {op.upper()}"
        if op == "in":
            return f"{col} IN ({', '.join(style.value(table, column) for _ in range(self.rng.randint(2, 4)))})"
        if op == "between":
            return f"{col} BETWEEN {style.value(table, column)} AND {style.value(table, column)}"
        if op in ("like", "like%"):
            word = self.rng.choice(WORDS)
            pattern = f"'%{word}%'" if op == "like%" else f"'{word}%'"
            return f"{col} LIKE {style.param('text') if style.params else pattern}"
        return f"{col} {op} {style.value(table, column)}"

    def insert(self, site: Site, style: _Style) -> str:
        columns = [c for c in site.columns if c != "id"]
        values = ", ".join(style.value(site.table, c) for c in columns)
        return f"INSERT INTO {site.table} ({', '.join(columns)}) VALUES ({values})"

    def shuffled(self, items: list) -> list:
        items = list(items)
        self.rng.shuffle(items)
        return items


@dataclass
class _Style:
    """How one statement spells its values: literals, or ``$n`` parameters with or without casts."""

    rng: random.Random
    params: bool
    cast: bool
    n: int = 0

    def param(self, sql_type: str) -> str:
        self.n += 1
        return f"${self.n}::{sql_type}" if self.cast else f"${self.n}"

    def value(self, table: str, column: str) -> str:
        kind = _kind(table, column)
        if self.params:
            return self.param({"id": "bigint", "fk": "bigint", "int": "int", "ts": "timestamptz",
                               "bool": "boolean"}.get(kind, "text"))
        if kind in ("id", "fk"):
            return str(self.rng.randint(1, ROWS[table]))
        if kind == "int":
            return str(self.rng.randint(1, INT_RANGE.get((table, column), 100)))
        if kind == "cat":
            return f"'{self.rng.choice(CATEGORIES[(table, column)])}'"
        if kind == "ts":
            return f"'{self.rng.choice((2023, 2024))}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}'"
        if kind == "bool":
            return self.rng.choice(("true", "false"))
        return f"'{self.rng.choice(WORDS)}'"

    def limit(self) -> str:
        return self.param("int") if self.params else str(self.rng.choice((1, 10, 20, 50)))


def generate(n: int, seed: int = 0) -> list[tuple[str, float]]:
    """``n`` (statement, calls) with ``n`` distinct fingerprints, the same for the same ``seed``."""
    gen = _Gen(random.Random(seed))
    sites: list[Site] = []
    seen: set[str] = set()
    rows: list[tuple[str, float]] = []
    for _ in range(MAX_ATTEMPTS_PER_STATEMENT * max(n, 1)):
        if len(rows) >= n:
            return rows
        if not sites or gen.rng.random() < NEW_SITE_SHARE:
            sites.append(gen.site())
        site = sites[int(len(sites) * gen.rng.random() ** 2)]  # the older sites, the busier
        sql = gen.statement(site)
        key = fingerprint(sql)
        if key not in seen:
            seen.add(key)
            rows.append((sql, max(1.0, round(site.calls * gen.rng.uniform(0.2, 1.0)))))
    raise RuntimeError(f"only {len(rows)} distinct statements found for {n}")


def write_queries(rows: list[tuple[str, float]], path) -> None:
    """A SQL file of the statements, each weighed by a ``-- weight: N`` comment."""
    with open(path, "w", encoding="utf-8") as out:
        for sql, calls in rows:
            out.write(f"-- weight: {calls:g}\n{sql};\n")
