"""Candidate indexes for each statement, from its query shape and the catalog's statistics.

    >>> from advisor.model import Catalog, Column, ColumnStats, OrderItem, Predicate, QueryShape, Table
    >>> from advisor.model import TableAccess
    >>> t = Table("public", "orders", reltuples=100_000, columns=[
    ...     Column("customer_id", "bigint", stats=ColumnStats(n_distinct=5000)),
    ...     Column("created_at", "timestamptz", stats=ColumnStats(n_distinct=-1))])
    >>> shape = QueryShape("f1", "select", [TableAccess("public.orders", predicates=[
    ...     Predicate("customer_id", "=")], order_by=[OrderItem("created_at", desc=True)])])
    >>> [s.columns for s in generate([shape], Catalog([t]))["f1"]][:2]
    [['customer_id', 'created_at'], ['customer_id']]

B-tree keys: equality columns first (most selective first), then at most one range or sort
column (in the ORDER BY's direction). Also every single column (the start of Extend-style
widening), equality-led pairs, a partial index for a selective constant predicate, a covering
variant (INCLUDE) of the best guess and of each join key when few other columns are read, a
trigram GIN for a leading-wildcard LIKE, a GIN for containment and key searches on a jsonb, array
or tsvector column (``jsonb_path_ops`` when the statement uses only the operators it serves), and a
single-column index per column of an OR across columns (``together``: the set is priced as one).
Tables under ``min_table_rows`` get none (unless never analysed: their size is the planner's
guess, so the what-if cost decides); neither does what an existing valid index covers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlglot import exp

from advisor.analyze.indexes import normal_expression
from advisor.analyze.selectivity import distinct_values, kept
from advisor.model import Catalog, Index, IndexSpec, Predicate, QueryShape, Table, TableAccess

MIN_TABLE_ROWS = 1_000
PARTIAL_MAX_SHARE = 0.2  # a constant predicate keeping at most this share of rows earns a partial index
PARTIAL_MAX_DISTINCT = 20  # ... on a column of at most this many values (a status, a flag)
RARE_SHARE = 0.5  # ... for a value at most this fraction as frequent as a typical row's value
MAX_INCLUDE = 4  # covering variant only when at most this many other columns are read
COVER_MIN_ROWS = 2.0  # ... and when a lookup finds at least this many rows
MAX_PAIR_ATTRS = 8
NULL_KEY_MAX_SHARE = 0.5  # an IS NULL keeping more rows than this is no key column
EQUALITY = ("=", "in", "any", "is null")
RANGE = ("<", ">", "<=", ">=", "between")
TRGM = "gin_trgm_ops"
JSONB_PATH = "jsonb_path_ops"  # @>, @?, @@ only: smaller and faster than the default jsonb_ops
GIN_OPS = {"jsonb": {"@>", "?", "?|", "?&", "@?", "@@"}, "array": {"@>", "<@", "&&"}, "tsvector": {"@@"}}
PATH_OPS = {"@>", "@?", "@@"}


@dataclass
class _Attrs:
    """The indexable attributes of one table access."""

    equality: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)  # the ORDER BY keys of this table, in order
    partial: list[tuple[str, str]] = field(default_factory=list)  # (column, WHERE text)
    trigram: list[str] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)  # LIKE 'abc%': a btree with pattern ops can seek
    group: list[str] = field(default_factory=list)
    containment: dict[str, set[str]] = field(default_factory=dict)  # GIN-served column -> operators
    branches: list[str] = field(default_factory=list)  # the columns of an OR's branches

    def all(self) -> list[str]:
        return _unique(self.equality + self.ranges + [_bare(s) for s in self.sort[:1]] + self.group[:1]
                       + self.prefix + self.branches)


def generate(shapes: list[QueryShape], catalog: Catalog, *, max_width: int = 3,
             min_table_rows: float = MIN_TABLE_ROWS) -> dict[str, list[IndexSpec]]:
    """Candidate indexes per statement fingerprint (statements without any are left out)."""
    result: dict[str, list[IndexSpec]] = {}
    for shape in shapes:
        specs: list[IndexSpec] = []
        for access, table, existing in _accesses(shape, catalog, min_table_rows):
            specs += [s for s in for_access(access, table, max_width)
                      if not any(covers(i, s) or _needless_cover(s, i) for i in existing)]
        specs = _unique_specs(specs)
        if specs:
            result[shape.fingerprint] = specs
    return result


def together(shape: QueryShape, catalog: Catalog, min_table_rows: float = MIN_TABLE_ROWS):
    """The index sets a statement uses only all at once: one index per branch of an OR across
    columns (the planner ORs one bitmap per branch; with a branch unserved it scans the table),
    less those an existing index serves.

        >>> from advisor.model import Table, Column, Index, TableAccess
        >>> t = Table("public", "t", reltuples=50_000, columns=[Column("a", "int"), Column("b", "int")])
        >>> shape = QueryShape("f1", "select", [TableAccess("public.t", any_of=[[
        ...     Predicate("a", "="), Predicate("b", ">")]])])
        >>> [[s.columns for s in group] for group in together(shape, Catalog([t]))]
        [[['a'], ['b']]]
        >>> ix = Index("public", "ix_b", "public.t", "CREATE INDEX ix_b ON public.t (b)", columns=["b"])
        >>> together(shape, Catalog([t], [ix]))  # (a) alone is the candidate then
        []
    """
    sets = []
    for access, _table, existing in _accesses(shape, catalog, min_table_rows):
        for branches in access.any_of:
            wanted = _unique_specs([IndexSpec(access.table, [p.column]) for p in branches])
            missing = tuple(s for s in wanted if not any(covers(i, s) for i in existing))
            if len(missing) > 1:
                sets.append(missing)
    return sets


def _accesses(shape: QueryShape, catalog: Catalog, min_table_rows: float):
    """(access, table, its valid indexes) for each table of ``shape`` that may get an index."""
    if shape.parse_error or shape.kind not in ("select", "update", "delete", "insert"):
        return
    for access in shape.tables:
        table = catalog.table(access.table)
        if table is not None and _big_enough(table, min_table_rows):
            yield access, table, [i for i in catalog.indexes_on(table.qualname) if i.is_valid]


def _big_enough(table: Table, min_table_rows: float) -> bool:
    """A table of known size needs ``min_table_rows``; one never analysed is left to the
    planner's cost, which assumes at least 10 pages of it (a new table is about to fill)."""
    return not table.analyzed or max(table.reltuples, table.n_live_tup) >= min_table_rows


