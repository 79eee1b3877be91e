"""A hand-built Snapshot / Analysis / Plan / validation, with hostile text where text can be hostile."""

from __future__ import annotations

from advisor.model import (
    Analysis,
    Catalog,
    Finding,
    IndexSpec,
    Plan,
    Recommendation,
    Rejected,
    Snapshot,
    Statement,
    StatementGain,
    Trace,
    TraceEvent,
)

HOSTILE_SQL = "SELECT '</script><script>alert(1)</script>' AS x, '<img src=x onerror=alert(2)>' FROM \"order\" WHERE a = $1"
HOSTILE_TABLE = 'public.Weird "Name"<b>|x'
HOSTILE_INDEX = 'weird_<img src=x onerror=alert(3)>_idx'

SEQ_PLAN = {"Node Type": "Limit", "Startup Cost": 0.0, "Total Cost": 1520.3, "Plan Rows": 10,
            "Plans": [{"Node Type": "Seq Scan", "Relation Name": "order", "Schema": "public", "Alias": "o",
                       "Startup Cost": 0.0, "Total Cost": 1520.3, "Plan Rows": 12,
                       "Filter": "(customer_id = $1)"}]}
INDEX_PLAN = {"Node Type": "Limit", "Startup Cost": 0.29, "Total Cost": 8.4, "Plan Rows": 10,
              "Plans": [{"Node Type": "Index Scan", "Relation Name": "order", "Schema": "public", "Alias": "o",
                         "Index Name": "order_customer_id_idx", "Startup Cost": 0.29, "Total Cost": 8.4,
                         "Plan Rows": 12, "Index Cond": "(customer_id = $1)"}]}


def snapshot() -> Snapshot:
    statements = [
        Statement(query="SELECT * FROM \"order\" o WHERE o.customer_id = $1 LIMIT $2", calls=12_000,
                  total_time_ms=96_000.0, mean_time_ms=8.0, rows=120_000, shared_blks_hit=4_000_000,
                  plan=SEQ_PLAN),
        Statement(query=HOSTILE_SQL, calls=40, total_time_ms=3_000.0, mean_time_ms=75.0, rows=40,
                  plan={"Node Type": "Seq Scan", "Relation Name": 'Weird "Name"<b>|x', "Schema": "public",
                        "Total Cost": 900.0, "Plan Rows": 1, "Filter": "(a = '<script>alert(4)</script>')"}),
        Statement(query="SELECT * FROM order_item WHERE order_id = $1", calls=50_000, total_time_ms=20_000.0,
                  mean_time_ms=0.4, rows=150_000),
        Statement(query="UPDATE product SET stock = stock - $1 WHERE id = $2", calls=900, total_time_ms=450.0,
                  mean_time_ms=0.5, rows=900, plan_error="utility or write statement"),
    ]
    fps = [s.fingerprint for s in statements]
    traces = [Trace(id=f"t{i}", source="app", label="GET /orders/<id>", events=[
        TraceEvent(query=statements[0].query, fingerprint=fps[0], duration_ms=2.0),
        *[TraceEvent(query=statements[2].query, fingerprint=fps[2], duration_ms=0.4,
                     call_site="app_under_test/endpoints.py:88 in order_detail") for _ in range(20)],
    ]) for i in range(3)]
    traces.append(Trace(id="other", source="app", label="GET /elsewhere", events=[
        TraceEvent(query=statements[2].query, fingerprint=fps[2], call_site="elsewhere.py:1 in once")]))
    return Snapshot(created_at="2026-11-28T12:00:00+00:00", database="shopease", server_version="15.8",
                    statements=statements, traces=traces,
                    catalog=Catalog(pgss_stats_reset="2026-11-28T11:00:00+00:00"),
                    notes=["skipped 1 statement: <syntax error>"])


