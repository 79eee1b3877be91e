"""Drop advice on a real catalog: only with statistics old enough, never for an index a foreign key
needs, not on scan counts alone for GIN or expression indexes; each kept one says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from advisor.analyze import analyze
from advisor.capture.catalog import read_catalog
from advisor.db import session
from advisor.model import Finding, Snapshot
from advisor.recommend import RecommendSettings
from advisor.recommend.plan import drops

SCHEMA = """
CREATE TABLE posts (id int PRIMARY KEY);
CREATE TABLE comments (id int PRIMARY KEY, post_id int NOT NULL REFERENCES posts ON DELETE CASCADE);
CREATE INDEX ix_comments_post_id ON comments (post_id);
CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES posts, code text, doc tsvector);
CREATE INDEX ix_children_parent_id ON children (parent_id);
CREATE INDEX ix_children_parent_id_code ON children (parent_id, code);
CREATE INDEX ix_children_code ON children (code);
CREATE INDEX ix_children_doc ON children USING gin (doc);
CREATE INDEX ix_children_lower_code ON children (lower(code));
INSERT INTO posts SELECT generate_series(1, 2000);
INSERT INTO comments SELECT g, 1 + g % 2000 FROM generate_series(1, 5000) g;
INSERT INTO children SELECT g, 1 + g % 2000, 'c' || g, to_tsvector('simple', 'w' || g) FROM generate_series(1, 5000) g;
ANALYZE;
"""


@pytest.fixture(scope="module")
def snapshot(pg):
    import uuid

    name = f"drops_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(SCHEMA)
        with session(dsn) as conn:
            catalog = read_catalog(conn, [])
        yield Snapshot(created_at=datetime.now(UTC).isoformat(timespec="seconds"), catalog=catalog)
    finally:
        pg.drop_database(name)


def advice(snapshot: Snapshot, days_later: float = 0.0, findings: list[Finding] | None = None, **settings):
    at = (datetime.fromisoformat(snapshot.created_at) + timedelta(days=days_later)).isoformat()
    found = analyze(snapshot).findings if findings is None else findings
    dropped, kept = drops(found, snapshot.catalog, RecommendSettings(**settings), at)
    return {r.name: r for r in dropped}, {k.index.removeprefix("public."): k.reason for k in kept}


def test_statistics_start_at_the_servers_start_when_never_reset(snapshot):
    assert snapshot.catalog.stats_reset is None and snapshot.catalog.server_started
    assert snapshot.catalog.relation_names and "public.ix_children_code" in snapshot.catalog.relation_names


def test_at_zero_days_only_the_redundant_prefix_goes(snapshot):
    dropped, kept = advice(snapshot)
    assert set(dropped) == {"ix_children_parent_id"}  # the wider one serves the same searches and the FK
    assert "0.0 days, fewer than drop_min_stats_days = 35" in kept["ix_children_code"]
    assert "gin index" in kept["ix_children_doc"] and "expression index" in kept["ix_children_lower_code"]
    assert "serves foreign key" in kept["ix_children_parent_id_code"]  # the prefix is gone: it is the last
    assert "ix_comments_post_id" not in kept and "ix_comments_post_id" not in dropped  # not even flagged
    assert "ix_children_parent_id_code" in dropped["ix_children_parent_id"].risk


def test_old_enough_statistics_let_an_unused_btree_go_and_say_so(snapshot):
    dropped, kept = advice(snapshot, days_later=40)
    assert set(dropped) == {"ix_children_parent_id", "ix_children_code"}
    assert "0 scans in the 40.0 days" in dropped["ix_children_code"].reason
    assert "drop_min_stats_days = 35" in dropped["ix_children_code"].reason
    assert "rarer job" in dropped["ix_children_code"].risk
    assert {"ix_children_doc", "ix_children_lower_code", "ix_children_parent_id_code"} <= set(kept)


def test_the_minimum_is_a_setting(snapshot):
    dropped, _ = advice(snapshot, days_later=10, drop_min_stats_days=7)
    assert "ix_children_code" in dropped
    dropped, kept = advice(snapshot, days_later=10, drop_min_stats_days=14)
    assert "ix_children_code" not in dropped and "fewer than drop_min_stats_days = 14" in kept["ix_children_code"]


def test_a_foreign_key_index_with_no_scans_is_never_dropped(snapshot):
    fk_index = next(i for i in snapshot.catalog.indexes if i.name == "ix_comments_post_id")
    assert fk_index.idx_scan == 0
    unused = Finding("unused-index", "low", "unused", table="public.comments",
                     evidence={"index": "public.ix_comments_post_id", "idx_scan": 0})
    for days, minimum in ((0.0, 35), (400.0, 35), (0.0, 0)):
        dropped, kept = advice(snapshot, days, [unused], drop_min_stats_days=minimum)
        assert not dropped
        assert "serves foreign key" in kept["ix_comments_post_id"] and "DELETE on public.posts" in \
            kept["ix_comments_post_id"]
