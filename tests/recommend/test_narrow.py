"""Advice a reviewer merges as-is, on a real server: wide INCLUDE columns struck, HOT updates
charged, overlapping indexes merged, a low-selectivity count(*) left alone."""

import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

import psycopg
import pytest

from advisor.analyze.shapes import extract_shapes
from advisor.model import Analysis, IndexSpec, Snapshot, Statement
from advisor.recommend import RecommendSettings, recommend
from advisor.recommend.narrow import Tolerance, refine, variants
from advisor.recommend.plan import NOT_TIMED, _tolerance, _write_cost, workload
from advisor.recommend.select import Evaluator
from advisor.recommend.whatif import WhatIf
from advisor.recommend.writes import WriteCost

SCHEMA = """
CREATE TABLE posts (id bigint PRIMARY KEY, author_id int NOT NULL, created_at timestamptz NOT NULL,
                    title text NOT NULL, body text NOT NULL);
INSERT INTO posts SELECT g, g % 2000, timestamptz '2024-01-01' + g * interval '1 minute',
       'title ' || g, repeat('lorem ipsum dolor sit amet ', 12) || g FROM generate_series(1, 40000) g;
CREATE TABLE accounts (id bigint PRIMARY KEY, owner_id int NOT NULL, plan text NOT NULL,
                       last_seen timestamptz NOT NULL, balance numeric NOT NULL);
INSERT INTO accounts SELECT g, g % 5000, 'basic', timestamptz '2024-01-01' + g * interval '1 minute',
       g % 100 FROM generate_series(1, 40000) g;
CREATE TABLE items (id bigint PRIMARY KEY, shop_id int NOT NULL, created_at timestamptz NOT NULL,
                    price numeric NOT NULL, note text);
INSERT INTO items SELECT g, g % 400, timestamptz '2024-01-01' + g * interval '1 minute', g % 90, NULL
       FROM generate_series(1, 40000) g;
CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL, payload int);
INSERT INTO events SELECT g, CASE WHEN g % 10 < 2 THEN 'alert' WHEN g % 10 < 5 THEN 'audit' ELSE 'info' END,
       timestamptz '2024-01-01' + g * interval '1 second', g FROM generate_series(1, 300000) g;
"""
POSTS = "SELECT id, author_id, created_at, title, body FROM posts WHERE author_id = $1 ORDER BY created_at DESC LIMIT 20"
TOUCH = "UPDATE accounts SET last_seen = now() WHERE id = $1"
RECENT = "SELECT id, owner_id FROM accounts WHERE last_seen >= $1 AND last_seen < $2"
COUNT = "SELECT count(*) FROM events WHERE kind = $1"


@pytest.fixture(scope="module")
def db(pg):
    name = f"narrow_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("ANALYZE")
    _all_visible(dsn)
    yield dsn
    pg.drop_database(name)


def _all_visible(dsn: str, tries: int = 20) -> None:
    """VACUUM until every page is all-visible, so index-only scans are real (a VACUUM racing
    another session's snapshot, or in the loading session, can leave pages unmarked)."""
    import time

    for _ in range(tries):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM")
            if conn.execute("SELECT bool_and(relallvisible = relpages) FROM pg_class WHERE relname "
                            "IN ('posts', 'accounts', 'items', 'events')").fetchone()[0]:
                return
        time.sleep(0.5)
    raise AssertionError("VACUUM left pages not all-visible")


def _snapshot(dsn, statements) -> Snapshot:
    from advisor.capture.catalog import read_catalog
    from advisor.db import session

    with session(dsn) as conn:
        catalog = read_catalog(conn, [])
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    return Snapshot(database="narrow", server_version_num=version, statements=statements, catalog=catalog)


def _creates(plan, table):
    return [r for r in plan.recommendations if r.action == "create" and r.table == f"public.{table}"]


