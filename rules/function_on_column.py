"""function-on-column: a filter wraps the column in a function, so no index on the column serves it.

    >>> RULE.id
    'function-on-column'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.indexes import indexes_on_column, leading_index
from advisor.ddl import qualified
from advisor.model import Finding
from rules._base import Docs, Example, Rule
from rules._build import index_scan, seq_scan, snapshot, stmt
from rules._common import EQUALITY, RANGE

INDEXABLE_OPS = EQUALITY + RANGE


def check(ctx) -> Iterable[Finding]:
    groups: dict[tuple[str, str], list] = {}
    for statement, shape in ctx.statements():
        for access in shape.tables:
            if ctx.rows(access.table) < ctx.threshold("min_table_rows"):
                continue
            for predicate in access.predicates:
                if predicate.function and predicate.op in INDEXABLE_OPS:
                    if leading_index(ctx.catalog, access.table, predicate.column) is None:
                        groups.setdefault((access.table, predicate.column), []).append(
                            (statement, predicate))
    for (table, expression), hits in groups.items():
        yield _finding(ctx, table, expression, hits)


def _finding(ctx, table: str, expression: str, hits: list) -> Finding:
    statements = list({s.fingerprint: s for s, _ in hits}.values())
    function = hits[0][1].function
    column = _inner_column(ctx, table, expression)
    plain = indexes_on_column(ctx.catalog, table, column) if column else []
    defeated = f"; index {plain[0].name} on ({column}) cannot be used" if plain else ""
    rewrite = _rewrite(function, column)
    indexable = not _time_zone_dependent(ctx, table, column, function)
    help = (f"Create an expression index: CREATE INDEX CONCURRENTLY ON {qualified(table)} (({expression})); "
            f"or {rewrite}." if indexable else
            f"Rewrite the filter: {rewrite}. (An expression index cannot be built: converting "
            f"timestamptz depends on the TimeZone setting, so the expression is not immutable.)")
    return ctx.finding(
        f"{expression} on {table} ({ctx.rows(table):,.0f} rows) filters on a function of the "
        f"column{defeated}",
        help,
        table=table, statements=[s.fingerprint for s in statements],
        evidence={"expression": expression, "function": function, "column": column,
                  "defeated_indexes": [i.name for i in plain], "expression_index_possible": indexable,
                  **ctx.workload_evidence(statements)})


def _time_zone_dependent(ctx, table: str, column: str | None, function: str | None) -> bool:
    found = ctx.table(table)
    kind = (found.column(column).type if found and column and found.column(column) else "").lower()
    zoned = "time zone" in kind and "without" not in kind or kind == "timestamptz"
    return zoned and function in ("cast", "date", "date_trunc", "timestamptrunc", "timestamp_trunc")


def _inner_column(ctx, table: str, expression: str) -> str | None:
    from sqlglot import exp

    from advisor.analyze.parsing import Unparseable, parse

    try:
        node = parse(f"SELECT {expression}")
    except Unparseable:
        return None
    found = node.find(exp.Column)
    return found.name if found else None


def _rewrite(function: str | None, column: str | None) -> str:
    if function in ("lower", "upper"):
        return (f"compare {column} itself: store it normalised (or as citext) and compare with "
                f"{column} = $1")
    if function in ("cast", "date", "date_trunc", "timestamp_trunc", "timestamptrunc"):
        return f"compare {column} with a range: {column} >= $1 AND {column} < $1 + interval '1 day'"
    return f"compare {column} itself so an index on ({column}) can serve the filter"


SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz);
CREATE UNIQUE INDEX ix_users_email ON users (email);
"""
ROWS = {"users": 100_000}
BAD = "SELECT * FROM users WHERE lower(email) = lower($1)"


def _bad():
    return snapshot(SCHEMA, ROWS, [stmt(BAD, plan=seq_scan("users", "(lower(email) = lower($1))", 500))])


def _bad_cast():
    return snapshot(SCHEMA, ROWS, [stmt("SELECT count(*) FROM users WHERE created_at::date = $1")])


def _good_expression_index():
    return snapshot(SCHEMA + "CREATE INDEX ix_users_lower_email ON users (lower(email));", ROWS,
                    [stmt(BAD, plan=index_scan("users", "ix_users_lower_email", "(lower(email) = lower($1))"))])


def _good_plain():
    return snapshot(SCHEMA, ROWS, [stmt("SELECT * FROM users WHERE email = $1")])


RULE = Rule(
    id="function-on-column",
    name="Function on an indexed column",
    severity="medium",
    summary="A filter applies a function or cast to the column (lower(email) = $1), so an index on the column cannot serve it.",
    docs=Docs(
        what="Finds filters that compare a function of a column (lower(), a cast, date_trunc(), a "
             "jsonb ->> extraction) on a big table when no index on that same expression exists, "
             "and names the index on the bare column that the function defeats.",
        why="A btree index on email orders the values of email, not of lower(email): PostgreSQL "
            "cannot search it for lower(email) = $1 and reads the whole table instead.",
        example=BAD + ";\n-- ix_users_email on (email) is not used: Seq Scan on users",
        use_instead="CREATE INDEX CONCURRENTLY ON users ((lower(email)));\n"
                    "-- or store emails lower-cased (or as citext) and query: WHERE email = $1",
    ),
    check=check,
    thresholds={"min_table_rows": 1_000},
    examples=[
        Example("lower(email) with only an index on email", True, _bad, "ix_users_email"),
        Example("a cast to date on a timestamptz column: rewrite as a range", True, _bad_cast,
                "created_at >= $1 AND created_at < $1 + interval '1 day'"),
        Example("an expression index on lower(email) exists", False, _good_expression_index),
        Example("the column is compared as it is", False, _good_plain),
    ],
)
