"""low-selectivity-filter: the filter keeps most of the table, so no index would help.

    >>> RULE.id
    'low-selectivity-filter'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.model import ColumnStats, Finding, Predicate, Table, TableAccess
from rules._base import Docs, Example, Rule
from rules._build import seq_scan, snapshot, stmt
from rules._common import percent

TRUE_VALUES = ("t", "true")


def check(ctx) -> Iterable[Finding]:
    groups: dict[tuple[str, str], list] = {}
    for statement, shape in ctx.statements():
        for access in shape.tables:
            table = ctx.table(access.table)
            if table is None or ctx.rows(access.table) < ctx.threshold("min_table_rows"):
                continue
            kept = _fraction_kept(table, access)
            if kept is not None and kept[0] >= ctx.threshold("min_fraction_kept"):
                key = (access.table, ", ".join(_describe(p) for p in access.predicates))
                groups.setdefault(key, []).append((statement, kept))
    for (table, filter_text), hits in groups.items():
        yield _finding(ctx, table, filter_text, hits)


def _fraction_kept(table: Table, access: TableAccess) -> tuple[float, dict] | None:
    """The share of rows all the access's predicates keep, when statistics can say for each."""
    if not access.predicates or access.join_columns:
        return None
    fraction, parts = 1.0, {}
    for predicate in access.predicates:
        column = table.column(predicate.column) if not predicate.function else None
        kept = _kept(predicate, column.stats, table) if column and column.stats else None
        if kept is None:
            return None
        fraction *= kept
        parts[_describe(predicate)] = round(kept, 4)
    return fraction, parts


def _kept(predicate: Predicate, stats: ColumnStats, table: Table) -> float | None:
    values = [str(v) for v in stats.most_common_vals or []]
    freqs = list(stats.most_common_freqs or [])
    if predicate.op == "is null":
        return stats.null_frac
    if predicate.op == "is not null":
        return 1.0 - stats.null_frac
    if predicate.op != "=":
        return None
    if predicate.value is not None:
        value = predicate.value.strip("'").lower()
        value = "t" if value == "true" else "f" if value == "false" else value
        for v, f in zip(values, freqs, strict=False):
            if v.lower() == value or (v.lower() in TRUE_VALUES and value == "t"):
                return f
        return None
    if freqs and sum(freqs) > 0:
        return sum(f * f for f in freqs) / sum(freqs)  # the expected share for a typical value
    distinct = stats.n_distinct if stats.n_distinct > 0 else -stats.n_distinct * table.reltuples
    return 1.0 / distinct if distinct >= 1 else None


def _describe(p: Predicate) -> str:
    value = "" if p.op in ("is null", "is not null") else f" {p.value or '$n'}"
    return f"{p.column} {p.op}{value}"


def _finding(ctx, table: str, filter_text: str, hits: list) -> Finding:
    statements = list({s.fingerprint: s for s, _ in hits}.values())
    fraction, parts = hits[0][1]
    return ctx.finding(
        f"The filter {filter_text} on {table} keeps ~{percent(fraction)} of the rows: an index would "
        f"not help, PostgreSQL reads most of the table either way",
        "Do not add an index for this filter. If the statement is slow, return fewer rows "
        "(a more selective filter, LIMIT with keyset pagination) or pre-aggregate; a partial index "
        "only pays for the rare values.",
        table=table, statements=[s.fingerprint for s in statements],
        evidence={"fraction_kept": round(fraction, 4), "per_predicate": parts, "worth_an_index": False,
                  **ctx.workload_evidence(statements)})


SCHEMA = "CREATE TABLE products (id bigint PRIMARY KEY, status text, seller_id bigint, price numeric);"
STATS = {"products.status": ColumnStats(n_distinct=3, most_common_vals=["active", "draft", "archived"],
                                        most_common_freqs=[0.8, 0.15, 0.05]),
         "products.seller_id": ColumnStats(n_distinct=-0.01)}
BAD = "SELECT * FROM products WHERE status = 'active'"


def _bad():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt(BAD, plan=seq_scan("products", "(status = 'active')", 80_000))],
                    stats=STATS)


def _bad_param():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt("SELECT * FROM products WHERE status = $1")],
                    stats=STATS)


def _good_rare_value():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt("SELECT * FROM products WHERE status = 'archived'")],
                    stats=STATS)


def _good_selective_other():
    return snapshot(SCHEMA, {"products": 100_000},
                    [stmt("SELECT * FROM products WHERE status = 'active' AND seller_id = $1")], stats=STATS)


RULE = Rule(
    id="low-selectivity-filter",
    name="Low-selectivity filter",
    severity="info",
    summary="The filter keeps most rows (per pg_stats): no index would help, and none is suggested.",
    docs=Docs(
        what="Estimates from pg_stats (most_common_vals/most_common_freqs, n_distinct, null_frac) "
             "the share of rows a statement's filter on a table keeps. When every predicate can be "
             "estimated and together they keep at least the threshold, it says explicitly that an "
             "index is not worth it.",
        why="Reading most of a table through an index is slower than a sequential scan: random "
            "I/O for every row instead of sequential pages. The index would only cost writes.",
        example=BAD + ";  -- 80% of products are active",
        use_instead="-- no index; return fewer rows instead:\n"
                    "SELECT * FROM products WHERE status = 'active' ORDER BY id LIMIT 50;",
    ),
    check=check,
    thresholds={"min_fraction_kept": 0.2, "min_table_rows": 1_000},
    examples=[
        Example("status = 'active' keeps 80% of the rows", True, _bad, "80%"),
        Example("status = $1 over three values", True, _bad_param, "keeps"),
        Example("a rare value is selective", False, _good_rare_value),
        Example("another predicate is selective", False, _good_selective_other),
    ],
)