def test_variants_keep_the_leading_key_and_drop_include_then_trailing_keys():
    spec = IndexSpec("public.t", ["a", "b", "c"], include=["x"])
    found = {(tuple(v.columns), tuple(v.include)) for v in variants(spec)}
    assert (("a", "b", "c"), ()) in found and (("a", "c"), ("x",)) in found and (("a",), ()) in found
    assert all(columns[0] == "a" for columns, _ in found) and (("a", "b", "c"), ("x",)) not in found
    assert variants(IndexSpec("public.t", ["name"], method="gin", opclass="gin_trgm_ops")) == []


def test_a_wide_include_column_is_struck(db):
    snapshot = _snapshot(db, [Statement(POSTS, calls=500)])
    body = snapshot.catalog.table("public.posts").column("body")
    assert body.stats.avg_width > RecommendSettings().max_include_width
    # With no width limit and no tolerance the selection's covering index carries the body along
    wide = recommend(db, snapshot, Analysis(), RecommendSettings(max_include_width=100_000, narrow_tolerance=0.0))
    assert any("body" in r.index.include for r in _creates(wide, "posts"))
    plan = recommend(db, snapshot, Analysis(), RecommendSettings())
    (created,) = _creates(plan, "posts")
    assert created.index.columns[0] == "author_id" and "body" not in created.index.include
    assert "body" in created.reason and "struck" in created.reason
    assert created.estimated_size_bytes < next(r for r in _creates(wide, "posts")).estimated_size_bytes / 3
    assert created.evidence["table_size_bytes"] > created.estimated_size_bytes


def test_an_index_on_an_updated_column_is_charged_for_the_hot_updates_it_ends(db):
    touch = Statement(TOUCH, calls=5000, rows=5000)
    snapshot = _snapshot(db, [touch, Statement(RECENT, calls=3000)])
    charge = _write_cost(snapshot, extract_shapes(snapshot), RecommendSettings(write_overhead_factor=2.0), [])
    on_updated, elsewhere = IndexSpec("public.accounts", ["last_seen"]), IndexSpec("public.accounts", ["owner_id"])
    assert charge(elsewhere) == 0.0  # the update stays HOT: it never writes that index
    assert charge(on_updated) == 2.0 * 5000 * 2  # every update now writes the new index and the primary key
    assert [u["columns"] for u in charge.describe(on_updated)["hot_updates_broken"]] == [["last_seen"]]

    plan = recommend(db, snapshot, Analysis(), RecommendSettings())
    (created,) = _creates(plan, "accounts")
    assert created.index.columns[0] == "last_seen" and created.write_overhead == charge(on_updated)
    assert "ends HOT updates" in created.reason and "last_seen" in created.reason
    heavy = replace(snapshot, statements=[replace(touch, calls=500_000, rows=500_000),
                                          Statement(RECENT, calls=300)])
    plan = recommend(db, heavy, Analysis(), RecommendSettings())
    assert not _creates(plan, "accounts")
    assert any(r.index.columns[0] == "last_seen" and r.reason.startswith("write cost") for r in plan.rejected)


def test_two_indexes_led_by_the_same_column_are_merged(db):
    snapshot = _snapshot(db, [
        Statement("SELECT id FROM items WHERE shop_id = $1", calls=400),
        Statement("SELECT id, shop_id, created_at, price FROM items WHERE shop_id = $1 "
                  "ORDER BY created_at DESC LIMIT 10", calls=400)])
    items, candidates = workload(snapshot, extract_shapes(snapshot), RecommendSettings())
    pair = [IndexSpec("public.items", ["shop_id", "id"]), IndexSpec("public.items", ["shop_id", "created_at DESC"])]
    with WhatIf.open(db) as w:
        ev = Evaluator(w, items)
        both = ev.total(pair)
        refined = refine(ev, pair, candidates, snapshot.catalog, Tolerance(), lambda s: 0.0)
        (merged,) = refined.chosen
        assert merged.columns[0] == "shop_id"
        assert ev.total([merged]) <= both + 0.1 * (ev.total([]) - both)
        assert ev.size(merged) < ev.size(pair[0]) + ev.size(pair[1])
    absorbed = [spec for spec, reason, _ in refined.rejected if reason.startswith("merged into")]
    assert absorbed and {s.key() for s in absorbed} <= {s.key() for s in pair}
    assert refined.merged[merged.key()] and any("merged" in line for line in refined.history[merged.key()])
    plan = recommend(db, snapshot, Analysis(), RecommendSettings())
    assert len([r for r in _creates(plan, "items") if r.index.columns[0] == "shop_id"]) == 1


