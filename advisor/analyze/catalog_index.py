"""Fast look-ups over a Catalog: a table's qualified name, whether it has a column.

    >>> from advisor.model import Catalog, Column, Table
    >>> index = CatalogIndex.of(Catalog([Table("sales", "orders", columns=[Column("id", "int")])]))
    >>> index.has_column("sales.orders", "id"), index.has_column("public.nope", "id")
    (True, None)
"""

from __future__ import annotations

from sqlglot import exp

from advisor.model import Catalog

SEARCH_PATH = ("public",)


class CatalogIndex:
    _last: list[tuple[Catalog, CatalogIndex]] = []

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._columns = {t.qualname: [c.name for c in t.columns] for t in catalog.tables}
        self._sets = {name: set(cols) for name, cols in self._columns.items()}
        self._by_name: dict[str, str] = {}
        for table in sorted(catalog.tables, key=lambda t: (t.schema not in SEARCH_PATH, t.schema)):
            self._by_name.setdefault(table.name, table.qualname)
        self.signature = hash(tuple(sorted((k, tuple(v)) for k, v in self._columns.items())))

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogIndex:
        """The index of ``catalog``, reused while the same Catalog object is asked for."""
        for known, index in cls._last:
            if known is catalog:
                return index
        index = cls(catalog)
        cls._last = [(catalog, index)] + cls._last[:3]
        return index

    def qualname(self, table: exp.Table) -> str:
        name = _ident(table.this)
        schema = _ident(table.args.get("db")) if table.args.get("db") else None
        return f"{schema}.{name}" if schema else self.resolve(name)

    def resolve(self, name: str) -> str:
        """The qualname of a table named without its schema (``name`` as PostgreSQL spells it)."""
        return self._by_name.get(name, f"{SEARCH_PATH[0]}.{name}")

    def has_column(self, qualname: str, column: str) -> bool | None:
        """True/False when the table is known, None when the catalog does not have it."""
        columns = self._sets.get(qualname)
        return None if columns is None else column in columns

    def columns(self, qualname: str) -> list[str]:
        return self._columns.get(qualname, [])


def _ident(node) -> str:
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return str(node.name if hasattr(node, "name") else node).lower()
