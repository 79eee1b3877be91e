"""`advisor capture` as a user runs it."""

from __future__ import annotations

import subprocess
import sys

from advisor.model import Snapshot

PASSWORD = "s3cret-pw"


def _run(*args):
    return subprocess.run([sys.executable, "-m", "advisor", "capture", *args],
                          capture_output=True, text=True, timeout=120)


def test_capture_writes_a_snapshot(library_db, tmp_path, pg):
    out = tmp_path / "snap.json"
    done = _run("--dsn", library_db, "--out", str(out), "--min-calls", "2", "--log",
                str(pg.log_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    snap = Snapshot.from_json(out.read_text())
    assert len(snap.statements) == 2 and all(s.plan for s in snap.statements)
    assert "captured 2 statements (2 planned)" in done.stderr
    assert snap.traces  # this database's statements were in the server log
    assert [p.name for p in tmp_path.iterdir()] == ["snap.json"]


def test_failure_leaves_no_file(tmp_path):
    out = tmp_path / "snap.json"
    out.write_text("previous")
    done = _run("--dsn", f"postgresql://u:{PASSWORD}@127.0.0.1:1/x", "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.startswith("advisor: error: cannot connect") and PASSWORD not in done.stderr
    assert "Traceback" not in done.stderr
    assert out.read_text() == "previous" and len(list(tmp_path.iterdir())) == 1


def test_help_says_reset_writes():
    done = _run("--help")
    assert "--reset" in done.stdout and "WRITES" in done.stdout


def test_several_log_files_after_one_log_option(library_db, tmp_path, pg):
    """What the shell hands over for `--log postgresql-*.log`: several paths after one --log."""
    lines = pg.log_path.read_text().splitlines(keepends=True)
    half = len(lines) // 2
    while lines[half].startswith("\t"):  # not inside a multi-line record
        half += 1
    first, second = tmp_path / "postgresql-a.log", tmp_path / "postgresql-b.log"
    first.write_text("".join(lines[:half]))
    second.write_text("".join(lines[half:]))
    out = tmp_path / "snap.json"
    done = _run("--dsn", library_db, "--out", str(out), "--log", str(second), str(first), "--min-calls", "2")
    assert done.returncode == 0, done.stderr
    whole = tmp_path / "whole.json"
    assert _run("--dsn", library_db, "--out", str(whole), "--log", str(pg.log_path), "--min-calls", "2").returncode == 0
    split, one = Snapshot.from_json(out.read_text()), Snapshot.from_json(whole.read_text())
    assert split.traces and [len(t.events) for t in split.traces] == [len(t.events) for t in one.traces]
