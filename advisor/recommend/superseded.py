"""Existing indexes that a new one makes redundant: their keys lead the new index's.

    >>> from advisor.model import Catalog, Index, IndexSpec, Recommendation
    >>> old = Index("public", "t_tenant_idx", "public.t", "CREATE INDEX ...", columns=["tenant_id"])
    >>> new = Recommendation("create", "public.t", "ix_t_tenant_id_at", "",
    ...                      IndexSpec("public.t", ["tenant_id", "at DESC"]))
    >>> [(i.name, r.name) for i, r in superseded([new], Catalog(indexes=[old]), dropped=set())]
    [('t_tenant_idx', 'ix_t_tenant_id_at')]

A reviewer of a migration that builds ``(tenant_id, at)`` strikes the ``(tenant_id)`` index it
leaves redundant: every search the old one serves, the new one serves by its leading column, and
each write then maintains one index fewer. The evidence is the same structural one the
redundant-index rule gives for two existing indexes, so it needs no window of usage statistics;
the drop goes in the drops revision, after the build. Never an index that backs a constraint or
uniqueness, one whose predicate differs, or one doing work the scan counts do not show (a
foreign key no index left would serve, a partitioned table's).
"""

from __future__ import annotations

from advisor.analyze.drop_safety import work_besides_scans
from advisor.analyze.indexes import serves_by_prefix
from advisor.model import Catalog, Index, Recommendation


def superseded(creates: list[Recommendation], catalog: Catalog,
               dropped: set[str]) -> list[tuple[Index, Recommendation]]:
    """(existing index, the new index that serves its searches) pairs; ``dropped``: qualnames
    already dropped by the plan."""
    remaining = [i for i in catalog.indexes if i.qualname not in dropped]
    built = [(rec, _as_index(rec)) for rec in creates if rec.index is not None]
    found = []
    for old in remaining:
        if not old.is_valid or old.is_unique or old.is_primary or old.constraint:
            continue
        rec = next((rec for rec, new in built if serves_by_prefix(new, old)), None)
        if rec is not None and work_besides_scans(old, catalog, remaining + [b for _, b in built]) is None:
            found.append((old, rec))
    return found


def _as_index(rec: Recommendation) -> Index:
    spec = rec.index
    schema = spec.table.split(".", 1)[0]
    return Index(schema, rec.name, spec.table, rec.ddl, columns=list(spec.columns),
                 include=list(spec.include), method=spec.method, predicate=spec.where)


__all__ = ["superseded"]
