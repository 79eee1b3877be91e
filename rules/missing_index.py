"""missing-index: a big table read in full to find a few rows, join partners or the first rows.

    >>> RULE.id, sorted(RULE.thresholds)
    ('missing-index', ['max_selectivity', 'min_table_rows'])
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from advisor.analyze.indexes import index_with_prefix, leading_index
from advisor.analyze.selectivity import kept
from advisor.ddl import qualified
from advisor.model import ColumnStats, Finding, Statement
from rules._base import Docs, Example, Rule
from rules._build import hash_join, index_scan, limit_sort, seq_scan, snapshot, stmt
from rules._common import (
    UNSELECTIVE,
    access_for,
    ddl_columns,
    index_columns,
    percent,
    selective_equalities,
    time_share,
)

REASONS = {"seq-scan": "filter", "nested-loop-scan": "join", "join-scan": "join", "sort-limit": "sort",
           "index-filter": "index-filter"}


def check(ctx) -> Iterable[Finding]:
    groups: dict[tuple, list] = {}
    for statement, shape in ctx.statements():
        for evidence in ctx.evidence.get(statement.fingerprint, []):
            reason = REASONS.get(evidence.kind)
            if not reason or not evidence.relation or ctx.rows(evidence.relation) < ctx.threshold("min_table_rows"):
                continue
            access = access_for(shape, evidence)
            if access is None:
                continue
            if reason == "index-filter":
                if not _filters_much(evidence):
                    continue
                reason = "sort" if access.order_by else "filter"
                if not _selective_enough(ctx, statement, access):
                    continue
            elif reason == "filter" and (evidence.selectivity is None
                                         or evidence.selectivity > ctx.threshold("max_selectivity")):
                continue
            columns = _columns(ctx, statement, reason, access, evidence)
            if columns and not _indexed(ctx, evidence.relation, reason, columns):
                key = (evidence.relation, tuple(columns))  # one index serves filters and joins alike
                groups.setdefault(key, []).append((statement, evidence, reason))
    for (table, columns), hits in _widest(groups).items():
        yield _finding(ctx, table, list(columns), hits)


def _columns(ctx, statement, reason: str, access, evidence) -> list[str]:
    equal = selective_equalities(ctx, statement, access)
    if reason == "filter":
        return index_columns(ctx, statement, access)
    if reason == "join":
        joined = [c for c in access.join_columns if c not in equal]
        in_cond = [c for c in joined if evidence.cond and re.search(rf"\b{re.escape(c)}\b", evidence.cond)]
        return (equal + (in_cond or joined))[:3]
    order = [o.column + (" DESC" if o.desc else "") for o in access.order_by if o.column not in equal]
    if evidence.kind == "index-filter" and not equal:
        return []  # the index already gives the order; what it filters keeps most rows
    if _other_filters(ctx, statement, access, equal):
        return []  # rows in order would still be filtered by a condition no btree key serves
    return (equal + order)[:4] if order else []


def _filters_much(evidence) -> bool:
    """An index scan that filters: a full ordered scan (no Index Cond), or many rows removed."""
    if evidence.analyzed and evidence.rows_removed is not None:
        return evidence.rows_removed >= 10 * max(evidence.actual_rows or 0.0, 1.0)
    return not evidence.index_cond


def _other_filters(ctx, statement, access, keys: list[str]) -> bool:
    table = ctx.table(access.table)
    for p in access.predicates:
        if p.column in keys:
            continue
        share = kept(p, table, ctx.observed(statement, p)) if table else None
        if share is None or share <= UNSELECTIVE:
            return True
    return False


def _selective_enough(ctx, statement, access) -> bool:
    """For an index scan that filters: do the filtered equalities keep few rows (pg_stats)?"""
    table = ctx.table(access.table)
    fraction = 1.0
    for column in selective_equalities(ctx, statement, access):
        predicate = next(p for p in access.predicates if p.column == column and not p.function)
        share = kept(predicate, table, ctx.observed(statement, predicate)) if table else None
        if share is None:
            return True  # no statistics: the plan's filter is the evidence
        fraction *= share
    return fraction <= ctx.threshold("max_selectivity")


def _widest(groups: dict[tuple, list]) -> dict[tuple, list]:
    """Drop (a) when the same statements also want (a, b): one index serves both."""
    def covered(key) -> bool:
        table, columns = key
        mine = {h[0].fingerprint for h in groups[key]}
        return any(other[0] == table and len(other[1]) > len(columns)
                   and [c.split()[0] for c in other[1][:len(columns)]] == [c.split()[0] for c in columns]
                   and mine <= {h[0].fingerprint for h in groups[other]}
                   for other in groups)

    return {key: hits for key, hits in groups.items() if not covered(key)}


def _indexed(ctx, table: str, reason: str, columns: list[str]) -> bool:
    if reason == "sort":
        return index_with_prefix(ctx.catalog, table, columns) is not None
    return leading_index(ctx.catalog, table, columns[0]) is not None


def _finding(ctx, table: str, columns: list[str], hits: list) -> Finding:
    statements: list[Statement] = list({s.fingerprint: s for s, _, _ in hits}.values())
    _top, evidence, reason = max(hits, key=lambda h: h[0].total_time_ms)
    rows = ctx.rows(table)
    names = ", ".join(columns)
    if evidence.kind == "index-filter":
        message = (f"{evidence.node} using {evidence.index} on {table} ({rows:,.0f} rows) reads rows "
                   f"it then throws away with Filter {evidence.filter}; no index leads with {names}")
    elif reason == "filter":
        message = (f"Seq Scan on {table} ({rows:,.0f} rows) filters on {names} and keeps ~"
                   f"{percent(evidence.selectivity)} of the rows; no index leads with {columns[0]}")
    elif reason == "join":
        message = (f"{evidence.node} reads all of {table} ({rows:,.0f} rows) to match "
                   f"{evidence.loops or 0:,.0f} rows on {names}; no index leads with {columns[0]}")
    else:
        message = (f"{table} ({rows:,.0f} rows) is sorted on {names} to return the first rows of a "
                   f"LIMIT; no index provides that order")
    work = ctx.workload_evidence(statements)
    help = (f"Create an index: CREATE INDEX CONCURRENTLY ON {qualified(table)} ({ddl_columns(columns)}); "
            f"it serves {len(statements)} statement(s), {time_share(work)}.")
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


LISTING = ("SELECT * FROM products WHERE status = $1 AND category_id = $2 "
           "ORDER BY created_at DESC LIMIT 20")
PRODUCTS = """
CREATE TABLE products (id bigint PRIMARY KEY, category_id bigint, status text, created_at timestamptz);
CREATE INDEX ix_products_created_at ON products (created_at);
"""


def _bad_index_filter():
    scan = dict(index_scan("products", "ix_products_created_at", None, rows=20, cost=900.0),
                **{"Scan Direction": "Backward", "Filter": "((status = $1) AND (category_id = $2))"})
    scan.pop("Index Cond")
    plan = {"Node Type": "Limit", "Total Cost": 900.0, "Plan Rows": 20, "Plans": [scan]}
    stats = {"products.status": ColumnStats(n_distinct=3, most_common_vals=["active", "draft", "archived"],
                                            most_common_freqs=[0.95, 0.03, 0.02]),
             "products.category_id": ColumnStats(n_distinct=60)}
    return snapshot(PRODUCTS, {"products": 200_000}, [stmt(LISTING, plan=plan)], stats=stats)


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
        Example("a backward index scan filtering a selective column", True, _bad_index_filter,
                "Filter ((status = $1) AND (category_id = $2))"),
        Example("the same filter served by an index", False, _good_indexed),
        Example("a filter that keeps most rows: no index would help", False, _good_unselective),
    ],
)