def for_access(access: TableAccess, table: Table, max_width: int = 3) -> list[IndexSpec]:
    """The candidates for one table of one statement, best guess first."""
    attrs = attributes(access, table)
    q = table.qualname
    specs: list[IndexSpec] = []
    leading = attrs.equality[:max_width]
    tails = _unique(attrs.ranges[:1] + attrs.sort[:1])
    if len(attrs.sort) > 1:  # ORDER BY a DESC, b: only keys in that order (or its mirror) sort
        specs.append(IndexSpec(q, (leading + attrs.sort)[:max_width]))
    for tail in tails or [None]:
        keys = leading[:max_width - 1] + [tail] if tail and _bare(tail) not in leading else leading
        if keys:
            specs.append(IndexSpec(q, keys[:max_width]))
    if leading:
        specs.append(IndexSpec(q, leading))
    specs += [IndexSpec(q, [c], opclass=_pattern_ops(c, table)) for c in attrs.prefix]
    for attr in attrs.all():
        specs.append(IndexSpec(q, [attr]))
    if max_width >= 2:
        pool = attrs.all()[:MAX_PAIR_ATTRS]
        specs += [IndexSpec(q, [a, b]) for a in attrs.equality for b in pool if a != b]
    specs += _partials(attrs, q, leading, tails, max_width)
    # A join key is probed from the other side, one key at a time: only an index led by that
    # key serves the probe, and covering it saves a heap visit per joined row.
    specs += _covering(specs[:1], access, table, lookup=True)
    specs += _covering([IndexSpec(q, [c]) for c in access.join_columns], access, table, lookup=False)
    specs += [IndexSpec(q, [c], method="gin", opclass=TRGM) for c in attrs.trigram]
    specs += [IndexSpec(q, [c], method="gin", opclass=_gin_opclass(ops, c, table))
              for c, ops in attrs.containment.items()]
    return _unique_specs(specs)


