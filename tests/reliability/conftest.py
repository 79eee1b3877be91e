"""Fixtures and helpers of the reliability suite; the tally lives in ``tally.py``."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.reliability.tally import tally  # noqa: F401 - the fixture, for this folder's tests

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
