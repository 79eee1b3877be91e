import os
import signal
import subprocess
import sys
import time

import psycopg

from advisor.embedded import EmbeddedPostgres
from tests.conftest import ctrl_c_enabled


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_server_has_extensions_and_settings(pg):
    with psycopg.connect(pg.dsn) as conn:
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        assert {"pg_stat_statements", "hypopg", "pg_trgm"} <= extensions
        assert conn.execute("SHOW pg_stat_statements.track").fetchone()[0] == "all"
        assert conn.execute("SHOW log_min_duration_statement").fetchone()[0] == "0"


def test_server_runs_unprivileged(pg):
    with psycopg.connect(pg.dsn) as conn:  # the backend exits with its connection
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        uid = os.stat(f"/proc/{pid}").st_uid
    assert uid != 0


def test_trace_logging_reaches_the_log(pg):
    with psycopg.connect(pg.dsn) as conn:
        conn.execute("SELECT 'marker-7d1f' AS m")
    time.sleep(0.2)
    assert "marker-7d1f" in pg.log_path.read_text()


def test_stop_leaves_no_process():
    server = EmbeddedPostgres()
    pid = server.pid
    assert _alive(pid)
    server.stop()
    time.sleep(0.2)
    assert not _alive(pid)


def test_server_dies_with_a_killed_parent(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(
        "import sys, time\n"
        "from advisor.embedded import EmbeddedPostgres\n"
        "pg = EmbeddedPostgres()\n"
        "print(pg.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    pid = int(child.stdout.readline())
    assert _alive(pid)
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.time() + 15
    while _alive(pid) and time.time() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)


def test_ctrl_c_stops_the_server(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(
        "import time\n"
        "from advisor.embedded import EmbeddedPostgres\n"
        "with EmbeddedPostgres() as pg:\n"
        "    print(pg.pid, flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, preexec_fn=ctrl_c_enabled)
    pid = int(child.stdout.readline())
    child.send_signal(signal.SIGINT)
    child.wait(timeout=30)
    assert not _alive(pid)
