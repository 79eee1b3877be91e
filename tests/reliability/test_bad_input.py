"""Bad input: each a one-line error, a non-zero exit, no traceback, no password echoed."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from .conftest import SECRET, clean_failure, run_cli

BAD_DSNS = {
    "malformed DSN": "postgresql://user@host:notaport/db",
    "garbage DSN": "this is not = a dsn ===",
    "unreachable host": "postgresql://u:pw@127.0.0.1:1/db",
    "unknown host": "postgresql://u@no-such-host.invalid:5432/db",
}


@pytest.mark.parametrize("what", sorted(BAD_DSNS))
def test_bad_dsn_is_one_line(what, tally):
    done = run_cli("capture", "--dsn", BAD_DSNS[what], "--out", "/tmp/never.json")
    tally("bad input", what, clean_failure(done))
    assert clean_failure(done), done.stderr


def test_wrong_password_is_not_echoed(password_server, tmp_path, tally):
    dsn = f"postgresql://app:wrong-{SECRET}@127.0.0.1:{password_server.port}/test"
    out = tmp_path / "snap.json"
    done = run_cli("capture", "--dsn", dsn, "--out", str(out))
    ok = clean_failure(done) and SECRET not in done.stderr + done.stdout and not out.exists()
    tally("bad input", "wrong password", ok)
    assert clean_failure(done), done.stderr
    assert "authentication failed" in done.stderr
    assert SECRET not in done.stderr + done.stdout
    assert not out.exists()


def test_right_password_never_printed(password_server, tmp_path, tally):
    dsn = f"postgresql://app:{SECRET}@127.0.0.1:{password_server.port}/nosuchdb"
    done = run_cli("analyze", "--dsn", dsn)
    ok = clean_failure(done) and SECRET not in done.stderr + done.stdout
    tally("bad input", "password in DSN of a missing database", ok)
    assert ok, done.stderr


SNAPSHOTS = {
    "corrupt JSON": "{not json",
    "foreign JSON": json.dumps({"hello": "world"}),
    "JSON list": "[1, 2, 3]",
    "newer format": json.dumps({"format": "advisor-snapshot", "format_version": 999}),
    "wrong field types": json.dumps({"format": "advisor-snapshot", "format_version": 1,
                                     "statements": [{"nope": 1}]}),
    "binary": "\udcff\udcfe",
}


@pytest.mark.parametrize("what", sorted(SNAPSHOTS))
def test_bad_snapshot_is_one_line(what, tmp_path, tally):
    path = tmp_path / "snap.json"
    path.write_bytes(SNAPSHOTS[what].encode("utf-8", "surrogateescape"))
    done = run_cli("analyze", "--snapshot", str(path), "--no-recommend")
    tally("bad input", f"snapshot: {what}", clean_failure(done))
    assert clean_failure(done), done.stderr


def test_missing_snapshot_file(tmp_path, tally):
    done = run_cli("analyze", "--snapshot", str(tmp_path / "absent.json"))
    tally("bad input", "snapshot file missing", clean_failure(done))
    assert clean_failure(done), done.stderr


def test_newer_snapshot_says_upgrade(tmp_path, tally):
    path = tmp_path / "snap.json"
    path.write_text(SNAPSHOTS["newer format"])
    done = run_cli("analyze", "--snapshot", str(path))
    ok = clean_failure(done) and "newer" in done.stderr and "upgrade" in done.stderr
    tally("bad input", "snapshot from a newer format version says upgrade", ok)
    assert ok, done.stderr


def _small_snapshot(tmp_path: Path) -> Path:
    from advisor.model import Snapshot, Statement

    path = tmp_path / "small.json"
    path.write_text(Snapshot(database="shop", statements=[
        Statement("SELECT * FROM t WHERE a = $1", calls=3, total_time_ms=1.0)]).to_json())
    return path


LOGS = {
    "absent log": None,
    "log is a folder": "folder",
    "binary log": b"\x00\xff\xfe" * 1000,
    "not a server log": b"hello world\nthis is not a log\n",
}


@pytest.mark.parametrize("what", sorted(LOGS))
def test_unreadable_log(what, tmp_path, tally):
    log = tmp_path / "server.log"
    if LOGS[what] == "folder":
        log.mkdir()
    elif LOGS[what] is not None:
        log.write_bytes(LOGS[what])
    done = run_cli("analyze", "--snapshot", str(_small_snapshot(tmp_path)), "--log", str(log),
                   "--no-recommend", "--format", "json")
    # a missing or unreadable log is an error; a readable file without log lines yields no traces
    readable = what in ("binary log", "not a server log")
    ok = (done.returncode == 0 and json.loads(done.stdout)["summary"]["traces"] == 0
          if readable else clean_failure(done))
    tally("bad input", f"log: {what}", ok)
    assert ok, (done.returncode, done.stderr)


def test_no_source_given(tally):
    done = run_cli("analyze")
    tally("bad input", "neither --dsn nor --snapshot", clean_failure(done))
    assert clean_failure(done), done.stderr


def test_unsupported_server_version(tally):
    """No PostgreSQL 12 here: the check capture runs on the server's version, directly."""
    from advisor.capture.checks import check_server_version
    from advisor.errors import AdvisorError

    with pytest.raises(AdvisorError, match="12.17 is not supported: advisor needs 13") as caught:
        check_server_version(120017, "12.17")
    check_server_version(130000, "13.0")
    check_server_version(150004, "15.4")
    tally("bad input", "unsupported server version (12)", "\n" not in str(caught.value))


