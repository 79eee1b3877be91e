"""Names for new indexes: advisor's pattern, unique in their schema, planned per partition.

    >>> from advisor.model import Catalog, Index, IndexSpec, Table
    >>> catalog = Catalog(tables=[Table("public", "orders"), Table("public", "ix_orders_total")],
    ...                   indexes=[Index("public", "ix_orders_status", "public.legacy_orders", "")])
    >>> names = Names(catalog)
    >>> names.take(IndexSpec("public.orders", ["status"]))
    'ix_orders_status_2'
    >>> names.take(IndexSpec("public.orders", ["status DESC"]))
    'ix_orders_status_3'
    >>> names.take(IndexSpec("public.orders", ["total"]))
    'ix_orders_total_2'

An index's name shares its schema's namespace with every table, index, sequence and view, so a
name is checked against all of them (``Catalog.taken_names``) and against the plan's own names;
a taken name gets the first free ``_2``, ``_3``... A migration never needs IF NOT EXISTS to get
past a name someone else holds.
"""

from __future__ import annotations

from dataclasses import replace

from advisor.ddl import beside, index_name, with_suffix
from advisor.model import Catalog, IndexSpec, PartitionIndex


class Names:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.taken = catalog.taken_names()

    def take(self, spec: IndexSpec) -> str:
        """A free name for ``spec``'s index, from then on taken."""
        schema = spec.table.split(".", 1)[0] if "." in spec.table else ""
        base = index_name(spec)
        name, n = base, 1
        while f"{schema}.{name}" in self.taken:
            n += 1
            name = with_suffix(base, f"_{n}")
        self.taken.add(f"{schema}.{name}")
        return name

    def partitions(self, spec: IndexSpec, name: str) -> list[PartitionIndex]:
        """For a partitioned table: each partition's index, a partitioned partition before its own
        partitions (depth first), each attached to its parent's index. Empty for a plain table."""
        steps: list[PartitionIndex] = []
        self._walk(spec, spec.table, beside(spec.table, name), steps, set())
        return steps

    def _walk(self, spec: IndexSpec, table_qualname: str, parent_index: str,
              steps: list[PartitionIndex], seen: set[str]) -> None:
        table = self.catalog.table(table_qualname)
        if table is None or table.kind != "partitioned" or table_qualname in seen:
            return
        seen.add(table_qualname)
        for child in self.catalog.partitions(table_qualname):
            name = self.take(replace(spec, table=child.qualname))
            only = child.kind == "partitioned"
            steps.append(PartitionIndex(child.qualname, name, parent_index, only=only))
            if only:
                self._walk(spec, child.qualname, beside(child.qualname, name), steps, seen)

