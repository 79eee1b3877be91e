"""Read-only guarantee: capture, analyze (with recommend) and check change nothing.

They run as a role that may only CONNECT, SELECT the app's tables and read statistics
(pg_read_all_stats). Before and after: the catalog (pg_class, pg_index rows), a checksum of every
table's rows, and the write counters of pg_stat_database and pg_stat_user_tables.
"""

from __future__ import annotations

import json
import time
import uuid

import psycopg
import pytest
from psycopg import sql

from advisor.db import connect

from .conftest import run_cli

CATALOG = ("SELECT c.oid::bigint, c.relname, c.relkind, c.relfilenode::bigint, "
           "i.indkey::text, i.indisvalid FROM pg_class c LEFT JOIN pg_index i "
           "ON i.indexrelid = c.oid ORDER BY c.oid")
DB_COUNTERS = ("SELECT tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
               "WHERE datname = current_database()")
TABLE_COUNTERS = ("SELECT relid::bigint, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd "
                  "FROM pg_stat_user_tables ORDER BY relid")


def _others_gone(conn: psycopg.Connection, deadline: float = 10) -> None:
    """Wait until no other backend is connected to this database: their statistics are flushed
    when they exit."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        left = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid()").fetchone()[0]
        if not left:
            return
        time.sleep(0.05)


def state(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        _others_gone(conn)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        tables = [r[0] for r in conn.execute(
            "SELECT format('%I.%I', schemaname, relname) FROM pg_stat_user_tables ORDER BY 1")]
        checksums = {}
        for table in tables:
            query = sql.SQL("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                            "FROM {} t").format(sql.SQL(table))
            checksums[table] = conn.execute(query).fetchone()[0]
        return {"catalog": conn.execute(CATALOG).fetchall(), "checksums": checksums,
                "database counters": conn.execute(DB_COUNTERS).fetchone(),
                "table counters": conn.execute(TABLE_COUNTERS).fetchall()}


@pytest.fixture
def reader(pg, shopease_db):
    """A DSN for a role with CONNECT, SELECT on the app's tables and pg_read_all_stats only."""
    from app_under_test.driver import run_workload

    run_workload(shopease_db, requests=40, concurrency=1)
    role = f"reader_{uuid.uuid4().hex[:8]}"
    database = psycopg.conninfo.conninfo_to_dict(shopease_db)["dbname"]
    with psycopg.connect(shopease_db, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(database), sql.Identifier(role)))
        conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
            sql.Identifier(role)))
        conn.execute(sql.SQL("GRANT pg_read_all_stats TO {}").format(sql.Identifier(role)))
    yield pg.dsn_for(database, user=role)
    with psycopg.connect(pg.dsn_for("postgres"), autocommit=True) as conn:
        conn.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'")
        conn.execute(sql.SQL("REVOKE pg_read_all_stats FROM {}").format(sql.Identifier(role)))
    with psycopg.connect(shopease_db, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_capture_analyze_check_change_nothing(reader, shopease_db, tmp_path, tally):
    before = state(shopease_db)
    snap = tmp_path / "snap.json"
    runs = {
        "capture": run_cli("capture", "--dsn", reader, "--out", str(snap)),
        "capture --analyze-plans": run_cli("capture", "--dsn", reader, "--analyze-plans",
                                           "--out", str(tmp_path / "analyzed.json")),
        "analyze --recommend": run_cli("analyze", "--dsn", reader, "--format", "json"),
        "check --write-baseline": run_cli("check", "--dsn", reader, "--write-baseline",
                                          str(tmp_path / "base.json")),
    }
    runs["check --baseline"] = run_cli("check", "--dsn", reader, "--baseline",
                                       str(tmp_path / "base.json"))
    after = state(shopease_db)
    for what, done in runs.items():
        ran = done.returncode in (0, 1) and "Traceback" not in done.stderr
        tally("read-only", f"{what} as a SELECT-only role ran", ran)
        assert ran, f"{what}: {done.stderr}"
    for part in before:
        same = before[part] == after[part]
        tally("read-only", f"{part} unchanged", same)
        assert same, part
    captured = json.loads(snap.read_text())
    assert len(captured["statements"]) >= 5
    assert sum(1 for s in captured["statements"] if s["plan"]) >= 5
    analysis = json.loads(runs["analyze --recommend"].stdout)
    assert analysis["findings"]
    # HypoPG's functions are EXECUTE to PUBLIC, so the reader can cost candidates; statements it
    # may not EXPLAIN (writes need their own privilege) are left out with a note, not a crash.
    plan = analysis.get("plan") or {}
    costed = bool([r for r in plan.get("recommendations", []) if r.get("action") == "create"])
    tally("read-only", "recommend as a SELECT-only role costs candidates", costed)
    assert costed, plan.get("notes")


def test_sessions_are_read_only_with_timeouts(shopease_db, tally):
    """Every analysis connection (advisor.db.connect) refuses writes and carries both timeouts."""
    with connect(shopease_db) as conn:
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in
                    ("transaction_read_only", "statement_timeout", "lock_timeout",
                     "application_name")}
        try:
            conn.execute("CREATE TABLE should_not_exist (a int)")
            refused = False
        except psycopg.errors.ReadOnlySqlTransaction:
            refused = True
    ok = (refused and settings["transaction_read_only"] == "on" and settings["statement_timeout"] != "0"
          and settings["lock_timeout"] != "0" and settings["application_name"] == "advisor")
    tally("read-only", "analysis session refuses writes, has timeouts", ok)
    assert ok, settings
