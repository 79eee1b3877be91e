"""Candidate indexes for each statement, from its query shape and the catalog's statistics.

    >>> from advisor.model import Catalog, Column, ColumnStats, Predicate, QueryShape, Table, TableAccess
    >>> t = Table("public", "orders", reltuples=100_000, columns=[
    ...     Column("customer_id", "bigint", stats=ColumnStats(n_distinct=5000)),
    ...     Column("created_at", "timestamptz", stats=ColumnStats(n_distinct=-1))])
    >>> shape = QueryShape("f1", "select", [TableAccess("public.orders", predicates=[
    ...     Predicate("customer_id", "=")], order_by=[OrderItem("created_at", desc=True)])])
    >>> [s.columns for s in generate([shape], Catalog([t]))["f1"]][:2]
    [['customer_id', 'created_at DESC'], ['customer_id']]

B-tree keys: equality columns first (most selective first), then at most one range or sort
column (in the ORDER BY's direction). Also every single column (the start of Extend-style
widening), equality-led pairs, a partial index for a selective constant predicate, a covering
variant (INCLUDE) of the best guess and of each join key when few other columns are read, and a
trigram GIN for a leading-wildcard LIKE.
Tables under ``min_table_rows`` get none; neither does what an existing valid index covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.analyze.indexes import normal_expression
from advisor.analyze.selectivity import distinct_values, kept
from advisor.model import Catalog, Index, IndexSpec, OrderItem, Predicate, QueryShape, Table, TableAccess

MIN_TABLE_ROWS = 1_000
PARTIAL_MAX_SHARE = 0.2  # a constant predicate keeping at most this share of rows earns a partial index
MAX_INCLUDE = 4  # covering variant only when at most this many other columns are read
MAX_PAIR_ATTRS = 8
NULL_KEY_MAX_SHARE = 0.5  # an IS NULL keeping more rows than this is no key column
EQUALITY = ("=", "in", "any", "is null")
RANGE = ("<", ">", "<=", ">=", "between")
TRGM = "gin_trgm_ops"


@dataclass
class _Attrs:
    """The indexable attributes of one table access."""

    equality: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)
    partial: list[tuple[str, str]] = field(default_factory=list)  # (column, WHERE text)
    trigram: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return _unique(self.equality + self.ranges + [_bare(s) for s in self.sort])


def generate(shapes: list[QueryShape], catalog: Catalog, *, max_width: int = 3,
             min_table_rows: float = MIN_TABLE_ROWS) -> dict[str, list[IndexSpec]]:
    """Candidate indexes per statement fingerprint (statements without any are left out)."""
    result: dict[str, list[IndexSpec]] = {}
    for shape in shapes:
        if shape.parse_error or shape.kind not in ("select", "update", "delete", "insert"):
            continue
        specs: list[IndexSpec] = []
        for access in shape.tables:
            table = catalog.table(access.table)
            if table is None or max(table.reltuples, table.n_live_tup) < min_table_rows:
                continue
            existing = [i for i in catalog.indexes_on(table.qualname) if i.is_valid]
            specs += [s for s in for_access(access, table, max_width)
                      if not any(covers(i, s) or _needless_cover(s, i) for i in existing)]
        specs = _unique_specs(specs)
        if specs:
            result[shape.fingerprint] = specs
    return result


def for_access(access: TableAccess, table: Table, max_width: int = 3) -> list[IndexSpec]:
    """The candidates for one table of one statement, best guess first."""
    attrs = attributes(access, table)
    q = table.qualname
    specs: list[IndexSpec] = []
    leading = attrs.equality[:max_width]
    tails = _unique(attrs.ranges[:1] + attrs.sort[:1])
    for tail in tails or [None]:
        keys = leading[:max_width - 1] + [tail] if tail and _bare(tail) not in leading else leading
        if keys:
            specs.append(IndexSpec(q, keys[:max_width]))
    if leading:
        specs.append(IndexSpec(q, leading))
    for attr in attrs.all():
        specs.append(IndexSpec(q, [attr]))
    if max_width >= 2:
        pool = attrs.all()[:MAX_PAIR_ATTRS]
        specs += [IndexSpec(q, [a, b]) for a in attrs.equality for b in pool if a != b]
    specs += _partials(attrs, q, leading, tails, max_width)
    # A join key is probed from the other side, one key at a time: only an index led by that
    # key serves the probe, and covering it saves a heap visit per joined row.
    specs += _covering(specs[:1] + [IndexSpec(q, [c]) for c in access.join_columns], access, max_width)
    specs += [IndexSpec(q, [c], method="gin", opclass=TRGM) for c in attrs.trigram]
    return _unique_specs(specs)


def attributes(access: TableAccess, table: Table) -> _Attrs:
    attrs = _Attrs()
    equality = []
    for p in access.predicates:
        if (p.leading_wildcard and p.op == "like" or p.op == "ilike") and not p.function:
            attrs.trigram.append(p.column)  # ILIKE never uses a btree
        elif p.op in EQUALITY:
            share = kept(p, table)
            if p.op == "is null" and share is not None and share > NULL_KEY_MAX_SHARE:
                continue  # deleted_at IS NULL over most rows: no use as a key
            equality.append((share if share is not None else 1.0 / max(_distinct(p.column, table), 1.0),
                             p.column))
            where = _partial_where(p, table)
            if where:
                attrs.partial.append((p.column, where))
        elif p.op in RANGE:
            attrs.ranges.append(p.column)
    equality += [(1.0 / max(_distinct(c, table), 1.0), c) for c in access.join_columns]
    attrs.equality = _unique(c for _, c in sorted(equality, key=lambda e: e[0]))
    attrs.ranges = [c for c in _unique(attrs.ranges) if c not in attrs.equality]
    attrs.sort = [_sort_key(o) for o in access.order_by[:1]] + [g for g in access.group_by[:1]]
    attrs.sort = [s for s in _unique(attrs.sort) if _bare(s) not in attrs.equality]
    return attrs


def covers(index: Index, spec: IndexSpec) -> bool:
    """Whether an existing index serves every search ``spec`` would: same method and predicate,
    ``spec``'s keys leading it, its INCLUDE columns among the index's columns."""
    if index.method != spec.method or (spec.opclass or None) and spec.opclass not in index.definition:
        return False
    if _norm(index.predicate) != _norm(spec.where):
        return False
    keys = [_norm(_bare(c)) for c in index.columns]
    wanted = [_norm(_bare(c)) for c in spec.columns]
    if keys[:len(wanted)] != wanted:
        return False
    return {_norm(c) for c in spec.include} <= set(keys) | {_norm(c) for c in index.include}


def _needless_cover(spec: IndexSpec, index: Index) -> bool:
    """A covering variant keyed on a unique index's columns: each probe finds one row, so the
    INCLUDE saves one heap visit at the price of a second copy of the table."""
    return bool(spec.include) and index.is_unique and not index.predicate and \
        [_norm(_bare(c)) for c in index.columns] == [_norm(_bare(c)) for c in spec.columns]


def _partials(attrs: _Attrs, q: str, leading: list[str], tails: list[str], max_width: int):
    for column, where in attrs.partial:
        keys = [c for c in leading if c != column] + tails[:1]
        yield IndexSpec(q, (keys or [column])[:max_width], where=where)


def _covering(specs: list[IndexSpec], access: TableAccess, max_width: int):
    for spec in specs:
        keys = {_bare(c) for c in spec.columns}
        extra = [c for c in access.columns_used if c not in keys]
        if extra and len(extra) <= MAX_INCLUDE and spec.where is None:
            yield IndexSpec(spec.table, spec.columns, include=extra)


def _partial_where(p: Predicate, table: Table) -> str | None:
    if p.function or p.op not in ("=", "is null") or (p.op == "=" and p.value is None):
        return None
    share = kept(p, table)
    if share is None or share > PARTIAL_MAX_SHARE:
        return None
    from advisor.ddl import quote_ident

    return f"{quote_ident(p.column)} IS NULL" if p.op == "is null" else f"{quote_ident(p.column)} = {p.value}"


def _distinct(column: str, table: Table) -> float:
    col = table.column(column)
    if col is None:  # an expression such as lower(email): usually as selective as its column
        return table.reltuples
    if col.stats is None:
        return 0.0
    return distinct_values(col.stats, table)


def _sort_key(item: OrderItem) -> str:
    return item.column + (" DESC" if item.desc else "")


def _bare(key: str) -> str:
    return key[:-5] if key.upper().endswith(" DESC") else key


def _norm(text: str | None) -> str | None:
    return normal_expression(text) if text else None


def _unique(items):
    return list(dict.fromkeys(items))


def _unique_specs(specs: list[IndexSpec]) -> list[IndexSpec]:
    seen: dict[tuple, IndexSpec] = {}
    for spec in specs:
        seen.setdefault(spec.key(), spec)
    return list(seen.values())
