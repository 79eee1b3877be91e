"""The reliability suite keeps a tally of what it tried, printed at the end of the run.

Each test records its attempts with ``tally(kind, what, handled)``; with pytest-xdist the
workers write to files that the controller adds up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TALLY_ROOT = Path(__file__).resolve().parents[2] / ".pytest_cache" / "reliability-tally"
# One folder per run (the xdist workers inherit the variable), so concurrent runs in the same
# tree do not add up each other's tallies.
TALLY_DIR = Path(os.environ.setdefault("RELIABILITY_TALLY_DIR", str(TALLY_ROOT / str(os.getpid()))))


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        TALLY_DIR.mkdir(parents=True, exist_ok=True)
        for old in TALLY_DIR.glob("*.jsonl"):
            old.unlink()


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput") and TALLY_DIR.exists():
        shutil.rmtree(TALLY_DIR, ignore_errors=True)


@pytest.fixture
def tally(request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = TALLY_DIR / f"{worker}.jsonl"

    def record(kind: str, what: str, handled: bool) -> None:
        TALLY_DIR.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(json.dumps({"kind": kind, "what": what, "handled": handled,
                                "test": request.node.nodeid}) + "\n")

    return record


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput") or not TALLY_DIR.exists():
        return
    rows = [json.loads(line) for f in TALLY_DIR.glob("*.jsonl") for line in f.read_text().splitlines()]
    if not rows:
        return
    kinds: dict[str, list[int]] = {}
    for row in rows:
        seen = kinds.setdefault(row["kind"], [0, 0])
        seen[0] += 1
        seen[1] += bool(row["handled"])
    terminalreporter.section("reliability tally")
    for kind, (tried, handled) in sorted(kinds.items()):
        terminalreporter.write_line(f"{kind}: {tried} tried, {handled} handled")
    total = sum(t for t, _ in kinds.values())
    ok = sum(h for _, h in kinds.values())
    terminalreporter.write_line(f"all: {total} tried, {ok} handled" + ("" if total == ok else " -- NOT ALL HANDLED"))


SECRET = "s3cret-Pa55"


@pytest.fixture(scope="module")
def password_server():
    """A server that demands passwords (scram) over TCP, with a role `app` owning db `test`."""
    import psycopg

    from advisor.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(hba="local all all trust\nhost all postgres 127.0.0.1/32 trust\n"
                                  "host all all 127.0.0.1/32 scram-sha-256\n")
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE app LOGIN CREATEDB PASSWORD '{SECRET}'")
        conn.execute("GRANT pg_read_all_stats TO app")
        conn.execute("ALTER DATABASE test OWNER TO app")
        conn.execute("ALTER SCHEMA public OWNER TO app")
    yield server
    server.stop()


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real `advisor` process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "advisor", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def clean_failure(done: subprocess.CompletedProcess, code: int = 2) -> bool:
    """A one-line error on stderr, the expected exit code, no traceback."""
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return (done.returncode == code and len(lines) == 1 and "Traceback" not in done.stderr
            and lines[0].startswith("advisor: error:"))