def test_under_a_size_budget_no_gain_is_traded_for_bytes():
    # the selection weighed every byte against its gain already; bytes freed after it buy nothing
    # (TPC-H at 1500/2000 MB: a 10 % tolerance left 400-750 MB unused for 1.4-2 points of cost)
    free = _tolerance(RecommendSettings(), WriteCost({}, 2.0), None)
    budgeted = _tolerance(RecommendSettings(max_index_size_bytes=10**9), WriteCost({}, 2.0), None)
    assert (free.narrow, budgeted.narrow) == (RecommendSettings().narrow_tolerance, 0.0)


def _timed_count(pg, dsn, runs: int) -> Snapshot:
    """The count(*) run ``runs`` times on the server (its real time in pg_stat_statements), as
    if captured an hour after the statistics were reset."""
    from advisor.capture import capture

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        for n in range(runs):
            conn.execute(COUNT.replace("$1", "%s"), (("alert", "audit", "info")[n % 3],))
    snapshot = capture(dsn)
    statements = [s for s in snapshot.statements if "events" in s.query and "count" in s.query]
    assert len(statements) == 1 and statements[0].calls == runs and statements[0].total_time_ms > 0
    reset = datetime.fromisoformat(snapshot.catalog.pgss_stats_reset)
    return replace(snapshot, statements=statements, created_at=(reset + timedelta(hours=1)).isoformat())


def test_a_count_over_a_third_of_the_rows_is_left_alone(pg, db):
    snapshot = _timed_count(pg, db, runs=9)  # three times an hour each: a report, say
    # the planner alone would take an index on kind: an index-only count is a good deal cheaper
    costed = recommend(db, snapshot, Analysis(), RecommendSettings(min_saved_seconds_per_hour=0.0))
    assert [r.index.columns for r in _creates(costed, "events")] == [["kind"]]
    assert "saved" in _creates(costed, "events")[0].reason and "%" in _creates(costed, "events")[0].reason
    plan = recommend(db, snapshot, Analysis(), RecommendSettings())
    assert not _creates(plan, "events")
    (why,) = [r.reason for r in plan.rejected if r.index.columns == ["kind"] and r.index.table == "public.events"]
    assert why.startswith("too little time saved") and "per hour" in why and "planner cost" in why


def test_without_measured_time_the_choice_rests_on_planner_cost_and_says_so(shop_dsn, shop_snapshot):
    assert not any(s.total_time_ms for s in shop_snapshot.statements)
    plan = recommend(shop_dsn, shop_snapshot, Analysis(), RecommendSettings(min_saved_seconds_per_hour=1e9))
    assert NOT_TIMED in plan.notes
    creates = [r for r in plan.recommendations if r.action == "create"]
    assert creates and all("planner cost alone" in r.reason for r in creates if r.index.method == "btree")


def test_an_index_serving_a_statement_without_measured_time_is_judged_on_cost(pg, db):
    timed = _timed_count(pg, db, runs=9)
    from_file = Statement("SELECT id, at FROM events WHERE kind = $1 ORDER BY at DESC LIMIT 5", source="file",
                          weight=50)
    snapshot = replace(timed, statements=timed.statements + [from_file])
    plan = recommend(db, snapshot, Analysis(), RecommendSettings())
    (created,) = _creates(plan, "events")
    assert created.index.columns[0] == "kind"  # the file's statement has no time to fall short of


def test_an_index_for_untimed_statements_alone_does_not_claim_a_measured_saving(pg, db):
    timed = _timed_count(pg, db, runs=9)  # measured time, but on another index's statement
    from_file = Statement("SELECT id, price FROM items WHERE shop_id = $1 ORDER BY created_at DESC LIMIT 5",
                          source="file", weight=50)
    plan = recommend(db, replace(timed, statements=timed.statements + [from_file]), Analysis(), RecommendSettings())
    (created,) = _creates(plan, "items")
    assert "no measured time for its statements: chosen on planner cost alone" in created.reason
    assert "measured statement time" not in created.reason and "time_saved_ms" not in created.evidence


