"""low-selectivity-filter: the filter keeps most of the table, so no index would help.

    >>> RULE.id
    'low-selectivity-filter'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.model import ColumnStats, Finding, Predicate, Table, TableAccess
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
            kept = _fraction_kept(ctx, statement, table, access)
            if kept is not None and kept[0] >= ctx.threshold("min_fraction_kept"):
                key = (access.table, ", ".join(_describe(p) for p in access.predicates))
                groups.setdefault(key, []).append((statement, kept))
    for (table, filter_text), hits in groups.items():
        yield _finding(ctx, table, filter_text, hits)


def _fraction_kept(ctx, statement, table: Table, access: TableAccess) -> tuple[float, dict, str] | None:
    """The share of rows all the access's predicates keep, when statistics can say for each."""
    if not access.predicates or access.join_columns:
        return None
    fraction, parts, basis = 1.0, {}, "constant"
    for predicate in access.predicates:
        column = table.column(predicate.column) if not predicate.function else None
        if column is None or column.stats is None:
            return None
        observed = _observed(ctx, statement, predicate) if predicate.value is None else []
        kept = _kept(predicate, column.stats, table, observed)
        if kept is None:
            return None
        if predicate.op == "=" and predicate.value is None:
            basis = "traced values" if observed else "any value"
        fraction *= kept
        parts[_describe(predicate)] = round(kept, 4)
    return fraction, parts, basis


def _observed(ctx, statement, predicate: Predicate) -> list[str]:
    """The values traces show for the predicate's parameter (from params, or literal log text)."""
    from advisor.analyze.shapes import extract_shape

    values: list[str] = []
    for trace_ in ctx.snapshot.traces:
        for event in trace_.events:
            if event.fingerprint != statement.fingerprint or len(values) >= MAX_OBSERVED:
                continue
            if event.params and predicate.param and predicate.param <= len(event.params):
                values.append(str(event.params[predicate.param - 1]))
            elif event.query != statement.query:
                literal = extract_shape(event.query, ctx.catalog, event.fingerprint)
                values += [p.value.strip("'") for a in literal.tables for p in a.predicates
                           if p.column == predicate.column and p.op == "=" and p.value]
    return values


def _kept(predicate: Predicate, stats: ColumnStats, table: Table, observed: list[str]) -> float | None:
    if predicate.op == "is null":
        return stats.null_frac
    if predicate.op == "is not null":
        return 1.0 - stats.null_frac
    if predicate.op != "=":
        return None
    if predicate.value is not None:
        return _frequency(predicate.value.strip("'"), stats, table)
    if observed:
        found = [_frequency(v, stats, table) for v in observed]
        known = [f for f in found if f is not None]
        return sum(known) / len(known) if known else None
    # A parameter never seen: only claim "keeps most rows" if even the rarest value does.
    candidates = list(stats.most_common_freqs or [])
    rest = _other_value(stats, table)
    if rest is not None:
        candidates.append(rest)
    return min(candidates) if candidates else None


def _frequency(value: str, stats: ColumnStats, table: Table) -> float | None:
    value = _normal(value)
    for v, f in zip(stats.most_common_vals or [], stats.most_common_freqs or [], strict=False):
        if _normal(str(v)) == value:
            return f
    return _other_value(stats, table)


def _other_value(stats: ColumnStats, table: Table) -> float | None:
    """The share of one value outside the most common ones (PostgreSQL's own estimate)."""
    freqs = stats.most_common_freqs or []
    distinct = stats.n_distinct if stats.n_distinct > 0 else -stats.n_distinct * table.reltuples
    others = distinct - len(freqs)
    if others < 1:
        return None
    return max(0.0, 1.0 - sum(freqs) - stats.null_frac) / others


def _normal(value: str) -> str:
    value = value.strip().strip("'").lower()
    return {"true": "t", "false": "f"}.get(value, value)


def _describe(p: Predicate) -> str:
    value = "" if p.op in ("is null", "is not null") else f" {p.value or '$n'}"
    return f"{p.column} {p.op}{value}"


def _finding(ctx, table: str, filter_text: str, hits: list) -> Finding:
    statements = list({s.fingerprint: s for s, _ in hits}.values())
    fraction, parts, basis = hits[0][1]
    said = {"traced values": " for the values the traces show", "any value": " whatever the value",
            "constant": ""}[basis]
    return ctx.finding(
        f"The filter {filter_text} on {table} keeps ~{percent(fraction)} of the rows{said}: an index "
        f"would not help, PostgreSQL reads most of the table either way",
        "Do not add an index for this filter. If the statement is slow, return fewer rows "
        "(a more selective filter, LIMIT with keyset pagination) or pre-aggregate; a partial index "
        "only pays for the rare values.",
        table=table, statements=[s.fingerprint for s in statements],
        evidence={"fraction_kept": round(fraction, 4), "per_predicate": parts, "worth_an_index": False,
                  "basis": basis,
                  **ctx.workload_evidence(statements)})


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
        Example("status = $1, traced with 'active'", True, _bad_param, "for the values the traces show"),
        Example("status = $1 where every value keeps 40% or more", True, _bad_boolean_like, "whatever the value"),
        Example("status = $1 never traced: the rare values are selective", False, _good_param_unseen),
        Example("a rare value is selective", False, _good_rare_value),
        Example("another predicate is selective", False, _good_selective_other),
    ],
)
