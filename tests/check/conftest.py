"""Fixtures of the check tests: a small synthetic workload with indexes, and a CLI runner."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner

from advisor.cli import main

SCHEMA = """
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, region int NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
                     status text NOT NULL, total numeric NOT NULL);
INSERT INTO customers SELECT g, 'c' || g || '@example.com', g % 50 FROM generate_series(1, 20000) g;
INSERT INTO orders SELECT g, 1 + g % 20000, (ARRAY['new','paid','sent'])[1 + g % 3], g % 997
  FROM generate_series(1, 60000) g;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX customers_email_idx ON customers (email);
ANALYZE customers; ANALYZE orders;
"""

WORKLOAD = [
    ("SELECT * FROM orders WHERE customer_id = %s", (7,)),
    ("SELECT id, email FROM customers WHERE email = %s", ("c7@example.com",)),
    ("SELECT o.id, c.email FROM orders o JOIN customers c ON c.id = o.customer_id "
     "WHERE c.id = %s", (9,)),
    ("SELECT count(*) FROM customers WHERE region = %s", (3,)),
]


def run_workload(dsn: str, statements=WORKLOAD, times: int = 3) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(times):
            for sql, params in statements:
                conn.execute(sql, params).fetchall()


@pytest.fixture
def shop_like(fresh_db):
    """A database with two indexed tables, the workload run once, pg_stat_statements fresh."""
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("SELECT pg_stat_statements_reset()")
    run_workload(fresh_db)
    return fresh_db


@pytest.fixture
def advisor():
    """Run `advisor ...` in-process; returns click's Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