def analysis(snap: Snapshot | None = None) -> Analysis:
    snap = snap or snapshot()
    fps = [s.fingerprint for s in snap.statements]
    recs = [
        Recommendation(action="create", table="public.order", name="order_customer_id_idx",
                       ddl='CREATE INDEX CONCURRENTLY IF NOT EXISTS order_customer_id_idx ON public."order" (customer_id)',
                       index=IndexSpec(table="public.order", columns=["customer_id"]),
                       estimated_size_bytes=2_400_000, benefit=18_144_000.0, write_overhead=1_200.0,
                       statements=[StatementGain(fps[0], 12_000, 1520.3, 8.4)],
                       reason="Seq Scan on order filtering customer_id",
                       evidence={"plan_after": INDEX_PLAN}),
        Recommendation(action="create", table=HOSTILE_TABLE, name=HOSTILE_INDEX,
                       ddl=f'CREATE INDEX CONCURRENTLY "{HOSTILE_INDEX}" ON public."Weird ""Name""<b>|x" (a)',
                       index=IndexSpec(table=HOSTILE_TABLE, columns=["a"], include=["b"], where="a <> '<i>'"),
                       estimated_size_bytes=80_000, benefit=30_000.0,
                       statements=[StatementGain(fps[1], 40, 900.0, 12.0)],
                       reason="filter on a: </script><script>alert(5)</script>"),
        Recommendation(action="drop", table="public.order", name="order_status_old",
                       ddl="DROP INDEX CONCURRENTLY IF EXISTS public.order_status_old",
                       estimated_size_bytes=1_000_000, reason="never used; redundant with order_status_open_idx",
                       evidence={"idx_scan": 0, "since": "2026-11-01",
                                 "definition": "CREATE INDEX order_status_old ON public.\"order\" USING btree (status)"}),
    ]
    plan = Plan(recommendations=recs, cost_before=18_400_000.0, cost_after=260_000.0, explain_calls=42,
                rejected=[Rejected(index=IndexSpec(table="public.product", columns=["stock"]),
                                   reason="write cost: 900 updates/h outweigh 2% read gain <b>", benefit=-10.0)])
    findings = [
        Finding(rule="missing-index", severity="high", message="Seq Scan on order filters 12 of 50,000 rows",
                help="create order_customer_id_idx", table="public.order", statements=[fps[0]],
                evidence={"reason": "filter", "rows_removed": 49_988,
                          "plan_node": {"kind": "seq-scan", "node": "Seq Scan", "relation": "public.order",
                                        "alias": "o"}}),
        Finding(rule="missing-index", severity="medium", message="Seq Scan on <b>Weird</b> | table",
                help="</td><script>alert(6)</script>", table=HOSTILE_TABLE, statements=[fps[1]]),
        Finding(rule="n-plus-one", severity="high",
                message="GET /orders/<id> runs the same SELECT on order_item 20 times per request",
                help="load the items with the order: selectinload(Order.items)", table="public.order_item",
                statements=[fps[0], fps[2]], confidence="high",
                evidence={"endpoint": "GET /orders/<id>", "parent_statement": fps[0], "repeated_statement": fps[2],
                          "repeated_query": snap.statements[2].query, "count_per_request": 20, "requests": 3,
                          "time_per_request_ms": 8.0, "call_site": "app_under_test/endpoints.py:88 in order_detail",
                          "kind": "read", "total_time_ms": 24.0,
                          "fix": {"options": ["selectinload(Order.items)"], "at": "app_under_test/endpoints.py:80 in order_detail",
                                  "import": "from sqlalchemy.orm import selectinload"}}),
        Finding(rule="unused-index", severity="low", message="order_status_old was never scanned",
                help="drop it", table="public.order", evidence={"idx_scan": 0}),
    ]
    return Analysis(snapshot_summary={"database": "shopease", "statements": len(snap.statements),
                                      "capture_window": "2026-11-28T11:00 → 12:00"},
                    findings=findings, plan=plan,
                    unparsed=[{"statement": "SELEC <script>x</script>", "reason": "syntax error | near SELEC"}])


def validation() -> dict:
    return {
        "workload": "shopease", "repetitions": 3, "scratch_copy": True,
        "overall": {"before": {"p95_ms": 48.0, "rps": 210.0, "mean_queries": 9.1},
                    "after": {"p95_ms": 6.5, "rps": 980.0, "mean_queries": 9.1},
                    "throughput_ratio": 4.67, "p95_speedup": 7.38},
        "endpoints": [
            {"endpoint": "GET /orders/<id>", "before": {"p95_ms": 60.0, "rps": 90.0, "mean_queries": 21.0},
             "after": {"p95_ms": 7.0, "rps": 400.0, "mean_queries": 21.0}, "p95_speedup": 8.57},
            {"endpoint": "GET /search", "before": {"p95_ms": 30.0, "rps": 120.0, "mean_queries": 2.0},
             "after": {"p95_ms": 25.0, "rps": 130.0, "mean_queries": 2.0}, "p95_speedup": 1.2},
        ],
        "statements": [{"statement": "x", "query": HOSTILE_SQL, "before": {"mean_ms": 75.0, "calls": 40},
                        "after": {"mean_ms": 2.0, "calls": 40}, "speedup": 37.5}],
        "eager_loading": {
            "lazy": {"endpoints": {"GET /orders/<id>": {"mean_queries": 21.0, "p95_ms": 7.0, "rps": 400.0},
                                   "GET /search": {"mean_queries": 2.0, "p95_ms": 25.0, "rps": 130.0}}},
            "eager": {"endpoints": {"GET /orders/<id>": {"mean_queries": 2.0, "p95_ms": 3.1, "rps": 700.0},
                                    "GET /search": {"mean_queries": 2.0, "p95_ms": 25.0, "rps": 131.0}}},
        },
        "recommendations": [
            {"name": "order_customer_id_idx", "table": "public.order", "idx_scan": 36_000,
             "estimated_speedup": 181.0, "measured_speedup": 9.5, "statements_measured": 1, "helps": True,
             "verdict": "helps"},
            {"name": HOSTILE_INDEX, "table": HOSTILE_TABLE, "idx_scan": 0, "estimated_speedup": 75.0,
             "measured_speedup": None, "statements_measured": 0, "helps": False,
             "verdict": "not used by any plan during the workload"},
        ],
    }
