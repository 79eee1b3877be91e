"""Plan evidence on real PostgreSQL plans, and on anything malformed (never a crash)."""

from __future__ import annotations

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.analyze import analyze
from advisor.analyze.plans import nodes, plan_root, walk_plan
from advisor.model import Catalog, Snapshot, Statement, Table
from tests.analyze.dbsnap import generic_plan, snapshot

DDL = """
CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, active boolean NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                     status text NOT NULL, created_at timestamptz NOT NULL);
"""
LOAD = """
INSERT INTO users SELECT g, 'user' || g || '@example.com', g % 10 <> 0 FROM generate_series(1, 2000) g;
INSERT INTO orders SELECT g, 1 + g % 2000, (ARRAY['paid','paid','paid','paid','shipped'])[1 + g % 5],
       now() - g * interval '1 minute' FROM generate_series(1, 40000) g;
ANALYZE;
"""
FILTER = "SELECT * FROM orders WHERE user_id = $1"
SORT = "SELECT * FROM orders ORDER BY created_at DESC LIMIT 20"
JOIN = "SELECT o.* FROM users u JOIN orders o ON o.user_id = u.id WHERE u.email = $1"
LOWER = "SELECT * FROM users WHERE lower(email) = $1"
STATUS = "SELECT count(*) FROM orders WHERE status = 'paid'"


def build(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DDL + LOAD)


def test_real_plans_give_missing_index_evidence(fresh_db):
    build(fresh_db)
    snap = snapshot(fresh_db, DDL, [FILTER, SORT, JOIN, LOWER, STATUS])
    analysis = analyze(snap)
    missing = [f for f in analysis.findings if f.rule == "missing-index"]
    reasons = {(f.table, tuple(f.evidence["index_columns"]), f.evidence["reason"]) for f in missing}
    assert ("public.orders", ("user_id",), "filter") in reasons
    assert ("public.orders", ("created_at DESC",), "sort") in reasons
    filter_finding = next(f for f in missing if f.evidence["reason"] == "filter")
    assert filter_finding.evidence["reasons"] == ["filter", "join"]  # the hash join of JOIN too
    assert len(filter_finding.statements) == 2
    assert filter_finding.evidence["plan_node"]["node"] == "Seq Scan"
    assert filter_finding.evidence["rows_removed"] > 30_000
    assert 0 < filter_finding.evidence["share_of_total_time"] <= 1
    low = [f for f in analysis.findings if f.rule == "low-selectivity-filter"]
    assert any("status = 'paid'" in f.message and "80%" in f.message for f in low)
    assert not any(f.evidence.get("index_columns") == ["status"] for f in missing)
    assert any(f.rule == "fk-without-index" and f.table == "public.orders" for f in analysis.findings)


def test_an_index_makes_the_finding_go_away(fresh_db):
    build(fresh_db)
    ddl = DDL + "CREATE INDEX ix_orders_user_id ON orders (user_id);"
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE INDEX ix_orders_user_id ON orders (user_id); ANALYZE orders")
    analysis = analyze(snapshot(fresh_db, ddl, [FILTER]))
    assert not [f for f in analysis.findings if f.rule in ("missing-index", "fk-without-index")]


def test_explain_analyze_counts_removed_rows(fresh_db):
    build(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        plan = generic_plan(conn, "SELECT * FROM orders WHERE user_id = 7", analyze=True)
    catalog = Catalog([Table("public", "orders", reltuples=40_000)])
    (scan,) = [e for e in walk_plan(plan, catalog, analyzed=True) if e.kind == "seq-scan"]
    assert scan.actual_rows is not None and scan.rows_removed >= 39_000


# -- malformed plans ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["Node Type", "Plans", "Plan", "Relation Name", "Schema", "Filter", "Plan Rows",
                         "Actual Rows", "Rows Removed by Filter", "Sort Key", "Workers Planned",
                         "Parallel Aware", "Total Cost", "Alias", "Actual Loops", "x"]),
        children, max_size=6),
    max_leaves=30)
node_types = st.sampled_from(["Seq Scan", "Limit", "Sort", "Nested Loop", "Hash Join", "Hash",
                              "Index Scan", "Gather Merge", "Merge Join", 3, None])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=json_values, node_type=node_types)
def test_malformed_plans_never_crash(plan, node_type):
    if isinstance(plan, dict):
        plan.setdefault("Node Type", node_type)
        plan.setdefault("Plans", [dict(plan), {"Node Type": node_type, "Plans": plan.get("Plans")}])
    catalog = Catalog([Table("public", "orders", reltuples=50_000)])
    list(walk_plan(plan, catalog))
    list(walk_plan(plan, catalog, analyzed=True))
    list(nodes(plan))
    snap = Snapshot(statements=[Statement("SELECT * FROM orders WHERE id = $1", calls=3, plan=plan,
                                          analyze_plan=plan)], catalog=catalog)
    assert "rule_errors" not in analyze(snap).snapshot_summary


def test_plan_root_accepts_the_usual_wrappings():
    node = {"Node Type": "Result"}
    assert plan_root(node) is plan_root({"Plan": node}) is plan_root([{"Plan": node}]) is node
    assert plan_root("nonsense") is None and plan_root([]) is None and plan_root({"Plan": 3}) is None
