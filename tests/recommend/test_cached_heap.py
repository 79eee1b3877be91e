"""Heap reads at cached cost, on a real server: an INCLUDE whose only saving is heap fetches is
dropped when the database fits in the server's cache and the server's planner still scans the
narrower index; kept when the cache is smaller than the database, and kept when, at the
server's own page costs, the planner would plan around the narrower index (for the statement as
bound, or for its heaviest key)."""

import time
import uuid
from dataclasses import replace

import psycopg
import pytest

from advisor.model import Analysis, IndexSpec, Snapshot, Statement
from advisor.recommend import RecommendSettings, recommend
from advisor.recommend.cached import CacheFit, include_only
from advisor.recommend.plan import _cached_pricing

SCHEMA = """
CREATE TABLE shops (id int PRIMARY KEY, region int NOT NULL, zone int NOT NULL);
INSERT INTO shops SELECT g, g % 60, CASE WHEN g < 200 THEN 0 ELSE g END FROM generate_series(0, 599) g;
CREATE TABLE lines (id bigint PRIMARY KEY, shop_id int NOT NULL, price numeric NOT NULL,
                    qty int NOT NULL, note text NOT NULL);
INSERT INTO lines SELECT g, (g::bigint * 7919) % 600, g % 97, 1 + g % 5, repeat('x', 40)
       FROM generate_series(1, 60000) g;
"""
BY_SHOP = "SELECT id, price FROM lines WHERE shop_id = $1"  # 100 rows a shop, each on its own page
BY_ZONE = ("SELECT sum(l.price) FROM shops s JOIN lines l ON l.shop_id = s.id "
           "WHERE s.zone = $1")  # one shop a zone, but zone 0 has a third of them
BY_REGION = ("SELECT sum(l.price) FROM shops s JOIN lines l ON l.shop_id = s.id "
             "WHERE s.region = $1")  # 10 shops: a nested loop over lines, or a hash join


@pytest.fixture(scope="module")
def db(pg):
    name = f"cached_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    for _ in range(20):  # every page all-visible: the index-only scans are real
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            if conn.execute("SELECT bool_and(relallvisible = relpages) FROM pg_class "
                            "WHERE relname IN ('shops', 'lines')").fetchone()[0]:
                break
        time.sleep(0.5)
    yield dsn
    pg.drop_database(name)


def _snapshot(dsn, statements) -> Snapshot:
    from advisor.capture.catalog import read_catalog
    from advisor.capture.settings import read_settings
    from advisor.db import session

    with session(dsn) as conn:
        catalog = read_catalog(conn, [])
        settings = read_settings(conn)
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    return Snapshot(database="cached", server_version_num=version, settings=settings,
                    statements=statements, catalog=catalog)


def _created(plan) -> list:
    return [r for r in plan.recommendations if r.action == "create" and r.table == "public.lines"]


def _scans(dsn, spec: IndexSpec, sql: str) -> str:
    """The server's plan of ``sql`` (generic, for a ``$1``) with ``spec`` built for real (rolled back)."""
    from advisor.ddl import create_index_sql

    with psycopg.connect(dsn) as conn, conn.transaction(force_rollback=True):
        conn.execute(create_index_sql(spec, "ix_probe", concurrently=False))
        if "$1" not in sql:
            return "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}"))
        conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE probe AS {sql.replace('$1', '$1::int')}")
        return "\n".join(r[0] for r in conn.execute("EXPLAIN EXECUTE probe(7)"))


def test_the_capture_reads_the_cache_size_in_bytes(db):
    snapshot = _snapshot(db, [])
    fit = CacheFit.of(snapshot.settings, snapshot.catalog)
    with psycopg.connect(db) as conn:
        cache = conn.execute("SELECT pg_size_bytes(current_setting('effective_cache_size'))").fetchone()[0]
        data = conn.execute("SELECT pg_relation_size('lines') + pg_indexes_size('lines')").fetchone()[0]
    assert (fit.setting, fit.cache_bytes) == ("effective_cache_size", cache)
    assert fit.data_bytes >= data and fit.fits(0)


