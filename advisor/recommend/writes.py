"""What a new index costs the workload's writes: rows inserted, updated and deleted per table,
and the UPDATEs whose HOT path it would end.

    >>> set_columns("UPDATE products SET stock = stock - $1, updated_at = now() WHERE id = $2")
    ('products', ['stock', 'updated_at'])
    >>> sorted(referenced_columns(IndexSpec("t", ["lower(email)"], include=["id"], where="status = 'a'")))
    ['email', 'id', 'status']

An UPDATE is HOT (heap-only) when it changes no column any index of the table reads (its keys,
INCLUDE columns, expressions or predicate): then no index gets a new entry. An index on a column
the workload updates ends that: every such update then writes an entry into every index of the
table. So the charge of a new index, in planner cost units per row (``factor``), is one entry
per row inserted, one per row of an UPDATE that is already not HOT, and for an UPDATE it makes
non-HOT, one entry for each index the table will have. An UPDATE that stays HOT costs the new
index nothing, and so does a DELETE: it writes no index entry (it marks the row dead; VACUUM
later takes its entries out of every index in one pass per index, whatever the number of rows),
so the rows deleted are reported but not charged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sqlglot
from sqlglot import exp

from advisor.analyze.parsing import SQLGLOT_ERRORS
from advisor.model import Catalog, IndexSpec, QueryShape, Snapshot

WRITE_KINDS = ("insert", "update", "delete")
BULK_MAX_CALLS = 3  # a write statement run this few times ...
BULK_MIN_ROWS = 10_000  # ... with this many rows per call is a load or a backfill, not the workload


@dataclass
class Update:
    """One UPDATE statement of the workload: the rows it changed and the columns it sets."""

    statement: str  # fingerprint
    rows: float
    columns: frozenset[str]
    hot: bool = True  # no existing index reads a column it sets


@dataclass
class TableWrites:
    """The workload's writes to one table, over the capture."""

    table: str
    inserted: float = 0.0
    updated: float = 0.0
    deleted: float = 0.0
    updates: list[Update] = field(default_factory=list)
    indexes: int = 0  # existing valid indexes

    def breaks_hot(self, spec: IndexSpec) -> list[Update]:
        """The HOT updates an index ``spec`` would make non-HOT."""
        columns = referenced_columns(spec)
        return [u for u in self.updates if u.hot and u.columns & columns]

    def entries(self, spec: IndexSpec) -> float:
        """Index entries ``spec`` adds to the workload's writes (rows), HOT losses included."""
        broken = self.breaks_hot(spec)
        cold = sum(u.rows for u in self.updates if not u.hot)
        lost = sum(u.rows for u in broken) * (self.indexes + 1)
        return self.inserted + cold + lost


class WriteCost:
    """The maintenance charge of a new index (planner cost units), and what it is made of."""

    def __init__(self, writes: dict[str, TableWrites], factor: float):
        self.writes, self.factor = writes, factor

    def __call__(self, spec: IndexSpec) -> float:
        table = self.writes.get(spec.table)
        return self.factor * table.entries(spec) if table else 0.0

    def describe(self, spec: IndexSpec) -> dict:
        """Evidence for the report: the writes the index slows, and the HOT updates it ends."""
        table = self.writes.get(spec.table)
        if table is None:
            return {}
        broken = table.breaks_hot(spec)
        return {"rows_inserted": round(table.inserted), "rows_updated": round(table.updated),
                "rows_deleted": round(table.deleted),
                "rows_updated_not_hot": round(sum(u.rows for u in table.updates if not u.hot)),
                "hot_updates_broken": [{"statement": u.statement, "rows": round(u.rows),
                                        "columns": sorted(u.columns & referenced_columns(spec))}
                                       for u in broken],
                "charge": round(self(spec), 2)}


def table_writes(snapshot: Snapshot, shapes: list[QueryShape]) -> tuple[dict[str, TableWrites], list[str]]:
    """Per table, the rows the workload's INSERT/UPDATE/DELETE statements wrote (the
    pg_stat_statements window, the same as the calls that weigh the benefits); and the bulk
    statements left out (a load, a backfill: not the recurring write load an index slows)."""
    by_fp = {s.fingerprint: s for s in snapshot.statements}
    result: dict[str, TableWrites] = {}
    bulk: list[str] = []
    for shape in shapes:
        statement = by_fp.get(shape.fingerprint)
        if shape.kind not in WRITE_KINDS or statement is None or not shape.tables:
            continue
        target = shape.tables[0].table
        if _bulk(statement):
            bulk.append(f"{target} ({shape.kind.upper()}, {statement.calls} call(s), {statement.rows:,} rows)")
            continue
        writes = result.setdefault(target, _new(target, snapshot.catalog))
        rows = float(max(statement.rows, statement.workload_weight))
        if shape.kind == "insert":
            writes.inserted += rows
        elif shape.kind == "delete":
            writes.deleted += rows
        else:
            writes.updated += rows
            columns = frozenset(set_columns(statement.query)[1])
            writes.updates.append(Update(shape.fingerprint, rows, columns,
                                         hot=not columns & _indexed(target, snapshot.catalog)))
    return result, bulk


def _bulk(statement) -> bool:
    return 0 < statement.calls <= BULK_MAX_CALLS and statement.rows >= BULK_MIN_ROWS * statement.calls


def set_columns(sql: str) -> tuple[str | None, list[str]]:
    """(target table, columns set) of an UPDATE; (None, []) when it does not parse as one."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except SQLGLOT_ERRORS:
        return None, []
    if not isinstance(tree, exp.Update):
        return None, []
    columns = [e.this.name for e in tree.expressions if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)]
    target = tree.this.name if isinstance(tree.this, exp.Table) else None
    return target, columns


def referenced_columns(spec: IndexSpec) -> set[str]:
    """The table columns an index reads: keys, expressions, INCLUDE and predicate."""
    texts = [c.removesuffix(" DESC") for c in spec.columns] + list(spec.include) + [spec.where or ""]
    return {name for text in texts for name in _identifiers(text)}


@lru_cache(maxsize=20_000)
def _identifiers(text: str) -> frozenset[str]:
    """The column names in an SQL expression (a bare name when it does not parse)."""
    if not text.strip():
        return frozenset()
    try:
        node = sqlglot.parse_one(text, read="postgres")
    except SQLGLOT_ERRORS:
        return frozenset({text.strip().strip('"')})
    return frozenset(c.name for c in node.find_all(exp.Column))


def _indexed(table: str, catalog: Catalog) -> set[str]:
    columns: set[str] = set()
    for index in catalog.indexes_on(table):
        if index.is_valid:
            columns |= referenced_columns(IndexSpec(table, index.columns, include=index.include,
                                                    where=index.predicate))
    return columns


def _new(table: str, catalog: Catalog) -> TableWrites:
    return TableWrites(table, indexes=sum(1 for i in catalog.indexes_on(table) if i.is_valid))


__all__ = ["TableWrites", "Update", "WriteCost", "referenced_columns", "set_columns", "table_writes"]
