"""Tiny snapshots for the rules' examples: a schema in DDL, a few statements, hand-written plans.

    >>> s = snapshot("CREATE TABLE t (id int PRIMARY KEY, a int);", rows={"t": 50_000},
    ...              statements=[stmt("SELECT * FROM t WHERE a = $1", plan=seq_scan("t", "(a = $1)", 5))])
    >>> s.catalog.table("public.t").reltuples, s.statements[0].plan["Node Type"]
    (50000, 'Seq Scan')
"""

from __future__ import annotations

from typing import Any

from advisor.analyze.ddl import catalog_from_ddl
from advisor.model import ColumnStats, Snapshot, Statement, Trace, TraceEvent


def snapshot(ddl: str, rows: dict[str, float] | None = None, statements: list[Statement] = (),
             stats: dict[str, ColumnStats] | None = None, traces: list[Trace] = (),
             extensions: dict[str, str] | None = None, available: list[str] = ("pg_trgm",),
             index_scans: dict[str, int] | None = None, **fields: Any) -> Snapshot:
    """``stats`` keys are ``table.column``; ``index_scans`` sets idx_scan by index name."""
    catalog = catalog_from_ddl(ddl, rows)
    catalog.extensions = dict(extensions or {"plpgsql": "1.0"})
    catalog.available_extensions = list(available)
    for key, value in (stats or {}).items():
        table, column = key.rsplit(".", 1)
        found = catalog.find_table(table)
        if found and found.column(column):
            found.column(column).stats = value
    for index in catalog.indexes:
        index.idx_scan = (index_scans or {}).get(index.name, 100)
        index.size_bytes = 8192 * 100
    fields.setdefault("created_at", "2026-11-28T12:00:00+00:00")
    catalog.stats_reset = fields.pop("stats_reset", "2026-10-28T12:00:00+00:00")
    return Snapshot(database="example", server_version="15.8", server_version_num=150008,
                    statements=list(statements), catalog=catalog, traces=list(traces), **fields)


def stmt(sql: str, calls: int = 1000, total_ms: float = 5000.0, plan: dict | None = None,
         **fields: Any) -> Statement:
    return Statement(query=sql, calls=calls, total_time_ms=total_ms, mean_time_ms=total_ms / max(calls, 1),
                     plan=plan, **fields)


def seq_scan(table: str, filter: str | None, rows: float, cost: float = 1000.0, alias: str | None = None,
             schema: str = "public") -> dict:
    node = {"Node Type": "Seq Scan", "Parallel Aware": False, "Relation Name": table, "Schema": schema,
            "Alias": alias or table, "Startup Cost": 0.0, "Total Cost": cost, "Plan Rows": rows,
            "Plan Width": 100}
    if filter:
        node["Filter"] = filter
    return node


def index_scan(table: str, index: str, cond: str, rows: float = 1, cost: float = 8.0) -> dict:
    return {"Node Type": "Index Scan", "Relation Name": table, "Schema": "public", "Alias": table,
            "Index Name": index, "Index Cond": cond, "Total Cost": cost, "Plan Rows": rows}


def limit_sort(sort_key: list[str], child: dict, rows: float = 20) -> dict:
    sort = {"Node Type": "Sort", "Sort Key": sort_key, "Total Cost": child["Total Cost"] * 1.5,
            "Plan Rows": child["Plan Rows"], "Plans": [dict(child, **{"Parent Relationship": "Outer"})]}
    return {"Node Type": "Limit", "Total Cost": sort["Total Cost"], "Plan Rows": rows, "Plans": [sort]}


def nested_loop(outer: dict, inner: dict) -> dict:
    return {"Node Type": "Nested Loop", "Join Type": "Inner", "Total Cost": outer["Total Cost"] * inner["Total Cost"],
            "Plan Rows": outer["Plan Rows"], "Plans": [dict(outer, **{"Parent Relationship": "Outer"}),
                                                       dict(inner, **{"Parent Relationship": "Inner"})]}


def hash_join(probe: dict, build: dict, cond: str) -> dict:
    hashed = {"Node Type": "Hash", "Total Cost": build["Total Cost"], "Plan Rows": build["Plan Rows"],
              "Parent Relationship": "Inner", "Plans": [dict(build, **{"Parent Relationship": "Outer"})]}
    return {"Node Type": "Hash Join", "Join Type": "Inner", "Hash Cond": cond,
            "Total Cost": probe["Total Cost"] + build["Total Cost"], "Plan Rows": build["Plan Rows"],
            "Plans": [dict(probe, **{"Parent Relationship": "Outer"}), hashed]}


def trace(label: str, queries: list[tuple[str, list[str] | None]], trace_id: str = "r1",
          call_site: str | None = None, duration_ms: float = 1.0) -> Trace:
    events = [TraceEvent(query=q, params=p, duration_ms=duration_ms, offset_ms=i * duration_ms,
                         call_site=call_site if i else None)
              for i, (q, p) in enumerate(queries)]
    return Trace(id=trace_id, source="app", label=label, events=events)
