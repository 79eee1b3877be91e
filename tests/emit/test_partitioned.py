"""An index on a partitioned table, built online, applied for real: ON ONLY the parent, CONCURRENTLY
on each partition (a sub-partitioned one and one in another schema among them), attached."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config

from advisor.capture.catalog import read_catalog
from advisor.db import session
from advisor.ddl import build_index_sql
from advisor.emit.migrations import write_migrations
from advisor.model import IndexSpec, Plan, Recommendation
from advisor.recommend.naming import Names

SCHEMA = """
CREATE SCHEMA archive;
CREATE TABLE events (id bigint NOT NULL, account_id int NOT NULL, kind text NOT NULL,
                     at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE archive.events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
  PARTITION BY LIST (kind);
CREATE TABLE events_2025_click PARTITION OF events_2025 FOR VALUES IN ('click');
CREATE TABLE events_2025_other PARTITION OF events_2025 DEFAULT;
INSERT INTO events SELECT g, g % 1000, (ARRAY['click', 'view', 'buy'])[1 + g % 3],
  timestamptz '2023-01-01' + g * interval '50 minutes' FROM generate_series(1, 30000) g;
-- a name advisor's pattern would give the index on that partition
CREATE INDEX ix_events_2024_account_id_at ON events_2024 (kind);
ANALYZE;
"""
LEAVES = ["archive.events_2023", "public.events_2024", "public.events_2025_click", "public.events_2025_other"]
SPEC = IndexSpec("public.events", ["account_id", "at DESC"])


@pytest.fixture
def db(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    return fresh_db


def recommendation(dsn: str) -> Recommendation:
    with session(dsn) as conn:
        catalog = read_catalog(conn, [])
    names = Names(catalog)
    name = names.take(SPEC)
    partitions = names.partitions(SPEC, name)
    return Recommendation("create", SPEC.table, name, build_index_sql(SPEC, name, partitions), index=SPEC,
                          partitions=partitions, benefit=1.0)


def index_tree(dsn: str, name: str) -> dict[str, tuple[str, bool]]:
    """Every index attached (at any depth) under ``name``: its table -> (index, valid)."""
    with psycopg.connect(dsn) as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute("""
            WITH RECURSIVE tree AS (
                SELECT %s::regclass::oid AS idx
                UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.idx)
            SELECT x.indrelid::regclass::text, x.indexrelid::regclass::text, x.indisvalid
            FROM tree JOIN pg_index x ON x.indexrelid = tree.idx""", [f"public.{name}"])}


def index_names(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute("SELECT schemaname || '.' || indexname FROM pg_indexes "
                                           "WHERE schemaname IN ('public', 'archive') "
                                           "AND tablename NOT LIKE '%%_version'")}


def alembic(ini: Path, dsn: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(ini), *args], capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": dsn})
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_catalog_knows_partitions_to_any_depth(db):
    with session(db) as conn:
        catalog = read_catalog(conn, [])
    def partitions(qualname: str) -> list[str]:
        return [t.qualname for t in catalog.partitions(qualname)]

    assert catalog.table("public.events").kind == catalog.table("public.events_2025").kind == "partitioned"
    assert partitions("public.events") == ["archive.events_2023", "public.events_2024", "public.events_2025"]
    assert partitions("public.events_2025") == ["public.events_2025_click", "public.events_2025_other"]
    assert all(catalog.table(t).kind == "table" and not partitions(t) for t in LEAVES)


def test_each_partition_gets_a_free_name_and_sub_partitions_come_after_their_parent(db):
    rec = recommendation(db)
    assert rec.name == "ix_events_account_id_at"
    steps = [(s.table, s.name, s.attach_to, s.only) for s in rec.partitions]
    assert steps == [
        ("archive.events_2023", "ix_events_2023_account_id_at", "public.ix_events_account_id_at", False),
        ("public.events_2024", "ix_events_2024_account_id_at_2", "public.ix_events_account_id_at", False),
        ("public.events_2025", "ix_events_2025_account_id_at", "public.ix_events_account_id_at", True),
        ("public.events_2025_click", "ix_events_2025_click_account_id_at",
         "public.ix_events_2025_account_id_at", False),
        ("public.events_2025_other", "ix_events_2025_other_account_id_at",
         "public.ix_events_2025_account_id_at", False),
    ]


def test_the_ddl_text_runs_by_hand(db):
    rec = recommendation(db)
    assert rec.ddl.startswith("CREATE INDEX ix_events_account_id_at ON ONLY public.events (account_id, at DESC);")
    assert "CONCURRENTLY" not in rec.ddl.splitlines()[0]
    with psycopg.connect(db, autocommit=True) as conn:
        for statement in rec.ddl.split(";\n"):
            conn.execute(statement)
    tree = index_tree(db, rec.name)
    assert set(tree) == {"events", "events_2025", *[t.removeprefix("public.") for t in LEAVES]}
    assert all(valid for _, valid in tree.values())


def test_the_revision_upgrades_reruns_and_downgrades(db, tmp_path):
    rec = recommendation(db)
    before = index_names(db)
    (path,) = write_migrations(Plan(recommendations=[rec]), tmp_path / "mig")
    text = path.read_text()
    assert "ON ONLY public.events" in text and text.count("postgresql_concurrently=True") == 4 + 1
    ini = tmp_path / "mig" / "alembic.ini"

    alembic(ini, db, "upgrade", "head")
    tree = index_tree(db, rec.name)
    assert len(tree) == 6 and all(valid for _, valid in tree.values())
    assert tree["events_2024"][0] == "ix_events_2024_account_id_at_2"  # theirs holds the plain name
    alembic(ini, db, "downgrade", "base")
    assert index_names(db) == before

    # a run cut short: the parent's index made, one partition's built and attached, another's INVALID
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE INDEX ix_events_account_id_at ON ONLY events (account_id, at DESC)")
        conn.execute("CREATE INDEX ix_events_2024_account_id_at_2 ON events_2024 (account_id, at DESC)")
        conn.execute("ALTER INDEX ix_events_account_id_at ATTACH PARTITION ix_events_2024_account_id_at_2")
        conn.execute("CREATE INDEX ix_events_2025_click_account_id_at ON events_2025_click (account_id, at DESC)")
        conn.execute("UPDATE pg_index SET indisvalid = false "
                     "WHERE indexrelid = 'ix_events_2025_click_account_id_at'::regclass")
    alembic(ini, db, "upgrade", "head")
    tree = index_tree(db, rec.name)
    assert len(tree) == 6 and all(valid for _, valid in tree.values())


def test_in_an_apps_own_history(db, tmp_path):
    config = Config(str(tmp_path / "alembic.ini"))
    command.init(config, str(tmp_path / "alembic"))
    config = Config(str(tmp_path / "alembic.ini"))
    theirs = command.revision(config, message="events", rev_id="e1e1e1e1e1e1")
    ini = tmp_path / "alembic.ini"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname",
                                           db.replace("postgresql://", "postgresql+psycopg://")))
    alembic(ini, db, "stamp", "head")
    before = index_names(db)
    rec = recommendation(db)
    (path,) = write_migrations(Plan(recommendations=[rec]), tmp_path, dsn=db)
    assert path.parent == Path(theirs.path).parent
    alembic(ini, db, "upgrade", "head")
    assert all(valid for _, valid in index_tree(db, rec.name).values())
    alembic(ini, db, "downgrade", "-1")
    assert index_names(db) == before


def test_a_partition_added_after_the_advice_stops_the_upgrade_with_what_to_do(db, tmp_path):
    rec = recommendation(db)
    write_migrations(Plan(recommendations=[rec]), tmp_path / "mig")
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE TABLE events_2026 (LIKE events)")
        conn.execute("ALTER TABLE events ATTACH PARTITION events_2026 "
                     "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')")
    done = subprocess.run([sys.executable, "-m", "alembic", "-c", str(tmp_path / "mig" / "alembic.ini"),
                           "upgrade", "head"], capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": db})
    assert done.returncode != 0 and "is not valid: a partition has no index attached" in done.stderr


def test_advice_on_the_parent_end_to_end(db, tmp_path):
    """The recommend stage on a statement over the parent, its revision applied and taken back."""
    from advisor.pipeline import Pipeline

    workload = tmp_path / "workload.sql"
    workload.write_text("-- weight: 500\nSELECT id, kind FROM events WHERE account_id = $1;\n")
    pipeline = Pipeline.from_options(dsn=db, queries=[workload])
    analysis = pipeline.analyze(recommend=True)
    (rec,) = [r for r in analysis.plan.recommendations if r.action == "create" and r.table == "public.events"]
    assert rec.index.columns[0] == "account_id" and len(rec.partitions) == 5
    assert rec.ddl.startswith(f"CREATE INDEX {rec.name} ON ONLY public.events")
    before = index_names(db)
    pipeline.write_migrations(analysis, tmp_path / "mig")
    ini = tmp_path / "mig" / "alembic.ini"
    alembic(ini, db, "upgrade", "head")
    tree = index_tree(db, rec.name)
    assert len(tree) == 6 and all(valid for _, valid in tree.values())
    alembic(ini, db, "downgrade", "base")
    assert index_names(db) == before
