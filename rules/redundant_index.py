"""redundant-index: an index identical to another, or a prefix of another with the same predicate.

    >>> RULE.id
    'redundant-index'
"""

from __future__ import annotations

from collections.abc import Iterable

from advisor.analyze.indexes import index_keys, normal_expression, serves_by_prefix
from advisor.ddl import qualified
from advisor.model import Finding, Index
from rules._base import Docs, Example, Rule
from rules._build import snapshot


def check(ctx) -> Iterable[Finding]:
    by_table: dict[str, list[Index]] = {}
    for index in ctx.catalog.indexes:
        if index.is_valid:
            by_table.setdefault(index.table, []).append(index)
    for indexes in by_table.values():
        dropped: set[str] = set()
        for drop in sorted(indexes, key=_keep_last):
            if drop.name in dropped or _protected(drop):
                continue
            keeper = next((k for k in indexes if k is not drop and k.name not in dropped
                           and _covers(k, drop)), None)
            if keeper is not None:
                dropped.add(drop.name)
                yield _finding(ctx, drop, keeper)


def _keep_last(index: Index):
    return (_protected(index), len(index.columns), index.name)


def _protected(index: Index) -> bool:
    """Never the one to drop: it enforces a constraint or uniqueness."""
    return bool(index.constraint or index.is_primary or index.is_unique)


def _covers(keeper: Index, drop: Index) -> bool:
    if keeper.method != drop.method or _predicate(keeper) != _predicate(drop):
        return False
    if index_keys(keeper) == index_keys(drop):
        return set(drop.include) <= set(keeper.include) or not _protected(keeper)
    return serves_by_prefix(keeper, drop)


def _predicate(index: Index) -> str | None:
    return normal_expression(index.predicate) if index.predicate else None


def _finding(ctx, drop: Index, keeper: Index) -> Finding:
    same = index_keys(drop) == index_keys(keeper)
    how = "duplicates" if same else "is a prefix of"
    return ctx.finding(
        f"Index {drop.name} ({', '.join(drop.columns)}) {how} {keeper.name} "
        f"({', '.join(keeper.columns)}) on {drop.table}",
        f"Drop it: DROP INDEX CONCURRENTLY {qualified(drop.qualname)}; {keeper.name} serves the same searches"
        f"{'' if same else ' by its leading columns'}, and each write maintains one index fewer.",
        table=drop.table,
        evidence={"index": drop.qualname, "definition": drop.definition, "kept": keeper.qualname,
                  "kept_definition": keeper.definition, "size_bytes": drop.size_bytes,
                  "idx_scan": drop.idx_scan, "kind": "identical" if same else "prefix"})


SCHEMA = "CREATE TABLE products (id bigint PRIMARY KEY, status text, price numeric, name text);"


def _bad_prefix():
    return snapshot(SCHEMA + """CREATE INDEX ix_products_status ON products (status);
                    CREATE INDEX ix_products_status_price ON products (status, price);""")


def _bad_identical():
    return snapshot(SCHEMA + """CREATE INDEX ix_a ON products (name);
                    CREATE INDEX ix_b ON products (name);""")


def _good_pk_prefix():
    return snapshot(SCHEMA + "CREATE INDEX ix_products_id_status ON products (id, status);")


def _good_partial():
    return snapshot(SCHEMA + """CREATE INDEX ix_products_status ON products (status) WHERE price > 0;
                    CREATE INDEX ix_products_status_price ON products (status, price);""")


RULE = Rule(
    id="redundant-index",
    name="Redundant index",
    severity="low",
    summary="An index identical to another, or a prefix of another with the same method and predicate.",
    docs=Docs(
        what="Compares the indexes of each table: same method, same partial-index predicate, and "
             "key columns (or expressions) identical or a leading prefix of another btree index. "
             "An index backing a primary key, unique or other constraint is never the one to drop.",
        why="The longer index serves every search the prefix serves; the prefix still costs disk, "
            "cache and a write on every INSERT and UPDATE of its columns.",
        example="CREATE INDEX ix_products_status ON products (status);\n"
                "CREATE INDEX ix_products_status_price ON products (status, price);",
        use_instead="DROP INDEX CONCURRENTLY ix_products_status;  -- ix_products_status_price serves it",
    ),
    check=check,
    examples=[
        Example("(status) is a prefix of (status, price)", True, _bad_prefix, "ix_products_status "),
        Example("two identical indexes", True, _bad_identical, "duplicates"),
        Example("the primary key is a prefix but backs a constraint", False, _good_pk_prefix),
        Example("a partial index has its own predicate", False, _good_partial),
    ],
)
