"""Timeouts and locks: a table held ACCESS EXCLUSIVE by another session does not hang capture.

What needs the table is skipped with a reason (Statement.plan_error, Snapshot.notes); the rest is
captured, within a bounded time. Capture has no lock-timeout option, so the test lowers the
default of ``advisor.db.connect`` (2 s) to keep the run short; the CLI run uses the real default.
"""

from __future__ import annotations

import time

import psycopg
import pytest

import advisor.db
from advisor.capture import capture

from .conftest import run_cli

LOCK_TIMEOUT_MS = 300


@pytest.fixture
def locked_products(shopease_db):
    from app_under_test.driver import run_workload

    run_workload(shopease_db, requests=40, concurrency=1)
    holder = psycopg.connect(shopease_db)
    holder.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")  # psycopg opened the BEGIN
    yield shopease_db
    holder.rollback()
    holder.close()


def test_locked_table_is_skipped_with_a_reason(locked_products, monkeypatch, tally):
    monkeypatch.setitem(advisor.db.connect.__kwdefaults__, "lock_timeout_ms", LOCK_TIMEOUT_MS)
    started = time.monotonic()
    snapshot = capture(locked_products)
    took = time.monotonic() - started
    on_products = [s for s in snapshot.statements if "products" in s.query]
    elsewhere = [s for s in snapshot.statements if "products" not in s.query]
    timed_out = [s for s in on_products if s.plan is None and "lock timeout" in (s.plan_error or "")]
    noted = any("products" in n and "locked" in n for n in snapshot.notes)
    bound = 5 + len(snapshot.statements) * LOCK_TIMEOUT_MS / 1000
    ok = (bool(on_products) and len(timed_out) == len(on_products) and noted
          and all(s.plan is not None for s in elsewhere if s.plan_error is None) and took < bound)
    tally("locks", "ACCESS EXCLUSIVE table: statements skipped with a reason", ok)
    assert on_products and len(timed_out) == len(on_products), [s.plan_error for s in on_products]
    assert noted, snapshot.notes
    assert any(s.plan is not None for s in elsewhere)
    assert took < bound, took
    products = snapshot.catalog.table("public.products")
    assert products is not None and products.columns, "catalog still lists the locked table"


def test_cli_capture_finishes_with_the_default_lock_timeout(locked_products, tmp_path, tally):
    out = tmp_path / "snap.json"
    started = time.monotonic()
    done = run_cli("capture", "--dsn", locked_products, "--out", str(out), "--top", "5",
                   timeout=60)
    took = time.monotonic() - started
    ok = done.returncode == 0 and out.exists() and took < 5 * 2 + 10
    tally("locks", "capture CLI with a locked table finishes (default 2 s lock_timeout)", ok)
    assert ok, (done.returncode, done.stderr, took)