@pytest.mark.parametrize("command", ["capture", "analyze"])
def test_missing_pg_stat_statements_says_how_to_enable(command, fresh_db, tmp_path, tally):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP EXTENSION pg_stat_statements")
    args = ["--out", str(tmp_path / "s.json")] if command == "capture" else []
    done = run_cli(command, "--dsn", fresh_db, *args)
    ok = clean_failure(done) and "CREATE EXTENSION pg_stat_statements" in done.stderr
    tally("bad input", f"{command}: pg_stat_statements not created", ok)
    assert ok, done.stderr


def _table_with_workload(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE events (id int PRIMARY KEY, kind int, note text)")
        conn.execute("INSERT INTO events SELECT g, g % 500, 'n' || g FROM generate_series(1, 20000) g")
        conn.execute("ANALYZE events")
        conn.execute("SELECT pg_stat_statements_reset()")
        for kind in range(30):
            conn.execute("SELECT id, note FROM events WHERE kind = %s", (kind,))


def test_missing_hypopg_degrades_with_a_note(fresh_db, tally):
    _table_with_workload(fresh_db)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP EXTENSION hypopg")
    done = run_cli("analyze", "--dsn", fresh_db, "--format", "json")
    plan = json.loads(done.stdout)["plan"] if done.returncode == 0 else {}
    notes = " ".join(plan.get("notes", []))
    ok = (done.returncode == 0 and "HypoPG is not installed" in notes
          and "CREATE EXTENSION hypopg" in notes
          and any("HypoPG missing" in r["reason"] for r in plan.get("rejected", [])))
    tally("bad input", "HypoPG missing: recommend degrades with a note", ok)
    assert ok, (done.stderr, plan)


def test_hypopg_denied_degrades_with_a_note(fresh_db, pg, tally):
    """A server that revokes HypoPG's functions from PUBLIC: recommend says what to grant."""
    _table_with_workload(fresh_db)
    role = "no_hypo"
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE pg_read_all_stats")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")
        conn.execute("GRANT EXECUTE ON FUNCTION pg_stat_statements(bool), "
                     f"pg_stat_statements_info() TO {role}")
    database = psycopg.conninfo.conninfo_to_dict(fresh_db)["dbname"]
    try:
        done = run_cli("analyze", "--dsn", pg.dsn_for(database, user=role), "--format", "json")
    finally:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
    plan = json.loads(done.stdout)["plan"] if done.returncode == 0 else {}
    notes = " ".join(plan.get("notes", []))
    ok = done.returncode == 0 and "may not use it" in notes and "GRANT EXECUTE" in notes
    tally("bad input", "HypoPG functions revoked: recommend degrades with a note", ok)
    assert ok, (done.stderr, notes)


def test_empty_workload(fresh_db, tmp_path, tally):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    done = run_cli("analyze", "--dsn", fresh_db)
    ok = clean_failure(done) and "empty workload" in done.stderr
    empty = tmp_path / "empty.sql"
    empty.write_text("-- nothing here\n")
    from_file = run_cli("analyze", "--queries", str(empty))
    ok_file = clean_failure(from_file)
    tally("bad input", "empty workload (pg_stat_statements)", ok)
    tally("bad input", "empty workload (SQL file)", ok_file)
    assert ok, done.stderr
    assert ok_file, from_file.stderr


def test_a_bad_statement_among_good_ones_is_named_and_the_rest_analysed(fresh_db, tmp_path, tally):
    queries = tmp_path / "mixed.sql"
    queries.write_text("SELECT 1;\nSELEC broken FROM;\nSET work_mem = '8MB';\nSELECT * FROM no_such_table;\n")
    done = run_cli("analyze", "--dsn", fresh_db, "--queries", str(queries), "--no-recommend",
                   "--format", "json")
    doc = json.loads(done.stdout) if done.returncode == 0 else {}
    unparsed = [u["statement"] for u in doc.get("unparsed", [])]
    notes = doc.get("summary", {}).get("notes", [])
    ok = (unparsed == [f"{queries} statement 2"] and doc["summary"]["unparsed"] == 1
          and any("no_such_table" in n and "does not exist" in n for n in notes)
          and not any("work_mem" in n for n in notes))  # a SET has no plan by nature: no note
    tally("bad input", "a bad statement among good ones: named, the rest analysed", ok)
    assert ok, (done.returncode, unparsed, notes, done.stderr)