def attributes(access: TableAccess, table: Table) -> _Attrs:
    attrs = _Attrs()
    equality = []
    for p in access.predicates:
        if p.op in ("like", "ilike") and p.leading_wildcard and not p.function:
            attrs.trigram.append(p.column)
        elif p.op == "like" and p.value is not None and not p.function:
            attrs.prefix.append(p.column)  # 'abc%' or 'abc': a range a btree can seek
        elif not p.function and p.op in GIN_OPS.get(gin_kind(p.column, table), ()):
            attrs.containment.setdefault(p.column, set()).add(p.op)
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
    attrs.sort = _sort_keys(access, attrs.equality)
    attrs.group = [g for g in access.group_by if g not in attrs.equality]
    attrs.prefix = [c for c in _unique(attrs.prefix) if c not in attrs.equality]
    attrs.branches = _unique(p.column for branches in access.any_of for p in branches)
    return attrs


def gin_kind(column: str, table: Table) -> str | None:
    """"jsonb", "array" or "tsvector": the column types whose searches a default GIN serves."""
    col = table.column(column)
    kind = (col.type if col else "").lower()
    return "array" if kind.endswith("]") else kind if kind in GIN_OPS else None


def _gin_opclass(ops: set[str], column: str, table: Table) -> str | None:
    """``jsonb_path_ops`` for a jsonb column searched with its operators only (the workload-wide
    choice is ``advisor.recommend.containment.merged``); the type's default otherwise."""
    return JSONB_PATH if gin_kind(column, table) == "jsonb" and ops <= PATH_OPS else None


def _sort_keys(access: TableAccess, equality: list[str]) -> list[str]:
    """The ORDER BY keys an index could deliver in order after the equality columns (else the
    first GROUP BY column); all descending reads as all ascending (an index scans backwards)."""
    items = [o for o in access.order_by if o.column not in equality]
    if not items:
        return [g for g in access.group_by[:1] if g not in equality]
    flip = all(o.desc for o in items)
    return _unique(o.column + (" DESC" if o.desc != flip else "") for o in items)


def _pattern_ops(column: str, table: Table) -> str | None:
    """A LIKE prefix search needs pattern operators unless the collation is C; the what-if
    cost tells which variant the planner can use, so both are tried: this is the second."""
    col = table.column(column)
    kind = (col.type if col else "").lower()
    return "varchar_pattern_ops" if kind.startswith("character varying") else "text_pattern_ops"


def covers(index: Index, spec: IndexSpec) -> bool:
    """Whether an existing index serves every search ``spec`` would: same method and predicate,
    ``spec``'s keys leading it, its INCLUDE columns among the index's columns."""
    if index.method == spec.method == "gin" and spec.opclass != TRGM:
        return _serves_containment(index, spec)
    if index.method != spec.method or (spec.opclass or None) and spec.opclass not in index.definition:
        return False
    if _norm(index.predicate) != _norm(spec.where):
        return False
    keys = [_norm(_bare(c)) for c in index.columns]
    wanted = [_norm(_bare(c)) for c in spec.columns]
    if keys[:len(wanted)] != wanted:
        return False
    return {_norm(c) for c in spec.include} <= set(keys) | {_norm(c) for c in index.include}


def _serves_containment(index: Index, spec: IndexSpec) -> bool:
    """An existing GIN index on the column: the default jsonb_ops serves every jsonb operator,
    jsonb_path_ops only the ones its candidate is made for."""
    if index.predicate or _norm(spec.columns[0]) not in {_norm(c) for c in index.columns}:
        return False
    return spec.opclass == JSONB_PATH or JSONB_PATH not in index.definition


def _needless_cover(spec: IndexSpec, index: Index) -> bool:
    """A covering variant keyed on a unique index's columns: each probe finds one row, so the
    INCLUDE saves one heap visit at the price of a second copy of the table."""
    return bool(spec.include) and index.is_unique and not index.predicate and \
        [_norm(_bare(c)) for c in index.columns] == [_norm(_bare(c)) for c in spec.columns]


def _partials(attrs: _Attrs, q: str, leading: list[str], tails: list[str], max_width: int):
    for column, where in attrs.partial:
        keys = [c for c in leading if c != column] + tails[:1]
        yield IndexSpec(q, (keys or [column])[:max_width], where=where)