def test_an_include_saving_only_cached_heap_reads_is_dropped(db):
    snapshot = _snapshot(db, [Statement(BY_SHOP, calls=2000)])
    # priced as the server prices heap reads (random_page_cost 4), the covering index stays
    server = recommend(db, snapshot, Analysis(), RecommendSettings(cached_page_cost=0))
    (wide,) = _created(server)
    assert wide.index.columns == ["shop_id"] and set(wide.index.include) == {"id", "price"}
    plan = recommend(db, snapshot, Analysis(), RecommendSettings())
    (narrow,) = _created(plan)
    assert (narrow.index.columns, narrow.index.include) == (["shop_id"], [])
    assert narrow.estimated_size_bytes < wide.estimated_size_bytes
    assert "heap reads priced as cached" in narrow.reason and "effective_cache_size" in narrow.reason
    assert "Index Scan" in _scans(db, narrow.index, BY_SHOP)  # the server still scans it


def test_an_include_is_kept_when_the_database_does_not_fit_in_the_cache(db):
    snapshot = _snapshot(db, [Statement(BY_SHOP, calls=2000)])
    small = replace(snapshot, settings={**snapshot.settings, "effective_cache_size": "1024kB"})
    assert not CacheFit.of(small.settings, small.catalog).fits(0)  # heap reads come from disk
    (wide,) = _created(recommend(db, small, Analysis(), RecommendSettings()))
    assert set(wide.index.include) == {"id", "price"}
    assert "heap reads priced as cached" not in wide.reason
    assert "heap_reads_cached" not in wide.evidence["narrower"]


def test_an_include_is_kept_when_the_server_would_plan_around_the_narrower_index(db):
    snapshot = _snapshot(db, [Statement(BY_REGION, calls=2000)])
    (wide,) = _created(recommend(db, snapshot, Analysis(), RecommendSettings()))
    assert wide.index.columns == ["shop_id"] and wide.index.include == ["price"]
    narrower = wide.evidence["narrower"]
    assert "planner" in narrower["include_needed"] and "heaviest" not in narrower["include_needed"]
    assert narrower["share_of_gain_lost"] > 0.5
    # at its own page costs the server hash-joins a sequential scan of lines: the gain is gone
    assert "ix_probe" not in _scans(db, IndexSpec("public.lines", ["shop_id"]), BY_REGION)
    assert "Index Only Scan using ix_probe" in _scans(db, wide.index, BY_REGION)


def test_an_include_is_kept_when_the_server_would_plan_around_it_for_the_heaviest_key(db):
    snapshot = _snapshot(db, [Statement(BY_ZONE, calls=2000)])
    (wide,) = _created(recommend(db, snapshot, Analysis(), RecommendSettings()))
    assert wide.index.columns == ["shop_id"] and wide.index.include == ["price"]
    assert "heaviest key" in wide.evidence["narrower"]["include_needed"]
    plain = IndexSpec("public.lines", ["shop_id"])
    assert "ix_probe" in _scans(db, plain, BY_ZONE)  # a typical zone: the plain index serves it
    heavy = BY_ZONE.replace("$1", "0")  # zone 0, the most common value: a hash join around it
    assert "ix_probe" not in _scans(db, plain, heavy) and "ix_probe" in _scans(db, wide.index, heavy)


def test_no_cached_pricing_under_a_size_budget_or_when_turned_off(db):
    snapshot = _snapshot(db, [Statement(BY_SHOP, calls=2000)])
    assert _cached_pricing(db, snapshot, RecommendSettings()) is not None
    assert _cached_pricing(db, snapshot, RecommendSettings(max_index_size_bytes=10**9)) is None
    assert _cached_pricing(db, snapshot, RecommendSettings(cached_page_cost=0)) is None
    assert _cached_pricing(db, replace(snapshot, settings={}), RecommendSettings()) is None


def test_only_a_strike_of_include_columns_is_priced_as_cached():
    wide = IndexSpec("public.t", ["a", "b"], include=["x", "y"])
    assert include_only(wide, IndexSpec("public.t", ["a", "b"], include=["x"]))
    assert include_only(wide, IndexSpec("public.t", ["a", "b"]))
    assert not include_only(wide, IndexSpec("public.t", ["a"], include=["x", "y"]))
    assert not include_only(wide, IndexSpec("public.t", ["a"]))
    assert not include_only(wide, wide)
