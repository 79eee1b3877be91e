"""A LIMIT over an index that only sorts is priced as if its filter's rows sat at the far end."""

import psycopg
import pytest

from advisor.analyze import analyze
from advisor.capture import capture
from advisor.model import Trace, TraceEvent
from advisor.recommend import RecommendSettings, recommend

PENDING = "SELECT id, total FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 50"
NEWEST = "SELECT id, total FROM orders ORDER BY created_at DESC LIMIT 20"


@pytest.fixture
def orders_db(fresh_db):
    """100,000 orders; the newest 2% are pending: correlated with created_at, which the planner
    cannot see."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, status text NOT NULL, "
                     "total numeric NOT NULL, created_at timestamptz NOT NULL)")
        conn.execute("INSERT INTO orders (status, total, created_at) SELECT "
                     "CASE WHEN g > 98000 THEN 'pending' ELSE 'delivered' END, g % 100, "
                     "timestamptz '2024-01-01' + g * interval '1 minute' "
                     "FROM generate_series(1, 100000) g")
        conn.execute("ANALYZE orders")
    return fresh_db


def test_rare_value_gets_its_equality_key(orders_db):
    """The traces show the statement always asks for 'pending'."""
    with psycopg.connect(orders_db, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        for _ in range(20):
            conn.execute(PENDING)
            conn.execute(NEWEST)
    snapshot = capture(orders_db)
    pending = next(s for s in snapshot.statements if "status" in s.query)
    snapshot.traces = [Trace(id=str(i), source="app", events=[
        TraceEvent(pending.query, params=["pending", "50"])]) for i in range(3)]
    plan = recommend(orders_db, snapshot, analyze(snapshot), RecommendSettings(min_table_rows=100))
    creates = [r.index.columns for r in plan.recommendations if r.action == "create"]
    assert any(cols[0] == "status" and "created_at" in cols[1] for cols in creates), creates


def test_sort_only_index_is_priced_as_read_to_the_end(orders_db):
    from advisor.model import IndexSpec
    from advisor.recommend.whatif import WhatIf

    sort_only = IndexSpec("public.orders", ["created_at"])
    equality_first = IndexSpec("public.orders", ["status", "created_at"])
    with WhatIf.open(orders_db) as whatif:
        fragile = whatif.cost(PENDING, [sort_only])
        robust = whatif.cost(PENDING, [equality_first])
        plain = whatif.plan(PENDING, [sort_only])["Total Cost"]
    assert plain < fragile  # the planner's own figure assumes the pending rows come early
    assert robust * 10 < fragile


TEAM_EVENTS = ("SELECT e.id FROM events e JOIN members m ON m.id = e.member_id "
               "WHERE m.team_id = $1 ORDER BY e.created_at DESC LIMIT 20")


@pytest.fixture
def events_db(fresh_db):
    """200,000 events of 20,000 members in 2,000 teams: one team owns 0.05% of the events."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE members (id int PRIMARY KEY, team_id int NOT NULL)")
        conn.execute("CREATE TABLE events (id serial PRIMARY KEY, member_id int NOT NULL, "
                     "created_at timestamptz NOT NULL)")
        conn.execute("INSERT INTO members SELECT g, g % 2000 FROM generate_series(1, 20000) g")
        conn.execute("INSERT INTO events (member_id, created_at) SELECT 1 + g % 20000, "
                     "timestamptz '2024-01-01' + g * interval '1 minute' FROM generate_series(1, 200000) g")
        conn.execute("ANALYZE")
    return fresh_db


def test_sort_only_index_under_a_thinning_join_is_priced_as_read_to_the_end(events_db):
    from advisor.model import IndexSpec
    from advisor.recommend.whatif import WhatIf

    sort_only = IndexSpec("public.events", ["created_at"])
    by_member = IndexSpec("public.events", ["member_id"])
    with WhatIf.open(events_db) as whatif:
        without = whatif.cost(TEAM_EVENTS, [])
        plan = whatif.plan(TEAM_EVENTS, [sort_only])
        fragile = whatif.cost(TEAM_EVENTS, [sort_only])
        robust = whatif.cost(TEAM_EVENTS, [by_member, IndexSpec("public.members", ["team_id"])])
    assert plan["Plans"][0]["Node Type"] == "Nested Loop", plan
    assert plan["Total Cost"] < without < fragile  # the planner's own figure: the team's rows come early
    assert robust < without