def test_narrowing_keeps_the_workloads_remaining_cost_and_time_within_the_tolerance(db):
    from advisor.recommend.timing import Clock

    lines = Statement("SELECT id, price FROM items WHERE shop_id = $1 ORDER BY created_at DESC LIMIT 10",
                      calls=1000)
    scan = Statement(COUNT, calls=500)  # no index serves it: most of what is left to wait for
    snapshot = _snapshot(db, [lines, scan])
    items, candidates = workload(snapshot, extract_shapes(snapshot), RecommendSettings())
    wide = IndexSpec("public.items", ["shop_id", "created_at DESC"], include=["id", "price"])

    def refined(clock):
        return refine(ev, [wide], candidates, snapshot.catalog, Tolerance(clock=clock), lambda s: 0.0)

    with WhatIf.open(db) as w:
        ev = Evaluator(w, items)
        (narrow,) = refined(None).chosen  # by planner cost the heap visits are a small share of what is left
        assert ev.size(narrow) < ev.size(wide)
        assert ev.total([wide]) < ev.total([narrow]) <= 1.1 * ev.total([wide])
        # measured, the same heap visits are most of the time left: the lines are what users wait for
        busy = refined(Clock({lines.fingerprint: 600_000.0, scan.fingerprint: 1_000.0}, hours=1.0))
        assert busy.chosen == [wide] and busy.narrower[wide.key()]["time_lost_s_per_hour"] > 0
        quiet = refined(Clock({lines.fingerprint: 1_000.0, scan.fingerprint: 600_000.0}, hours=1.0))
        assert [s.key() for s in quiet.chosen] == [narrow.key()]
        assert "narrowed from" in quiet.history[narrow.key()][-1] and "per hour" in quiet.history[narrow.key()][-1]


def test_two_indexes_led_by_the_same_column_kept_apart_say_why(db):
    snapshot = _snapshot(db, [
        Statement("SELECT id, created_at FROM items WHERE shop_id = $1 ORDER BY created_at DESC LIMIT 10",
                  calls=400),
        Statement("SELECT id FROM items WHERE shop_id = $1 AND price = $2", calls=400)])
    items, candidates = workload(snapshot, extract_shapes(snapshot), RecommendSettings())
    pair = [IndexSpec("public.items", ["shop_id", "created_at DESC"]), IndexSpec("public.items", ["shop_id", "price"])]
    with WhatIf.open(db) as w:
        refined = refine(Evaluator(w, items), pair, candidates, snapshot.catalog, Tolerance(narrow=0.0),
                         lambda s: 0.0)
    assert [s.key() for s in refined.chosen] == [s.key() for s in pair]  # each serves what the other cannot
    for spec, other in ((pair[0], "ix_items_shop_id_price"), (pair[1], "ix_items_shop_id_created_at")):
        (line,) = [x for x in refined.history[spec.key()] if x.startswith("kept apart from")]
        assert other in line and re.search(r"would lose [1-9][\d.]*% of their gain", line), line


def test_an_index_the_other_chosen_ones_make_idle_is_left_out(db):
    from advisor.recommend.narrow import idle

    snapshot = _snapshot(db, [Statement("SELECT id FROM items WHERE shop_id = $1", calls=100)])
    items, _ = workload(snapshot, extract_shapes(snapshot), RecommendSettings())
    narrow = IndexSpec("public.items", ["shop_id"])
    wide = IndexSpec("public.items", ["shop_id", "created_at"], include=["price"])
    with WhatIf.open(db) as w:
        ev = Evaluator(w, items)
        assert idle(ev, [narrow, wide]) == [wide]  # (shop_id) serves the search alone: one is enough
        assert idle(ev, [wide]) == [] and idle(ev, [narrow]) == []
