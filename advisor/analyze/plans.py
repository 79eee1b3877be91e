"""Plan evidence: what a statement's EXPLAIN (FORMAT JSON) plan shows is slow, node by node.

    >>> from advisor.model import Catalog, Table
    >>> plan = {"Node Type": "Seq Scan", "Relation Name": "users", "Schema": "public",
    ...         "Filter": "(email = $1)", "Plan Rows": 1, "Total Cost": 1693.0}
    >>> catalog = Catalog([Table("public", "users", reltuples=50000)])
    >>> [(e.kind, e.relation, e.rows_removed, e.selectivity) for e in walk_plan(plan, catalog)]
    [('seq-scan', 'public.users', 49999.0, 2e-05)]

Kinds: ``seq-scan`` (a filtered sequential scan; rows removed and selectivity estimated from the
table's size), ``sort-limit`` (a sort feeding a LIMIT), ``nested-loop-scan`` (a nested loop whose
inner side scans a table once per outer row), ``join-scan`` (a hash or merge join that reads a
whole big table to match a few rows), ``index-filter`` (an index scan that still filters
rows after the index), ``estimate-error`` (EXPLAIN ANALYZE rows far from the estimate). Plans come
from other servers and files: anything malformed is skipped, never raised.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.model import Catalog, Statement

SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Bitmap Index Scan")
PASS_THROUGH = ("Gather Merge", "Gather", "Result", "Materialize", "Memoize", "Incremental Sort")
ESTIMATE_ERROR_FACTOR = 10.0
ESTIMATE_ERROR_MIN_ROWS = 100
MAX_NODES = 10_000
JOIN_SCAN_RATIO = 0.01  # the other side of the join is at most 1% of the scanned table


@dataclass
class PlanEvidence:
    kind: str
    node: str  # the node type
    relation: str | None = None  # qualname of the scanned table
    alias: str | None = None
    index: str | None = None
    filter: str | None = None
    index_cond: str | None = None
    cond: str | None = None  # the join condition of a join node
    rows: float | None = None  # estimated rows the node returns (whole query, not per worker)
    rows_removed: float | None = None
    selectivity: float | None = None  # rows kept / rows read
    total_cost: float | None = None
    sort_key: list[str] = field(default_factory=list)
    loops: float | None = None
    actual_rows: float | None = None
    analyzed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], False)}


def plan_root(plan: Any) -> dict | None:
    """The top plan node of an EXPLAIN JSON in any of its usual wrappings, or None."""
    for _ in range(3):
        if isinstance(plan, list) and plan:
            plan = plan[0]
        elif isinstance(plan, dict) and isinstance(plan.get("Plan"), dict):
            plan = plan["Plan"]
        else:
            break
    return plan if isinstance(plan, dict) and "Node Type" in plan else None


def nodes(plan: Any) -> Iterator[tuple[dict, list[dict]]]:
    """Every node with its ancestors (nearest last), depth first."""
    root = plan_root(plan)
    if root is None:
        return
    stack: list[tuple[dict, list[dict]]] = [(root, [])]
    seen = 0
    while stack and seen < MAX_NODES:
        node, ancestors = stack.pop()
        seen += 1
        yield node, ancestors
        children = node.get("Plans")
        if isinstance(children, list):
            for child in reversed(children):
                if isinstance(child, dict):
                    stack.append((child, ancestors + [node]))


def statement_evidence(statement: Statement, catalog: Catalog,
                       sizes: dict[str, Any] | None = None) -> list[PlanEvidence]:
    """Evidence from the generic plan, plus what EXPLAIN ANALYZE adds when the snapshot has it
    (``sizes``: ``table_sizes(catalog)``, when the caller reads many statements)."""
    sizes = table_sizes(catalog) if sizes is None else sizes
    found = list(walk_plan(statement.plan, catalog, sizes=sizes))
    if statement.analyze_plan is not None:
        found += [e for e in walk_plan(statement.analyze_plan, catalog, analyzed=True, sizes=sizes)
                  if e.kind in ("estimate-error", "index-filter") or statement.plan is None]
    return found


def table_sizes(catalog: Catalog) -> dict[str, Any]:
    """Rows per table qualname, and the qualname of each bare table name."""
    sizes: dict[str, Any] = {t.qualname: t.reltuples for t in catalog.tables}
    for table in sorted(catalog.tables, key=lambda t: t.schema != "public"):
        sizes.setdefault(table.name, table.qualname)  # bare names: plans without VERBOSE give no schema
    return sizes


def walk_plan(plan: Any, catalog: Catalog, analyzed: bool = False,
              sizes: dict[str, Any] | None = None) -> Iterator[PlanEvidence]:
    sizes = table_sizes(catalog) if sizes is None else sizes
    for node, ancestors in nodes(plan):
        try:
            yield from _node_evidence(node, ancestors, sizes, analyzed)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError):
            continue


def _node_evidence(node: dict, ancestors: list[dict], sizes: dict[str, float],
                   analyzed: bool) -> Iterator[PlanEvidence]:
    kind = node.get("Node Type")
    if kind == "Seq Scan" and node.get("Filter"):
        yield _seq_scan(node, ancestors, sizes, analyzed)
    elif kind in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan") and node.get("Filter"):
        evidence = _scan(node, "index-filter", ancestors, analyzed, sizes)
        evidence.rows_removed = _number(node.get("Rows Removed by Filter"))
        yield evidence
    elif kind == "Limit":
        sort = _below(node, ("Sort",))
        if sort is not None:
            scan = _first_scan(sort)
            evidence = _scan(scan, "sort-limit", ancestors, analyzed, sizes) if scan else PlanEvidence(
                "sort-limit", "Sort", analyzed=analyzed)
            evidence.node = "Sort"
            evidence.sort_key = [str(k) for k in sort.get("Sort Key") or []]
            evidence.rows = _number(sort.get("Plan Rows"))
            evidence.total_cost = _number(node.get("Total Cost"))
            yield evidence
    elif kind == "Nested Loop":
        yield from _nested_loop(node, ancestors, sizes, analyzed)
    elif kind in ("Hash Join", "Merge Join"):
        yield from _join_scan(node, ancestors, sizes, analyzed)
    if analyzed:
        yield from _estimate_error(node)


def _seq_scan(node: dict, ancestors: list[dict], sizes: dict[str, float], analyzed: bool) -> PlanEvidence:
    evidence = _scan(node, "seq-scan", ancestors, analyzed, sizes)
    table_rows = _rows(sizes, evidence.relation)
    removed = _number(node.get("Rows Removed by Filter"))
    if removed is not None and evidence.actual_rows is not None:
        loops = _number(node.get("Actual Loops")) or 1.0
        read = (removed + evidence.actual_rows) * loops
        evidence.rows_removed = removed * loops
        evidence.selectivity = evidence.actual_rows * loops / read if read else None
    elif table_rows > 0 and evidence.rows is not None:
        evidence.rows_removed = max(table_rows - evidence.rows, 0.0)
        evidence.selectivity = min(evidence.rows / table_rows, 1.0)
    return evidence


def _nested_loop(node: dict, ancestors: list[dict], sizes: dict, analyzed: bool) -> Iterator[PlanEvidence]:
    children = [c for c in node.get("Plans") or [] if isinstance(c, dict)]
    if len(children) != 2:
        return
    outer, inner = children
    while inner.get("Node Type") in PASS_THROUGH and isinstance(inner.get("Plans"), list) and inner["Plans"]:
        inner = inner["Plans"][0]
        if not isinstance(inner, dict):
            return
    if inner.get("Node Type") == "Seq Scan":
        evidence = _scan(inner, "nested-loop-scan", ancestors + [node], analyzed, sizes)
        evidence.node = "Nested Loop"
        evidence.cond = _text(node.get("Join Filter")) or evidence.filter
        evidence.loops = _number(outer.get("Plan Rows"))
        evidence.total_cost = _number(node.get("Total Cost"))
        yield evidence


def _join_scan(node: dict, ancestors: list[dict], sizes: dict[str, float],
               analyzed: bool) -> Iterator[PlanEvidence]:
    """A hash or merge join reading all of a big table to match a few rows of the other side."""
    children = [c for c in node.get("Plans") or [] if isinstance(c, dict)]
    if len(children) != 2:
        return
    for side, other in ((children[0], children[1]), (children[1], children[0])):
        leaf = _unwrap(side, PASS_THROUGH + ("Hash", "Sort"))
        if leaf is None or leaf.get("Node Type") != "Seq Scan":
            continue
        evidence = _scan(leaf, "join-scan", ancestors + [node], analyzed, sizes)
        other_rows = _number(other.get("Plan Rows"))
        table_rows = _rows(sizes, evidence.relation)
        if other_rows is not None and table_rows > 0 and other_rows <= table_rows * JOIN_SCAN_RATIO:
            evidence.node = str(node.get("Node Type"))
            evidence.cond = _text(node.get("Hash Cond")) or _text(node.get("Merge Cond"))
            evidence.loops = other_rows
            evidence.total_cost = _number(node.get("Total Cost"))
            yield evidence


def _unwrap(node: dict, kinds: tuple[str, ...]) -> dict | None:
    for _ in range(8):
        if node.get("Node Type") not in kinds:
            return node
        children = node.get("Plans")
        if not isinstance(children, list) or len(children) != 1 or not isinstance(children[0], dict):
            return None
        node = children[0]
    return None


def _estimate_error(node: dict) -> Iterator[PlanEvidence]:
    estimated = _number(node.get("Plan Rows"))
    actual = _number(node.get("Actual Rows"))
    if estimated is None or actual is None:
        return
    low, high = sorted((max(estimated, 1.0), max(actual, 1.0)))
    if high >= ESTIMATE_ERROR_MIN_ROWS and high / low >= ESTIMATE_ERROR_FACTOR:
        evidence = _scan(node, "estimate-error", [], True)
        evidence.rows, evidence.actual_rows = estimated, actual
        yield evidence


def _scan(node: dict, kind: str, ancestors: list[dict], analyzed: bool,
          sizes: dict | None = None) -> PlanEvidence:
    relation = node.get("Relation Name")
    schema = node.get("Schema")
    if not isinstance(schema, str):
        known = (sizes or {}).get(relation) if isinstance(relation, str) else None
        schema = known.split(".", 1)[0] if isinstance(known, str) else "public"
    rows = _number(node.get("Plan Rows"))
    if rows is not None and node.get("Parallel Aware"):
        rows *= _parallel_divisor(ancestors)
    actual = _number(node.get("Actual Rows")) if analyzed else None
    return PlanEvidence(
        kind=kind, node=str(node.get("Node Type")),
        relation=f"{schema}.{relation}" if isinstance(relation, str) else None,
        alias=_text(node.get("Alias")), index=_text(node.get("Index Name")),
        filter=_text(node.get("Filter")), index_cond=_text(node.get("Index Cond")), rows=rows, total_cost=_number(node.get("Total Cost")),
        actual_rows=actual, analyzed=analyzed)


def _rows(sizes: dict, relation: str | None) -> float:
    rows = sizes.get(relation or "")
    return float(rows) if isinstance(rows, int | float) else 0.0


def _parallel_divisor(ancestors: list[dict]) -> float:
    """A parallel scan's estimate is per process; PostgreSQL divides by workers + leader share."""
    for node in reversed(ancestors):
        workers = _number(node.get("Workers Planned"))
        if workers:
            return workers + max(0.0, 1.0 - 0.3 * workers)
    return 1.0


def _below(node: dict, kinds: tuple[str, ...]) -> dict | None:
    """The first node of ``kinds`` under ``node`` through single-input pass-through nodes."""
    current = node
    for _ in range(8):
        children = current.get("Plans")
        if not isinstance(children, list) or not children or not isinstance(children[0], dict):
            return None
        current = children[0]
        if current.get("Node Type") in kinds:
            return current
        if current.get("Node Type") not in PASS_THROUGH:
            return None
    return None


def _first_scan(node: dict) -> dict | None:
    for child, _ancestors in nodes(node):
        if child.get("Node Type") in SCANS and child.get("Relation Name"):
            return child
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None
