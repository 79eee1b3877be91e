"""unused-index: an index no statement has used since the statistics were reset.

    >>> RULE.id
    'unused-index'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.drop_safety import scan_counts_tell, stats_days, stats_since, work_besides_scans
from advisor.ddl import qualified
from advisor.model import Finding, Index
from rules._base import Docs, Example, Rule
from rules._build import snapshot


def check(ctx) -> Iterable[Finding]:
    days = stats_days(ctx.catalog, ctx.snapshot.created_at)
    for index in ctx.catalog.indexes:
        if index.idx_scan == 0 and index.is_valid and not work_besides_scans(index, ctx.catalog,
                                                                            ctx.catalog.indexes):
            yield _finding(ctx, index, days)


def _finding(ctx, index: Index, days: float | None) -> Finding:
    since = stats_since(ctx.catalog)
    if days is None:
        window = "since the statistics were last reset (when is unknown)"
    else:
        window = f"in the {days:.1f} days the statistics cover (since {since})"
    enough = days is not None and days >= ctx.threshold("min_stats_days")
    caution = "" if enough else (f" The statistics cover less than {ctx.threshold('min_stats_days')} "
                                 f"days: check rarer jobs (reports, month-end) before dropping it.")
    method = scan_counts_tell(index)
    if method:
        caution += f" It is {method}."
        enough = False
    size = f"{index.size_bytes / 1048576:,.1f} MB"
    return ctx.finding(
        f"Index {index.name} on {index.table} ({', '.join(index.columns)}) has not been used {window}",
        f"Drop it to save {size} and the write cost on every INSERT/UPDATE: "
        f"DROP INDEX CONCURRENTLY {qualified(index.qualname)};{caution} Check replicas too: usage counts are per server.",
        table=index.table, confidence="high" if enough else "low",
        evidence={"index": index.qualname, "definition": index.definition, "idx_scan": index.idx_scan,
                  "size_bytes": index.size_bytes, "stats_reset": ctx.catalog.stats_reset,
                  "stats_since": since, "stats_days": None if days is None else round(days, 1)})


SCHEMA = """
CREATE TABLE sellers (id bigint PRIMARY KEY);
CREATE TABLE products (id bigint PRIMARY KEY, sku text UNIQUE, name text, created_at timestamptz,
                       seller_id bigint REFERENCES sellers (id));
CREATE INDEX ix_products_created_at ON products (created_at);
CREATE INDEX ix_products_seller_id ON products (seller_id);
"""


def _bad():
    return snapshot(SCHEMA, {"products": 50_000}, index_scans={"ix_products_created_at": 0})


def _good_constraint():
    return snapshot(SCHEMA, {"products": 50_000},
                    index_scans={"products_pkey": 0, "products_sku_key": 0, "ix_products_created_at": 7})


def _good_foreign_key():
    return snapshot(SCHEMA, {"products": 50_000}, index_scans={"ix_products_seller_id": 0,
                                                               "ix_products_created_at": 7})


RULE = Rule(
    id="unused-index",
    name="Unused index",
    severity="low",
    summary="An index with no scans since the statistics were reset, that backs no constraint "
            "and serves no foreign key.",
    docs=Docs(
        what="Lists indexes with idx_scan = 0 that are not a primary key, unique, backing a "
             "constraint or serving the referencing side of a foreign key, nor on a partitioned "
             "table or a partition, and says how long the usage statistics cover (from the later "
             "of pg_stat_database.stats_reset and the server's start to the snapshot); with less "
             "than the threshold, or for a GiST/GIN/BRIN or expression index, it lowers its "
             "confidence. Drop advice has its own, longer minimum (recommend.drop_min_stats_days).",
        why="Every index is updated on every INSERT and on UPDATEs of its columns, takes disk and "
            "cache, and slows VACUUM, whether or not a query reads it.",
        example="-- ix_products_created_at: idx_scan = 0 over 31 days\n"
                "CREATE INDEX ix_products_created_at ON products (created_at);",
        use_instead="DROP INDEX CONCURRENTLY ix_products_created_at;",
    ),
    check=check,
    thresholds={"min_stats_days": 7},
    examples=[
        Example("an index nobody scanned in 31 days", True, _bad, "31.0 days"),
        Example("unscanned primary key and unique constraint are kept", False, _good_constraint),
        Example("an unscanned index serving a foreign key is kept", False, _good_foreign_key),
    ],
)
