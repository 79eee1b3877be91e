"""EXPLAIN (FORMAT JSON) plans as trees the report can draw, with the problem nodes marked.

    >>> plan = {"Node Type": "Seq Scan", "Relation Name": "order", "Schema": "public",
    ...         "Total Cost": 120.5, "Plan Rows": 3, "Filter": "(customer_id = $1)"}
    >>> node = plan_view(plan, problem_tables={"public.order"})
    >>> node.label, node.problem, node.details
    ('Seq Scan on public.order', True, [('Filter', '(customer_id = $1)')])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Keys shown under a node, in this order; the rest of EXPLAIN's keys are noise for a reader.
DETAIL_KEYS = ("Index Name", "Index Cond", "Recheck Cond", "Filter", "Rows Removed by Filter",
               "Join Filter", "Hash Cond", "Merge Cond", "Sort Key", "Sort Method", "Group Key",
               "Actual Rows", "Actual Total Time", "Actual Loops", "Shared Hit Blocks", "Shared Read Blocks")
SCANS_TO_FLAG = ("Seq Scan", "Bitmap Heap Scan")


@dataclass
class NodeView:
    label: str
    cost: str
    rows: str
    details: list[tuple[str, str]] = field(default_factory=list)
    problem: bool = False
    children: list[NodeView] = field(default_factory=list)

    def walk(self) -> Iterable[NodeView]:
        yield self
        for child in self.children:
            yield from child.walk()


def plan_view(plan: dict, problem_tables: set[str] = frozenset(), problem_nodes: Iterable[dict] = ()) -> NodeView:
    """The tree with its problem nodes marked.

    ``problem_nodes`` are the findings' ``plan_node`` evidence (``{"node": "Seq Scan", "relation":
    "public.order", "alias": "o"}``): a node matching one is a problem. Without them, a sequential
    or bitmap heap scan of a table in ``problem_tables`` is.
    """
    specs = [n for n in problem_nodes if isinstance(n, dict) and n.get("node")]
    relation = plan.get("Relation Name")
    qualified = f"{plan['Schema']}.{relation}" if relation and plan.get("Schema") else relation
    label = plan.get("Node Type", "?")
    if plan.get("Join Type") and "Join" in label or label == "Nested Loop":
        label = f"{plan.get('Join Type', '')} {label}".strip()
    if relation:
        label += f" on {qualified}"
        if plan.get("Alias") and plan["Alias"] != relation:
            label += f" {plan['Alias']}"
    if specs:
        problem = any(_matches(plan, qualified, spec) for spec in specs)
    else:
        problem = (plan.get("Node Type") in SCANS_TO_FLAG and relation is not None
                   and (qualified in problem_tables or f"public.{relation}" in problem_tables))
    cost = f"{plan.get('Startup Cost', 0):,.2f}..{plan.get('Total Cost', 0):,.2f}"
    return NodeView(
        label=label, cost=cost, rows=f"{plan.get('Plan Rows', 0):,}",
        details=[(k, _text(plan[k])) for k in DETAIL_KEYS if k in plan],
        problem=problem,
        children=[plan_view(child, problem_tables, specs) for child in plan.get("Plans", [])],
    )


def _matches(plan: dict, qualified: str | None, spec: dict) -> bool:
    return (plan.get("Node Type") == spec["node"]
            and spec.get("relation") in (None, qualified)
            and spec.get("alias") in (None, plan.get("Alias")))


def _text(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def plans_after(evidence: dict, statements: list[str]) -> dict[str, dict]:
    """``plan_after`` from a recommendation's evidence, by statement fingerprint.

    One plan (for the first statement served) or a fingerprint -> plan mapping, each plan in any
    of EXPLAIN's JSON wrappings.
    """
    from advisor.analyze.plans import plan_root

    raw = evidence.get("plan_after")
    single = plan_root(raw)
    if single is not None:
        return {statements[0]: single} if statements else {}
    if not isinstance(raw, dict):
        return {}
    plans = {key: plan_root(plan) for key, plan in raw.items()}
    return {key: plan for key, plan in plans.items() if plan is not None}
