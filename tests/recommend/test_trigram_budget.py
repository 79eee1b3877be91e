"""A budget bounds every index proposed, trigram GIN ones at a size estimated from pg_stats."""

import psycopg
import pytest

from advisor.capture.catalog import read_catalog
from advisor.db import session
from advisor.model import Analysis, IndexSpec, Snapshot, Statement
from advisor.recommend import RecommendSettings, recommend
from advisor.recommend.trigram_size import MARGIN, counted_size, trigram_size

DOCS = """
CREATE TABLE docs (id int PRIMARY KEY, owner int NOT NULL, hexes text, words text, names text);
INSERT INTO docs SELECT g, g % 500, md5(g::text) || md5((g * 7)::text),
       (ARRAY['alpha','beta','gamma','delta','omega'])[1 + g % 5] || ' report ' || (g % 1000),
       CASE WHEN g % 4 = 0 THEN NULL ELSE repeat('lorem ipsum ', 1 + g % 3) END
  FROM generate_series(1, 40000) g;
ANALYZE docs;
"""
WORKLOAD = [("SELECT id FROM docs WHERE words LIKE '%port 12%'", 50),
            ("SELECT * FROM docs WHERE owner = $1", 400)]


@pytest.fixture(scope="module")
def docs_dsn(pg):
    import uuid

    name = f"docs_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(DOCS)
    yield dsn
    pg.drop_database(name)


def _snapshot(dsn):
    with session(dsn) as conn:
        catalog = read_catalog(conn, [])
        version = conn.info.server_version
    return Snapshot(database="docs", server_version_num=version, catalog=catalog,
                    statements=[Statement(sql, calls=calls) for sql, calls in WORKLOAD])


@pytest.mark.parametrize("column", ["hexes", "words", "names"])
def test_the_estimate_is_never_below_the_real_size(docs_dsn, column):
    spec = IndexSpec("public.docs", [column], method="gin", opclass="gin_trgm_ops")
    estimate = trigram_size(spec, _snapshot(docs_dsn).catalog)
    with psycopg.connect(docs_dsn, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone() is None:
            pytest.skip("pg_trgm is not installed here")
        conn.execute(f"CREATE INDEX trgm_probe ON docs USING gin ({column} gin_trgm_ops)")
        try:
            real = conn.execute("SELECT pg_relation_size('trgm_probe')").fetchone()[0]
        finally:
            conn.execute("DROP INDEX trgm_probe")
    print(f"\n{column}: estimate {estimate:,} real {real:,} ({estimate / real:.2f}x)")
    assert real <= estimate <= 4 * real


def _creates(plan):
    return [r for r in plan.recommendations if r.action == "create"]


def test_every_index_proposed_fits_the_budget(docs_dsn):
    snapshot = _snapshot(docs_dsn)
    free = recommend(docs_dsn, snapshot, Analysis(), RecommendSettings())
    gin = next(r for r in _creates(free) if r.index.method == "gin")
    btree = next(r for r in _creates(free) if r.index.method == "btree")
    assert gin.estimated_size_bytes == trigram_size(gin.index, snapshot.catalog) > 0
    need = counted_size(gin.index, snapshot.catalog)
    assert need == int(gin.estimated_size_bytes * MARGIN)

    roomy = btree.estimated_size_bytes + need
    plan = recommend(docs_dsn, snapshot, Analysis(), RecommendSettings(max_index_size_bytes=roomy))
    assert {r.index.method for r in _creates(plan)} == {"btree", "gin"}
    assert sum(r.estimated_size_bytes for r in _creates(plan)) <= roomy

    tight = btree.estimated_size_bytes + need // 2  # the estimate fits, not its margin
    plan = recommend(docs_dsn, snapshot, Analysis(), RecommendSettings(max_index_size_bytes=tight))
    assert [r.index.method for r in _creates(plan)] == ["btree"]
    assert sum(r.estimated_size_bytes for r in _creates(plan)) <= tight
    assert any(r.index.method == "gin" and r.reason.startswith("over budget: needs") for r in plan.rejected)

    plan = recommend(docs_dsn, snapshot, Analysis(), RecommendSettings(max_indexes=1))
    assert len(_creates(plan)) == 1
    assert any(r.index.method == "gin" and "indexes allowed are taken" in r.reason for r in plan.rejected)
