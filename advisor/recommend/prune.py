"""Candidate pruning before costing: what no statement can use, what another candidate dominates,
and, past a per-table cap, the candidates whose statements can save least per candidate.

    >>> from advisor.model import IndexSpec
    >>> a, ab = IndexSpec("public.t", ["a"]), IndexSpec("public.t", ["a", "b"])
    >>> item = Item("f1", "SELECT ...", 1.0, frozenset({"public.t"}), {"public.t": {"a", "b"}},
    ...             proposed={a.key(): 1, ab.key(): 0})
    >>> kept, rejected = prune([a, ab], [item], lambda items: [100.0] * len(items), budgeted=False)
    >>> [k.columns for k in kept], [why.split(":")[0] for _, why in rejected]
    ([['a', 'b']], ['dominated'])

Each candidate is priced on every statement that searches on its leading key, so the number of
EXPLAINs grows with candidates x statements; on a large workload the INCLUDE variants alone (one
per distinct list of columns read) would make that quadratic. So, before any EXPLAIN:

- a candidate no plannable statement searches on is dropped;
- without a storage budget, a candidate that is a key prefix of another one proposed for every
  statement it was proposed for is dropped: the wider one serves all its searches (under a
  budget the narrower one is kept, as the cheaper option);
- past ``MAX_PER_TABLE`` candidates on one table, the rest are dropped. A candidate ranks by
  what the statements that proposed it could save at most (their weighted cost), each
  statement's share split evenly among the candidates it proposes on that table; then by its rank
  in those lists (best guess first). Split, a heavy statement's tenth alternative does not crowd
  out a lighter statement's only covering index (TPC-H Q6: a scan that only an index-only scan
  of ``(l_shipdate) INCLUDE (...)`` serves).

Every dropped candidate gets its reason, like the ones the selection turns down.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.ddl import index_name
from advisor.model import IndexSpec
from advisor.recommend.select import Item

MAX_PER_TABLE = 40  # candidates priced per table; the rest are dropped with a reason


def prune(candidates: list[IndexSpec], items: list[Item], base_cost: Callable[[list[Item]], list[float]],
          budgeted: bool, max_per_table: int = MAX_PER_TABLE):
    """(candidates kept, [(candidate, reason)] dropped); ``base_cost`` prices items with no new
    index."""
    proposers: dict[tuple, list[Item]] = {}
    for item in items:
        for key in item.proposed:
            proposers.setdefault(key, []).append(item)
    rejected: list[tuple[IndexSpec, str]] = []
    kept: list[IndexSpec] = []
    for spec in candidates:
        if spec.key() not in proposers:
            rejected.append((spec, "not priced: none of the statements it was made for can be "
                                   "EXPLAINed here"))
        else:
            kept.append(spec)
    if not budgeted:
        kept, dominated = _undominated(kept, proposers)
        rejected += dominated
    costs = base_cost(items)
    worth = {i.key: i.weight * c for i, c in zip(items, costs, strict=True)}
    kept, capped = _capped(kept, proposers, worth, max_per_table)
    keys = {s.key() for s in kept}
    return [s for s in candidates if s.key() in keys], rejected + capped


def _undominated(candidates: list[IndexSpec], proposers: dict[tuple, list[Item]]):
    kept, rejected = [], []
    wider: dict[tuple, list[IndexSpec]] = {}  # (kind, leading keys) -> candidates extending them
    for w in candidates:
        for n in range(1, len(w.columns)):
            wider.setdefault(_kind(w) + tuple(w.columns[:n]), []).append(w)
    for spec in candidates:
        mine = proposers[spec.key()]
        cover = next((w for w in wider.get(_kind(spec) + tuple(spec.columns), ())
                      if set(spec.include) <= set(w.include) | set(w.columns)
                      and all(w.key() in i.proposed for i in mine)), None)
        if cover is None:
            kept.append(spec)
        else:
            rejected.append((spec, f"dominated: {index_name(cover)} {cover.columns} serves every "
                                   "statement it was made for, and more"))
    return kept, rejected


def _kind(spec: IndexSpec) -> tuple:
    return (spec.table, spec.method, spec.where, spec.opclass)


def _capped(candidates: list[IndexSpec], proposers: dict[tuple, list[Item]],
            worth: dict[str, float], cap: int):
    by_table: dict[str, list[IndexSpec]] = {}
    for spec in candidates:
        by_table.setdefault(spec.table, []).append(spec)
    kept, rejected = [], []
    for table, specs in by_table.items():
        mine = {s.key() for s in specs}
        share = {i.key: worth[i.key] / sum(1 for k in i.proposed if k in mine)
                 for s in specs for i in proposers[s.key()]}
        ranked = sorted(specs, key=lambda s: (-sum(share[i.key] for i in proposers[s.key()]),
                                              min(i.proposed[s.key()] for i in proposers[s.key()]),
                                              len(s.columns) + len(s.include)))
        kept += ranked[:cap]
        rejected += [(s, f"not priced: {table} has {len(specs)} candidates, and only the {cap} whose "
                         "statements could save the most per candidate are (per-table cap)")
                     for s in ranked[cap:]]
    return kept, rejected
