"""Shared fixtures: one throwaway PostgreSQL per test process, databases made from templates.

- ``pg``: the embedded server (session-scoped).
- ``fresh_db``: an empty database with pg_stat_statements, hypopg and pg_trgm; its DSN.
- ``shopease_template``: a ShopEase database at the small test scale, built once per session.
- ``shopease_db``: a private copy of it for one test (CREATE DATABASE ... TEMPLATE); its DSN.
"""

from __future__ import annotations

import signal
import uuid

import psycopg
import pytest

from advisor.embedded import EmbeddedPostgres
from tests.reliability.tally import (  # noqa: F401 - hooks: the tally prints in every run
    pytest_configure,
    pytest_terminal_summary,
    pytest_unconfigure,
)

TEST_SCALE = 0.05


def ctrl_c_enabled() -> None:
    """``preexec_fn`` for a child that a test stops with SIGINT: a shell running the suite in the
    background hands its children SIGINT ignored, and Python then never raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def pg():
    server = EmbeddedPostgres(trace=True)
    yield server
    server.stop()


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def fresh_db(pg):
    name = _name("t")
    dsn = pg.create_database(name)
    yield dsn
    pg.drop_database(name)


@pytest.fixture(scope="session")
def shopease_template(pg):
    from app_under_test import datagen, schema

    name = "shopease_template"
    dsn = pg.create_database(name)
    schema.upgrade(dsn)
    datagen.generate(dsn, scale=TEST_SCALE, seed=42)
    with psycopg.connect(pg.dsn_for("postgres"), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
    return name


@pytest.fixture
def shopease_db(pg, shopease_template):
    name = _name("shop")
    dsn = pg.create_database(name, template=shopease_template)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    yield dsn
    pg.drop_database(name)
