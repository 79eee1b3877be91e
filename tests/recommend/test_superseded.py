"""An existing index a new one makes redundant is dropped with it (after the build), on a real
server; one that backs uniqueness, or has another predicate, is left alone."""

from __future__ import annotations

import psycopg
import pytest

from advisor.pipeline import Pipeline

pytestmark = pytest.mark.filterwarnings("ignore")

SCHEMA = """
CREATE TABLE tickets (id bigint PRIMARY KEY, tenant_id int NOT NULL, ref int NOT NULL,
                      created_at timestamptz NOT NULL, subject text);
INSERT INTO tickets SELECT g, g % 300, g, timestamptz '2025-01-01' + g * interval '1 minute', 'subject ' || g
FROM generate_series(1, 120000) g;
CREATE INDEX tickets_tenant_idx ON tickets (tenant_id);
CREATE UNIQUE INDEX tickets_ref_key ON tickets (ref);
CREATE INDEX tickets_tenant_recent_idx ON tickets (tenant_id) WHERE created_at > '2025-03-01';
ANALYZE tickets;
"""
QUERIES = """
-- weight: 500
SELECT id, subject FROM tickets WHERE tenant_id = $1 ORDER BY created_at DESC LIMIT 20;
-- weight: 200
SELECT id FROM tickets WHERE ref = $1 AND created_at > $2 ORDER BY created_at LIMIT 5;
"""


def test_an_index_the_new_one_leads_with_is_dropped_after_the_build(fresh_db, tmp_path):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    path = tmp_path / "tickets.sql"
    path.write_text(QUERIES)
    plan = Pipeline.from_options(dsn=fresh_db, queries=[path]).analyze().plan
    created = {r.name: r.index.columns for r in plan.recommendations if r.action == "create"}
    assert any(columns[:1] == ["tenant_id"] and len(columns) > 1 for columns in created.values()), created
    drops = {r.name: r for r in plan.recommendations if r.action == "drop"}
    assert set(drops) == {"tickets_tenant_idx"}  # not the unique one, nor the partial one
    drop = drops["tickets_tenant_idx"]
    assert "built by this plan" in drop.reason and drop.evidence["kind"] == "superseded"
    assert drop.evidence["definition"].startswith("CREATE INDEX tickets_tenant_idx")  # the downgrade
    assert drop.evidence["kept"].split(".")[-1] in created and drop.risk
    assert "public.tickets_tenant_idx" not in {k.index for k in plan.kept}  # not also "kept"
