"""missing-index: a big table read in full to find a few rows, join partners or the first rows.

    >>> RULE.id, sorted(RULE.thresholds)
    ('missing-index', ['max_selectivity', 'min_table_rows'])
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.indexes import index_with_prefix, leading_index
from advisor.model import Finding, Statement
from rules._base import Docs, Example, Rule
from rules._build import hash_join, index_scan, limit_sort, seq_scan, snapshot, stmt
from rules._common import EQUALITY, access_for, ddl_columns, index_columns, percent, plain

REASONS = {"seq-scan": "filter", "nested-loop-scan": "join", "join-scan": "join", "sort-limit": "sort"}


def check(ctx) -> Iterable[Finding]:
    groups: dict[tuple, list] = {}
    for statement, shape in ctx.statements():
        for evidence in ctx.evidence.get(statement.fingerprint, []):
            reason = REASONS.get(evidence.kind)
            if not reason or not evidence.relation or ctx.rows(evidence.relation) < ctx.threshold("min_table_rows"):
                continue
            if reason == "filter" and (evidence.selectivity is None
                                       or evidence.selectivity > ctx.threshold("max_selectivity")):
                continue
            access = access_for(shape, evidence)
            columns = _columns(reason, access) if access else []
            if columns and not _indexed(ctx, evidence.relation, reason, columns):
                key = (evidence.relation, tuple(columns))  # one index serves filters and joins alike
                groups.setdefault(key, []).append((statement, evidence, reason))
    for (table, columns), hits in groups.items():
        yield _finding(ctx, table, list(columns), hits)


def _columns(reason: str, access) -> list[str]:
    if reason == "filter":
        return index_columns(access)
    if reason == "join":
        equal = plain(access.predicates, EQUALITY)
        return (equal + [c for c in access.join_columns if c not in equal])[:3]
    equal = plain(access.predicates, EQUALITY)
    order = [o.column + (" DESC" if o.desc else "") for o in access.order_by if o.column not in equal]
    return (equal + order)[:4] if order else []


def _indexed(ctx, table: str, reason: str, columns: list[str]) -> bool:
    if reason == "sort":
        return index_with_prefix(ctx.catalog, table, columns) is not None
    return leading_index(ctx.catalog, table, columns[0]) is not None


def _finding(ctx, table: str, columns: list[str], hits: list) -> Finding:
    statements: list[Statement] = list({s.fingerprint: s for s, _, _ in hits}.values())
    _top, evidence, reason = max(hits, key=lambda h: h[0].total_time_ms)
    rows = ctx.rows(table)
    names = ", ".join(columns)
    if reason == "filter":
        message = (f"Seq Scan on {table} ({rows:,.0f} rows) filters on {names} and keeps ~"
                   f"{percent(evidence.selectivity)} of the rows; no index leads with {columns[0]}")
    elif reason == "join":
        message = (f"{evidence.node} reads all of {table} ({rows:,.0f} rows) to match "
                   f"{evidence.loops or 0:,.0f} rows on {names}; no index leads with {columns[0]}")
    else:
        message = (f"{table} ({rows:,.0f} rows) is sorted on {names} to return the first rows of a "
                   f"LIMIT; no index provides that order")
    work = ctx.workload_evidence(statements)
    help = (f"Create an index: CREATE INDEX CONCURRENTLY ON {table} ({ddl_columns(columns)}); "
            f"it serves {len(statements)} statement(s), {percent(work['share_of_total_time'])} of "
            f"total execution time.")
    details = {"reason": reason, "reasons": sorted({r for _, _, r in hits}), "plan_node": evidence.to_dict(), "table_rows": rows,
               "index_columns": columns, "rows_removed": evidence.rows_removed,
               "selectivity": evidence.selectivity, **work}
    return ctx.finding(message, help, table=table, statements=[s.fingerprint for s in statements],
                       evidence={k: v for k, v in details.items() if v is not None})


SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                     status text NOT NULL, created_at timestamptz NOT NULL);
"""
ROWS = {"users": 20_000, "orders": 200_000}
BAD_FILTER = "SELECT * FROM orders WHERE user_id = $1"
BAD_SORT = "SELECT * FROM orders ORDER BY created_at DESC LIMIT 20"
BAD_JOIN = "SELECT o.* FROM users u JOIN orders o ON o.user_id = u.id WHERE u.email = $1"


def _bad_filter():
    return snapshot(SCHEMA, ROWS, [stmt(BAD_FILTER, plan=seq_scan("orders", "(user_id = $1)", 10, 4000))])


def _bad_sort():
    return snapshot(SCHEMA, ROWS, [stmt(BAD_SORT, plan=limit_sort(["created_at DESC"],
                                                                 seq_scan("orders", None, 200_000, 3500)))])


def _bad_join():
    plan = hash_join(seq_scan("orders", None, 200_000, 3500, alias="o"),
                     index_scan("users", "users_email_key", "(email = $1)"), "(o.user_id = u.id)")
    return snapshot(SCHEMA + "CREATE UNIQUE INDEX users_email_key ON users (email);", ROWS,
                    [stmt(BAD_JOIN, plan=plan)])


def _good_indexed():
    return snapshot(SCHEMA + "CREATE INDEX ix_orders_user_id ON orders (user_id);", ROWS,
                    [stmt(BAD_FILTER, plan=index_scan("orders", "ix_orders_user_id", "(user_id = $1)", 10))])


def _good_unselective():
    return snapshot(SCHEMA, ROWS, [stmt("SELECT * FROM orders WHERE status = $1",
                                        plan=seq_scan("orders", "(status = $1)", 150_000, 4000))])


RULE = Rule(
    id="missing-index",
    name="Missing index",
    severity="high",
    summary="A big table is read in full to find a few rows, match a join or return the first rows in order.",
    docs=Docs(
        what="Reads each statement's plan: a sequential scan of a big table whose filter keeps few "
             "rows, a hash/merge join or nested loop that reads a whole big table to match a few "
             "rows, or a sort of a big table feeding a LIMIT. When no index leads with the "
             "filtered, joined or sorted columns, it names the index that would serve them, with "
             "the rows removed and the statements' share of total execution time.",
        why="Without the index PostgreSQL reads every row of the table on every call: the cost "
            "grows with the table, not with the result, and the I/O evicts other data from cache.",
        example=BAD_FILTER + ";\n-- Seq Scan on orders  Filter: (user_id = $1)  (200,000 rows, keeps 10)",
        use_instead="CREATE INDEX CONCURRENTLY ON orders (user_id);\n-- Index Scan using ... on orders",
    ),
    check=check,
    thresholds={"min_table_rows": 10_000, "max_selectivity": 0.05},
    examples=[
        Example("filter on an unindexed column of a 200k-row table", True, _bad_filter, "user_id"),
        Example("sort of a big table feeding a LIMIT", True, _bad_sort, "sorted on created_at DESC"),
        Example("hash join reading all orders to match one user's", True, _bad_join, "user_id"),
        Example("the same filter served by an index", False, _good_indexed),
        Example("a filter that keeps most rows: no index would help", False, _good_unselective),
    ],
)
