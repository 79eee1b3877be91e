"""Questions rules ask about existing indexes: does one lead with these columns, or this expression?

    >>> from advisor.model import Index
    >>> ix = Index("public", "ix", "public.users", "", columns=["lower((email)::text)"])
    >>> same_expression("lower(email)", ix.columns[0])
    True
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

from advisor.analyze.parsing import SQLGLOT_ERRORS
from advisor.model import Catalog, Index

_DIRECTION = re.compile(r"\s+(asc|desc)(\s+nulls\s+(first|last))?\s*$", re.I)


def key_column(text: str) -> str:
    """An index key as written in pg_get_indexdef, without direction or quotes."""
    text = _DIRECTION.sub("", text.strip())
    return text[1:-1].replace('""', '"') if text.startswith('"') and text.endswith('"') else text


@lru_cache(maxsize=4096)
def normal_expression(text: str) -> str:
    """Text of an expression with casts to text, parentheses and qualifiers removed, lower-cased."""
    try:
        node = sqlglot.parse_one(key_column(text), read="postgres")
    except SQLGLOT_ERRORS:
        return " ".join(text.lower().split())

    def strip(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Cast) and n.to.this in (exp.DataType.Type.TEXT, exp.DataType.Type.VARCHAR):
            return n.this
        if isinstance(n, exp.Paren):
            return n.this
        if isinstance(n, exp.Column):
            return exp.column(n.name)
        return n

    for _ in range(4):
        node = node.transform(strip)
    return node.sql(dialect="postgres", normalize_functions="lower").lower()


def same_expression(a: str, b: str) -> bool:
    return normal_expression(a) == normal_expression(b)


def serves_by_prefix(keeper: Index, other: Index) -> bool:
    """``other``'s keys are a leading part of ``keeper``'s, both B-trees with one predicate,
    ``other``'s INCLUDE columns among ``keeper``'s columns: ``keeper`` serves every search
    ``other`` serves (by its leading keys).

    >>> wide = Index("public", "w", "public.t", "", columns=["a", "b"], include=["c"])
    >>> serves_by_prefix(wide, Index("public", "n", "public.t", "", columns=["a"], include=["b"]))
    True
    """
    if keeper.table != other.table or (keeper.method or "btree") != "btree" \
            or (other.method or "btree") != "btree" or _predicate(keeper) != _predicate(other):
        return False
    keys, prefix = index_keys(keeper), index_keys(other)
    return len(prefix) < len(keys) and keys[:len(prefix)] == prefix and \
        {normal_expression(c) for c in other.include} <= set(keys) | {normal_expression(c) for c in keeper.include}


def index_keys(index: Index) -> list[str]:
    return [normal_expression(c) for c in index.columns]


def _predicate(index: Index) -> str | None:
    return normal_expression(index.predicate) if index.predicate else None


def usable_indexes(catalog: Catalog, table: str) -> list[Index]:
    return [i for i in catalog.indexes_on(table) if i.is_valid and i.is_ready]


def leading_index(catalog: Catalog, table: str, column: str, method: str = "btree") -> Index | None:
    """An index on ``table`` whose first key is ``column`` (a name or an expression)."""
    for index in usable_indexes(catalog, table):
        if index.method == method and index.columns and same_expression(index.columns[0], column):
            return index
    return None


def index_with_prefix(catalog: Catalog, table: str, columns: list[str]) -> Index | None:
    """A btree index whose leading keys are ``columns`` in any order (enough for equality)."""
    wanted = {normal_expression(c) for c in columns}
    for index in usable_indexes(catalog, table):
        keys = {normal_expression(c) for c in index.columns[:len(columns)]}
        if index.method == "btree" and len(index.columns) >= len(columns) and keys == wanted:
            return index
    return None


def indexes_on_column(catalog: Catalog, table: str, column: str) -> list[Index]:
    return [i for i in usable_indexes(catalog, table)
            if any(normal_expression(c) == normal_expression(column) for c in i.columns)]
