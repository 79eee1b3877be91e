"""Whether an existing index may be advised away: what it does besides being scanned.

    >>> from advisor.model import Catalog, ForeignKey, Index
    >>> fk_ix = Index("public", "ix_comments_post_id", "public.comments", "", columns=["post_id"])
    >>> catalog = Catalog(indexes=[fk_ix], foreign_keys=[ForeignKey(
    ...     "fk_comments_post", "public.comments", ["post_id"], "public.posts", ["id"])])
    >>> print(work_besides_scans(fk_ix, catalog, remaining=[]))
    serves foreign key fk_comments_post (post_id) -> public.posts: without it each DELETE on public.posts, or change of its key, scans public.comments for the referencing rows (and a cascade does so per row) while holding its locks
    >>> stats_days(Catalog(stats_reset="2026-10-01T00:00:00+00:00"), "2026-10-31T00:00:00+00:00")
    30.0

Usage counters (``pg_stat_user_indexes.idx_scan``) count since the statistics were reset, or
since the server started when a crash lost them: ``stats_days`` is how long that is, the later of
the two. An index with no scans in that window may still be needed: it backs a constraint, it
serves the referencing side of a foreign key (PostgreSQL does not index those by itself), or its
method's use is rare by nature (GiST/GIN/BRIN serve features a short window may not exercise).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from advisor.analyze.indexes import key_column
from advisor.model import Catalog, ForeignKey, Index

SCAN_COUNTED_METHODS = ("btree", "hash")  # a short window of no scans says something about these


def stats_days(catalog: Catalog, at: str | None) -> float | None:
    """Days of usage statistics at ``at`` (ISO 8601); None when when they start is unknown."""
    starts = [_parse(t) for t in (catalog.stats_reset, catalog.server_started) if t]
    end = _parse(at) if at else None
    starts = [s for s in starts if s is not None]
    if not starts or end is None:
        return None
    try:
        return max((end - max(starts)).total_seconds() / 86400.0, 0.0)
    except TypeError:  # one naive, one aware
        return None


def stats_since(catalog: Catalog) -> str | None:
    """When the usage statistics start: the later of the reset and the server's start."""
    known = [t for t in (catalog.stats_reset, catalog.server_started) if t and _parse(t)]
    return max(known, key=_parse) if known else None


def _parse(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def work_besides_scans(index: Index, catalog: Catalog, remaining: Iterable[Index]) -> str | None:
    """What ``index`` does that scan counts do not show; None when nothing.

    ``remaining``: the other indexes that will still exist (a foreign key another one serves
    does not need this one).
    """
    if index.is_primary or index.is_unique or index.constraint:
        what = "the primary key" if index.is_primary else "uniqueness" if index.is_unique else "a constraint"
        named = f" (constraint {index.constraint})" if index.constraint else ""
        return f"backs {what}{named}: it does its work on every write, scanned or not"
    partitioned = _partitioned_or_partition(index, catalog)
    if partitioned:
        return partitioned
    others = [i for i in remaining if i is not index and i.table == index.table]
    for fk in foreign_keys_served(index, catalog):
        if not any(serves(other, fk) for other in others):
            return (f"serves foreign key {fk.name} ({', '.join(fk.columns)}) -> {fk.ref_table}: without "
                    f"it each DELETE on {fk.ref_table}, or change of its key, scans {index.table} for "
                    "the referencing rows (and a cascade does so per row) while holding its locks")
    return None


def scan_counts_tell(index: Index) -> str | None:
    """Why no scans in a window does not show ``index`` is unused; None when it does."""
    method = (index.method or "btree").lower()
    if method not in SCAN_COUNTED_METHODS:
        return (f"a {method} index: it serves features (search, geometry, ranges) a window of "
                "statistics may not exercise; scan counts alone do not show it unused")
    if any(_is_expression(c) for c in index.columns):
        return ("an expression index: it serves queries written for it (and its expression's "
                "statistics feed the planner); scan counts alone do not show it unused")
    return None


def foreign_keys_served(index: Index, catalog: Catalog) -> list[ForeignKey]:
    return [fk for fk in catalog.foreign_keys if fk.table == index.table and serves(index, fk)]


def serves(index: Index, fk: ForeignKey) -> bool:
    """The index finds the rows referencing a parent key: its leading keys are the foreign key's
    columns, in any order, with no predicate."""
    if index.predicate or not index.is_valid or (index.method or "btree").lower() != "btree":
        return False
    width = len(fk.columns)
    leading = [key_column(c) for c in index.columns[:width]]
    return len(leading) == width and set(leading) == set(fk.columns)


def _is_expression(key: str) -> bool:
    return "(" in key or "::" in key


def _partitioned_or_partition(index: Index, catalog: Catalog) -> str | None:
    table = catalog.table(index.table)
    if table is not None and table.kind == "partitioned":
        return ("on a partitioned table: its scans are counted on its partitions' indexes, and "
                "dropping it drops theirs")
    if table is not None and table.partition_of:
        return ("on a partition: it may be attached to its parent table's index (then it cannot be "
                "dropped alone), and its use is the parent's")
    return None
