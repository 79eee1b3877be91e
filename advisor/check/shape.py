"""The shape of a plan: how each table is read, how tables are joined, what it costs.

    >>> plan = {"Node Type": "Nested Loop", "Join Type": "Inner", "Total Cost": 20.5, "Plans": [
    ...     {"Node Type": "Seq Scan", "Relation Name": "users", "Schema": "public",
    ...      "Alias": "u", "Filter": "(id > 3)", "Total Cost": 10.0},
    ...     {"Node Type": "Index Scan", "Relation Name": "orders", "Alias": "orders",
    ...      "Index Name": "orders_user_id_idx", "Total Cost": 0.5}]}
    >>> s = plan_shape(plan)
    >>> [(a.table, a.scan, a.index) for a in s.accesses]
    [('public.orders', 'index', 'orders_user_id_idx'), ('public.users u', 'seq', None)]
    >>> s.joins, s.cost
    (['Nested Loop Inner'], 20.5)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from advisor.model import Serializable

SCAN_KINDS = {
    "Seq Scan": "seq",
    "Parallel Seq Scan": "seq",
    "Index Scan": "index",
    "Index Only Scan": "index-only",
    "Bitmap Heap Scan": "bitmap",
    "Tid Scan": "tid",
    "Tid Range Scan": "tid",
    "Sample Scan": "sample",
}
INDEXED = {"index", "index-only", "bitmap", "tid"}


@dataclass
class Access(Serializable):
    """How one table (by qualified name, plus its alias when it differs) is read."""

    table: str
    scan: str  # seq, index, index-only, bitmap, tid, sample
    index: str | None = None  # index names joined by "+" (bitmap scans may use several)
    filtered: bool = False  # a Filter condition checked row by row
    rows: float = 0.0  # the planner's estimate of the rows this scan returns

    @property
    def relation(self) -> str:
        return self.table.split(" ")[0]

    @property
    def uses_index(self) -> bool:
        return self.scan in INDEXED

    def describe(self) -> str:
        return f"{self.scan} scan" + (f" using {self.index}" if self.index else "")


@dataclass
class Shape(Serializable):
    accesses: list[Access] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)  # "Hash Join Inner", in plan order
    cost: float = 0.0

    def access(self, table: str) -> Access | None:
        return next((a for a in self.accesses if a.table == table), None)

    def signature(self) -> tuple:
        """What must match for two plans to count as the same path."""
        return (tuple((a.table, a.scan, a.index) for a in self.accesses), tuple(self.joins))


def plan_shape(plan: dict) -> Shape:
    """The shape of an EXPLAIN (FORMAT JSON) plan (the ``Plan`` object)."""
    accesses: dict[str, Access] = {}
    joins: list[str] = []
    for node in _walk(plan):
        kind = node.get("Node Type", "")
        if kind in SCAN_KINDS and node.get("Relation Name"):
            access = _access(node, SCAN_KINDS[kind])
            key = access.table
            n = 2
            while key in accesses:  # the same table read twice under one alias (subqueries)
                key = f"{access.table} #{n}"
                n += 1
            access.table = key
            accesses[key] = access
        elif kind in ("Nested Loop", "Hash Join", "Merge Join"):
            joins.append(f"{kind} {node.get('Join Type', '')}".strip())
    return Shape(accesses=[accesses[k] for k in sorted(accesses)], joins=joins,
                 cost=float(plan.get("Total Cost", 0.0)))


def _access(node: dict, scan: str) -> Access:
    relation = node["Relation Name"]
    qualname = f"{node.get('Schema', 'public')}.{relation}"
    alias = node.get("Alias")
    table = qualname if not alias or alias == relation else f"{qualname} {alias}"
    index = node.get("Index Name")
    if scan == "bitmap":
        names = sorted({n["Index Name"] for n in _walk(node) if n.get("Index Name")})
        index = "+".join(names) or None
    return Access(table=table, scan=scan, index=index, filtered=bool(node.get("Filter")),
                  rows=float(node.get("Plan Rows", 0.0)))


def _walk(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []) or []:
        yield from _walk(child)
