"""Heap reads at cached cost: what an INCLUDE column saves when the database fits in the cache.

    >>> from advisor.model import Catalog, Table
    >>> fit = CacheFit.of({"effective_cache_size": "4194304kB"}, Catalog([Table("public", "t", size_bytes=2**30)]))
    >>> fit.fits(0), fit.fits(4 * 2**30)
    (True, False)
    >>> fit.why(2**29)
    'the database with its indexes, 1.5 GB, fits in effective_cache_size (4.0 GB)'

An INCLUDE column saves only the heap fetches an index-only scan skips. The planner prices each
at ``random_page_cost`` (4 by default, which PostgreSQL's documentation describes as assuming very
little caching). When the whole database - its tables, their indexes and the new ones - fits in
the server's cache (``effective_cache_size``, or ``shared_buffers`` in a capture without it),
those fetches are memory reads, and the documentation's advice for a database that fits in
memory is ``random_page_cost = seq_page_cost``, both lowered relative to the CPU costs (to 0.1).
So the narrowing prices an index with INCLUDE columns against the same index without them in a
second what-if session with both page costs at ``cached_page_cost``; everything else is priced
with the server's own settings.

Unless the server's planner, at its own costs, would stop scanning the narrower index for one
of the statements, as the workload binds it or for its heaviest key (each parameter compared for
equality with a column bound to that column's most common value, ``heaviest``): it would then
plan around it (a hash join over a sequential scan), and what is lost there is the whole gain,
not heap reads (``narrow._Costs.uncached``).

Measured on ShopEase at scale 1 (62 MB ``order_items``, a 0.8 GB database, 4 GB
effective_cache_size), the seller dashboard's three joins for every seller once, under the
server's own plans (medians of 3, two rounds): ``(product_id)`` loses 6-8% of the gain of
``(product_id) INCLUDE (order_id, quantity, unit_price, id)`` in time (40 against 14 ms a
dashboard; 350 ms without either). The server's page costs said 57% (85% for the three
statements alone); priced as cached, 3.9%.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.errors import AdvisorError
from advisor.model import Catalog, IndexSpec, QueryShape
from advisor.recommend import parse_size

_PARAM = re.compile(r"\$(\d+)\b")

CACHE_SETTINGS = ("effective_cache_size", "shared_buffers")  # the first one captured is the cache


@dataclass
class CacheFit:
    """The server's cache and the bytes the database takes in it (tables and indexes, captured)."""

    setting: str
    cache_bytes: int
    data_bytes: int

    @classmethod
    def of(cls, settings: dict[str, str], catalog: Catalog) -> CacheFit | None:
        """None when the capture has no cache setting."""
        for name in CACHE_SETTINGS:
            try:
                size = parse_size(settings[name])
            except (KeyError, AdvisorError):
                continue
            data = sum(t.size_bytes for t in catalog.tables) + sum(i.size_bytes for i in catalog.indexes)
            return cls(name, size, data)
        return None

    def fits(self, new_bytes: int) -> bool:
        return self.data_bytes + new_bytes <= self.cache_bytes

    def why(self, new_bytes: int) -> str:
        return (f"the database with its indexes, {_gb(self.data_bytes + new_bytes)}, fits in "
                f"{self.setting} ({_gb(self.cache_bytes)})")


@dataclass
class CachedPricing:
    """A what-if session whose planner prices every page read at ``page_cost``, opened on first
    use (``open`` makes it: a callable returning the session's context manager)."""

    fit: CacheFit
    page_cost: float
    open: object  # () -> context manager yielding a WhatIf
    heavy: dict[str, str] = field(default_factory=dict)  # fingerprint -> ``heaviest`` statement
    _session: object = field(default=None, repr=False)
    _whatif: object = field(default=None, repr=False)

    def whatif(self):
        if self._whatif is None:
            self._session = self.open()
            whatif = self._session.__enter__()
            for name in ("seq_page_cost", "random_page_cost"):
                whatif.conn.execute("SELECT set_config(%s, %s, false)", (name, str(self.page_cost)))
            self._whatif = whatif
        return self._whatif

    def close(self) -> None:
        if self._session is not None:
            self._session.__exit__(None, None, None)
            self._session = self._whatif = None


def include_only(spec: IndexSpec, narrower: IndexSpec) -> bool:
    """Whether ``narrower`` is ``spec`` with fewer INCLUDE columns and nothing else changed."""
    return (narrower.table, narrower.method, narrower.columns, narrower.where, narrower.opclass) == \
        (spec.table, spec.method, spec.columns, spec.where, spec.opclass) \
        and set(narrower.include) < set(spec.include)


def heaviest(sql: str, shape: QueryShape, catalog: Catalog) -> str | None:
    """``sql`` with each parameter it compares for equality with a column bound to that column's
    most common value (pg_stats): the statement for its heaviest key. None: no such parameter.

    >>> from advisor.model import Column, ColumnStats, Predicate, TableAccess, Table
    >>> t = Table("public", "p", columns=[Column("seller_id", "int", stats=ColumnStats(most_common_vals=["7", "3"]))])
    >>> shape = QueryShape("f", "select", [TableAccess("public.p", predicates=[Predicate("seller_id", "=", param=1)])])
    >>> heaviest("SELECT * FROM p WHERE seller_id = $1::int LIMIT $2", shape, Catalog([t]))
    "SELECT * FROM p WHERE seller_id = '7'::int LIMIT $1"
    """
    values: dict[int, str] = {}
    for access in shape.tables:
        table = catalog.table(access.table)
        for p in access.predicates if table is not None else []:
            column = table.column(p.column) if p.op == "=" and p.param and not p.function else None
            common = column.stats.most_common_vals if column is not None and column.stats else None
            if common:
                values.setdefault(p.param, common[0])
    if not values:
        return None
    left = sorted({int(n) for n in _PARAM.findall(sql)} - set(values))
    renumber = {n: i for i, n in enumerate(left, 1)}  # $1, $2... with no gap, as PREPARE needs

    def value(match: re.Match) -> str:
        n = int(match.group(1))
        return "'" + values[n].replace("'", "''") + "'" if n in values else f"${renumber[n]}"

    return _PARAM.sub(value, sql)


def _gb(size: int) -> str:
    return f"{size / 2 ** 30:.1f} GB"


__all__ = ["CacheFit", "CachedPricing", "heaviest", "include_only"]
