"""low-selectivity-filter: the filter keeps most of the table, so no index would help.

    >>> RULE.id
    'low-selectivity-filter'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.selectivity import kept, other_value
from advisor.model import ColumnStats, Finding, Predicate, Table
from rules._base import Docs, Example, Rule
from rules._build import seq_scan, snapshot, stmt, trace
from rules._common import percent

MAX_OBSERVED = 200


def check(ctx) -> Iterable[Finding]:
    groups: dict[tuple[str, str], list] = {}
    for statement, shape in ctx.statements():
        for access in shape.tables:
            table = ctx.table(access.table)
            if table is None or ctx.rows(access.table) < ctx.threshold("min_table_rows"):
                continue
            for predicate in access.predicates:
                share = _share(ctx, statement, table, predicate)
                if share is not None and share[0] >= ctx.threshold("min_fraction_kept"):
                    groups.setdefault((access.table, _describe(predicate, share[1])), []).append(
                        (statement, predicate, share))
    for (table, text), hits in groups.items():
        yield _finding(ctx, table, text, hits)


def _share(ctx, statement, table: Table, predicate: Predicate) -> tuple[float, str] | None:
    """(share of rows kept, on what basis) when pg_stats can tell; None otherwise."""
    if predicate.function or predicate.op not in ("=", "is null", "is not null"):
        return None
    column = table.column(predicate.column)
    if column is None or column.stats is None:
        return None
    if predicate.value is not None or predicate.op != "=":
        return _known(kept(predicate, table), "constant")
    observed = ctx.observed(statement, predicate)
    if observed:
        return _known(kept(predicate, table, observed), "traced values")
    # A parameter never seen: only claim "keeps most rows" if even the rarest value does.
    candidates = list(column.stats.most_common_freqs or [])
    rest = other_value(column.stats, table)
    if rest is not None:
        candidates.append(rest)
    return (min(candidates), "any value") if candidates else None


def _known(share: float | None, basis: str) -> tuple[float, str] | None:
    """pg_stats can leave the share unknown (no n_distinct, no most common values)."""
    return (share, basis) if share is not None else None


def _describe(p: Predicate, basis: str = "constant") -> str:
    if p.op in ("is null", "is not null"):
        return f"{p.column} {p.op}"
    return f"{p.column} {p.op} {p.value or '$' + str(p.param or 'n')}"


def _finding(ctx, table: str, text: str, hits: list) -> Finding:
    statements = list({s.fingerprint: s for s, _, _ in hits}.values())
    fraction, basis = max((h[2] for h in hits), key=lambda share: share[0])
    column = hits[0][1].column
    said = {"traced values": " for the values the traces show", "any value": " whatever the value",
            "constant": ""}[basis]
    return ctx.finding(
        f"The filter {text} on {table} keeps ~{percent(fraction)} of the rows{said}: an index on "
        f"{column} would not help, PostgreSQL reads most of the table either way",
        f"Do not index {column} for this filter. If the statement is slow, index its selective "
        f"conditions instead, return fewer rows (LIMIT with keyset pagination) or pre-aggregate; a "
        f"partial index only pays for the rare values.",
        table=table, statements=[s.fingerprint for s in statements],
        evidence={"fraction_kept": round(fraction, 4), "column": column, "basis": basis,
                  "worth_an_index": False, **ctx.workload_evidence(statements)})


SCHEMA = "CREATE TABLE products (id bigint PRIMARY KEY, status text, seller_id bigint, price numeric);"
STATS = {"products.status": ColumnStats(n_distinct=3, most_common_vals=["active", "draft", "archived"],
                                        most_common_freqs=[0.8, 0.15, 0.05]),
         "products.seller_id": ColumnStats(n_distinct=-0.01)}
BAD = "SELECT * FROM products WHERE status = 'active'"


def _bad():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt(BAD, plan=seq_scan("products", "(status = 'active')", 80_000))],
                    stats=STATS)


PARAM = "SELECT * FROM products WHERE status = $1"


def _bad_param():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt(PARAM)], stats=STATS,
                    traces=[trace("GET /products", [(PARAM, ["active"])], trace_id=f"r{i}") for i in range(3)])


def _bad_boolean_like():
    stats = {"products.status": ColumnStats(n_distinct=2, most_common_vals=["active", "draft"],
                                            most_common_freqs=[0.6, 0.4])}
    return snapshot(SCHEMA, {"products": 100_000}, [stmt(PARAM)], stats=stats)


def _good_param_unseen():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt(PARAM)], stats=STATS)


def _good_rare_value():
    return snapshot(SCHEMA, {"products": 100_000}, [stmt("SELECT * FROM products WHERE status = 'archived'")],
                    stats=STATS)


def _good_selective_other():
    return snapshot(SCHEMA, {"products": 100_000},
                    [stmt("SELECT * FROM products WHERE status = 'draft' AND seller_id = $1")], stats=STATS)


RULE = Rule(
    id="low-selectivity-filter",
    name="Low-selectivity filter",
    severity="info",
    summary="The filter keeps most rows (per pg_stats): no index would help, and none is suggested.",
    docs=Docs(
        what="For each equality or IS [NOT] NULL predicate on a big table, estimates from pg_stats "
             "(most_common_vals/most_common_freqs, n_distinct, null_frac) the share of rows it "
             "keeps: for a constant its frequency; for a parameter the values traces show, else "
             "the rarest value. When that share is at least the threshold it says explicitly that "
             "an index on the column is not worth it.",
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
        Example("status = $1, traced with 'active'", True, _bad_param, "for the values the traces show"),
        Example("status = $1 where every value keeps 40% or more", True, _bad_boolean_like, "whatever the value"),
        Example("status = $1 never traced: the rare values are selective", False, _good_param_unseen),
        Example("a rare value is selective", False, _good_rare_value),
        Example("a selective column beside it is not flagged", False, _good_selective_other),
    ],
)
