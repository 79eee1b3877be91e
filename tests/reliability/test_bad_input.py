"""Bad input: each a one-line error, a non-zero exit, no traceback, no password echoed."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from advisor.embedded import EmbeddedPostgres

from .conftest import clean_failure, run_cli

SECRET = "s3cret-Pa55"


@pytest.fixture(scope="module")
def password_server():
    """A server that demands passwords (scram) over TCP, with a role `app`."""
    server = EmbeddedPostgres(hba="local all all trust\nhost all postgres 127.0.0.1/32 trust\n"
                                  "host all all 127.0.0.1/32 scram-sha-256\n")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{SECRET}'")
    yield server
    server.stop()


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


def test_newer_snapshot_says_upgrade(tmp_path):
    path = tmp_path / "snap.json"
    path.write_text(SNAPSHOTS["newer format"])
    done = run_cli("analyze", "--snapshot", str(path))
    assert "newer" in done.stderr and "upgrade" in done.stderr


def test_unreadable_log(tmp_path, tally):
    snap = Path(__file__).resolve().parents[2] / "fixtures" / "snapshots" / "shopease.json"
    if not snap.exists():
        pytest.skip("no ShopEase snapshot fixture yet")
    done = run_cli("analyze", "--snapshot", str(snap), "--log", str(tmp_path / "absent.log"),
                   "--no-recommend")
    tally("bad input", "unreadable log", clean_failure(done))
    assert clean_failure(done), done.stderr


def test_no_source_given(tally):
    done = run_cli("analyze")
    tally("bad input", "neither --dsn nor --snapshot", clean_failure(done))
    assert clean_failure(done), done.stderr
