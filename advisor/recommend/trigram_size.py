"""The size of a trigram GIN index, estimated from the column's statistics (HypoPG cannot make one).

    >>> from advisor.model import Catalog, Column, ColumnStats, IndexSpec, Table
    >>> t = Table("public", "docs", reltuples=100_000, columns=[
    ...     Column("title", "text", stats=ColumnStats(null_frac=0.5, avg_width=30))])
    >>> trigram_size(IndexSpec("public.docs", ["title"], method="gin"), Catalog([t]))
    7680000

pg_trgm turns a value of L characters into at most about L + 2 trigrams (each word padded with
blanks), and the GIN index stores one item pointer per distinct trigram of each row, in posting
lists that compress the pointers to 1-6 bytes each. So the index holds at most rows x (1 -
null_frac) x (avg_width + 2) pointers. What a pointer costs depends on how far apart the rows
holding one trigram are: ``BYTES_PER_TRIGRAM`` when every value differs (the most measured on
PostgreSQL 15, for random hex strings; words and names took 1.7), down to ``DENSE_BYTES`` for a
column of a handful of values, whose posting lists hold neighbouring rows - interpolated on
log(n_distinct) / log(rows). The estimate is high for ordinary text; ``MARGIN`` is what a budget
counts on top of it.
"""

from __future__ import annotations

import math

from advisor.analyze.selectivity import distinct_values
from advisor.model import Catalog, IndexSpec

BYTES_PER_TRIGRAM = 4.8
DENSE_BYTES = 1.0
MARGIN = 1.25  # the budget counts this many times the estimate
UNKNOWN_WIDTH = 32  # avg_width when the column has no statistics


def trigram_size(spec: IndexSpec, catalog: Catalog) -> int:
    """Estimated bytes of a trigram GIN index on ``spec``'s columns (0 for an unknown table)."""
    table = catalog.table(spec.table)
    if table is None:
        return 0
    rows = max(table.reltuples, float(table.n_live_tup), 0.0)
    total = 0.0
    for name in spec.columns:
        column = table.column(name.removesuffix(" DESC"))
        stats = column.stats if column is not None else None
        width = stats.avg_width if stats is not None and stats.avg_width else UNKNOWN_WIDTH
        present = 1.0 - (stats.null_frac if stats is not None else 0.0)
        total += rows * present * (width + 2) * _pointer_bytes(stats, table, rows)
    return int(total)


def _pointer_bytes(stats, table, rows: float) -> float:
    distinct = distinct_values(stats, table) if stats is not None and stats.n_distinct else rows
    spread = min(1.0, math.log(max(distinct, 2.0)) / math.log(max(rows, 3.0)))
    return DENSE_BYTES + (BYTES_PER_TRIGRAM - DENSE_BYTES) * spread


def counted_size(spec: IndexSpec, catalog: Catalog) -> int:
    """What a budget counts for it: the estimate and the margin."""
    return int(trigram_size(spec, catalog) * MARGIN)