def _covering(specs: list[IndexSpec], access: TableAccess, table: Table, *, lookup: bool):
    """INCLUDE the other columns read. For the statement's own lookup only where it finds several
    rows: covering saves one heap visit per row found, so a key that finds one row (a unique
    column) saves one visit per call at the price of a second copy of those columns. A join key
    is probed once per row of the other side, so there the visits saved add up whatever it finds."""
    for spec in specs:
        keys = {_bare(c) for c in spec.columns}
        extra = [c for c in access.columns_used if c not in keys]
        if extra and len(extra) <= MAX_INCLUDE and spec.where is None and \
                (not lookup or _rows_per_lookup(spec, access, table) >= COVER_MIN_ROWS):
            yield IndexSpec(spec.table, spec.columns, include=extra)


def _rows_per_lookup(spec: IndexSpec, access: TableAccess, table: Table) -> float:
    """Rows one lookup of the index's equality keys finds (their distinct values taken as
    independent, as the planner does); a sort-only or range-led key reads many."""
    searched = {p.column for p in access.predicates if p.op in EQUALITY} | set(access.join_columns)
    distinct = [d for d in (_distinct(_bare(c), table) for c in spec.columns if _bare(c) in searched)
                if d > 0]
    if not distinct:
        return float("inf")
    return table.reltuples / min(math.prod(distinct), max(table.reltuples, 1.0))


def _partial_where(p: Predicate, table: Table) -> str | None:
    """``col = 'rare'`` on a column of few values, or a rare ``col IS NULL``. A literal on any
    other column is a sample of a parameter (``id = 1`` stands for every id): never a partial."""
    if p.function or p.op not in ("=", "is null") or (p.op == "=" and p.value is None):
        return None
    share = kept(p, table)
    if share is None or share > PARTIAL_MAX_SHARE:
        return None
    if p.op == "=" and not rare_value(p.column, share, table):
        return None
    from advisor.ddl import quote_ident

    return f"{quote_ident(p.column)} IS NULL" if p.op == "is null" else f"{quote_ident(p.column)} = {p.value}"


def rare_value(column: str, share: float, table: Table) -> bool:
    """A value of a column of few values, at most half as frequent as a typical row's value
    ('pending' among 80 % 'delivered'; not one of ten equally common values)."""
    col = table.column(column)
    if not (col and col.stats) or not 0 < distinct_values(col.stats, table) <= PARTIAL_MAX_DISTINCT:
        return False
    freqs = col.stats.most_common_freqs or []
    typical = sum(f * f for f in freqs) / sum(freqs) if sum(freqs) > 0 else \
        1.0 / distinct_values(col.stats, table)
    return share <= typical * RARE_SHARE


def partial_reason(spec: IndexSpec, table: Table | None) -> str | None:
    """Why a partial index, in words: the share of rows its WHERE keeps.

        >>> from advisor.model import Column, ColumnStats
        >>> t = Table("public", "orders", reltuples=1000, columns=[Column("status", "text",
        ...     stats=ColumnStats(n_distinct=3, most_common_vals=["done", "pending"],
        ...                       most_common_freqs=[0.95, 0.03]))])
        >>> partial_reason(IndexSpec("public.orders", ["id"], where="status = 'pending'"), t)
        "partial: status has 3 values and 'pending' keeps ~3.0% of the rows: the index holds only those"
    """
    import sqlglot

    if not spec.where or table is None:
        return None
    from advisor.analyze.parsing import SQLGLOT_ERRORS

    try:
        tree = sqlglot.parse_one(spec.where, read="postgres")
    except SQLGLOT_ERRORS:
        return None
    column = tree.this if isinstance(tree, exp.EQ | exp.Is) else None
    if not isinstance(column, exp.Column):
        return None
    if isinstance(tree, exp.Is):
        predicate = Predicate(column.name, "is null")
    else:
        predicate = Predicate(column.name, "=", tree.expression.sql(dialect="postgres"))
    share = kept(predicate, table)
    if share is None:
        return None
    col = table.column(column.name)
    values = f"{column.name} has {distinct_values(col.stats, table):,.0f} values and " \
        if predicate.op == "=" and col and col.stats else ""
    text = f"{column.name} IS NULL" if predicate.op == "is null" else predicate.value
    return f"partial: {values}{text} keeps ~{share:.1%} of the rows: the index holds only those"


def _distinct(column: str, table: Table) -> float:
    col = table.column(column)
    if col is None:  # an expression such as lower(email): usually as selective as its column
        return table.reltuples
    if col.stats is None:
        return 0.0
    return distinct_values(col.stats, table)


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
