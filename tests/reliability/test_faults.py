"""Faults: the server going away mid-capture, Ctrl-C during validate and during the demo.

Each ends with one line on stderr, a non-zero exit, and nothing left behind: no half-written
snapshot or temporary file, no scratch database, no stray PostgreSQL server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from advisor.db import session
from advisor.emit.migrations import write_migrations
from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Plan, Recommendation

from ..conftest import ctrl_c_enabled
from .conftest import clean_failure

STATEMENTS = 400


def _start(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    """The real `advisor` process in its own process group, as a terminal would run it."""
    return subprocess.Popen([sys.executable, "-m", "advisor", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=cwd,
                            preexec_fn=ctrl_c_enabled)


def _wait_for(predicate, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _finish(proc: subprocess.Popen, timeout: float = 60) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def busy_db(fresh_db):
    """A database whose pg_stat_statements holds hundreds of distinct statements."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int PRIMARY KEY, b int)")
        conn.execute("INSERT INTO t SELECT g, g % 7 FROM generate_series(1, 1000) g")
        conn.execute("SELECT pg_stat_statements_reset()")
        for i in range(STATEMENTS):  # distinct select lists: distinct queryids (aliases are not)
            columns = ", ".join(["a"] * (i % 20 + 1) + ["b"] * (i // 20 + 1))
            conn.execute(f"SELECT {columns} FROM t WHERE a = %s", (i,))
    return fresh_db


def test_server_gone_mid_capture(busy_db, tmp_path, tally):
    out = tmp_path / "snap.json"
    proc = _start("capture", "--dsn", busy_db, "--out", str(out))
    database = psycopg.conninfo.conninfo_to_dict(busy_db)["dbname"]
    killed = 0
    with psycopg.connect(busy_db, autocommit=True) as killer:
        while proc.poll() is None:
            killed += killer.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'advisor' AND datname = %s", (database,)).fetchone()[0]
            time.sleep(0.02)
    done = _finish(proc)
    leftovers = [p.name for p in tmp_path.iterdir()]
    ok = killed > 0 and clean_failure(done) and not out.exists() and not leftovers
    tally("fault", "server connection killed mid-capture", ok)
    assert killed, "the capture ended before a backend could be terminated"
    assert clean_failure(done), (done.returncode, done.stderr)
    assert "lost" in done.stderr or "terminat" in done.stderr, done.stderr
    assert not out.exists() and not leftovers, leftovers


def _terminate(dsn: str, pid: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_session_whose_backend_was_terminated_reports_the_lost_connection(fresh_db):
    # A backend killed mid-command can surface as a protocol error before the connection is
    # marked broken (psycopg: "received 2 results from command 'RELEASE ...'").
    with pytest.raises(AdvisorError) as caught:
        with session(fresh_db) as conn:
            _terminate(fresh_db, conn.info.backend_pid)
            raise psycopg.InternalError("received 2 results from command 'RELEASE \"_pg3_1\"'")
    assert "lost the connection" in str(caught.value)
    assert "terminating connection" in str(caught.value)


def test_an_error_on_a_live_session_is_left_to_the_caller(fresh_db):
    with pytest.raises(psycopg.errors.UndefinedTable):
        with session(fresh_db) as conn:
            conn.execute("SELECT * FROM no_such_table")


def _scratch_databases(conn) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE 'advisor\\_scratch\\_%'")]


def test_ctrl_c_during_validate_drops_the_scratch_copy(fresh_db, pg, tmp_path, tally):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, sku text)")
    spec = IndexSpec("public.items", ["sku"])
    plan = Plan(recommendations=[Recommendation(
        action="create", table="public.items", name="ix_items_sku",
        ddl="CREATE INDEX CONCURRENTLY ix_items_sku ON public.items (sku)", index=spec)])
    write_migrations(plan, tmp_path / "migrations")
    proc = _start("validate", "--dsn", fresh_db, "--migrations", str(tmp_path / "migrations"),
                  "--workload", "sleep 30", "--repetitions", "1")
    with psycopg.connect(pg.dsn_for("postgres"), autocommit=True) as admin:
        _wait_for(lambda: _scratch_databases(admin), 30, "the scratch copy")
        _wait_for(lambda: _children_named(proc.pid, "sleep"), 30, "the workload command")
        os.killpg(proc.pid, signal.SIGINT)
        done = _finish(proc)
        left = _scratch_databases(admin)
    ok = done.returncode == 130 and clean_interrupt(done) and not left
    tally("fault", "Ctrl-C during validate: scratch database dropped", ok)
    assert done.returncode == 130 and clean_interrupt(done), (done.returncode, done.stderr)
    assert not left, left


def clean_interrupt(done: subprocess.CompletedProcess) -> bool:
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return "Traceback" not in done.stderr and bool(lines) and lines[-1] == "advisor: interrupted"


def _descendants(pid: int) -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command name) of every process under ``pid``: one /proc scan, so a
    process that exits meanwhile is simply missing."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        parents[int(entry.name)] = (ppid, name)
    found, frontier = {}, {pid}
    while frontier:
        children = {p for p, (ppid, _) in parents.items() if ppid in frontier and p not in found}
        found.update({p: parents[p] for p in children})
        frontier = children
    return found


def _children_named(pid: int, name: str) -> list[int]:
    return [p for p, (_, n) in _descendants(pid).items() if n == name]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def test_ctrl_c_during_demo_stops_the_server(tmp_path, tally):
    proc = _start("demo", "--scale", "0.01", "--requests", "20", "--repetitions", "1",
                  "--out", str(tmp_path / "reports"))
    postmaster = _wait_for(lambda: [p for p, (ppid, n) in _descendants(proc.pid).items()
                                    if n == "postgres" and ppid == proc.pid], 60,
                           "the embedded server")[0]
    _wait_for(lambda: len(_children_named(postmaster, "postgres")) >= 3, 30, "server workers")
    proc.send_signal(signal.SIGINT)  # the demo alone: its cleanup must stop the server
    done = _finish(proc)
    gone = not _wait_gone(postmaster)
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    ok = done.returncode != 0 and gone and "Traceback" not in done.stderr and \
        lines[-1].startswith("advisor: ")
    tally("fault", "Ctrl-C during demo: embedded server stopped", ok)
    assert gone, f"postgres {postmaster} still running"
    assert done.returncode in (130, 2) and "Traceback" not in done.stderr, done.stderr
    assert lines[-1] == "advisor: interrupted", done.stderr


def _wait_gone(pid: int, timeout: float = 10) -> bool:
    """Whether ``pid`` is still alive after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and _alive(pid):
        time.sleep(0.05)
    return _alive(pid)
