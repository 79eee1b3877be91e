"""A small synthetic shop (a few 10k rows), built once per test module."""

import uuid

import psycopg
import pytest

SCHEMA = """
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, country text NOT NULL,
                        created_at timestamptz NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL,
                     total numeric NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE items (id int PRIMARY KEY, order_id int NOT NULL, sku text NOT NULL, qty int NOT NULL);
CREATE TABLE tiny (id int PRIMARY KEY, name text);
INSERT INTO customers SELECT g, 'User' || g || '@Example.com', (ARRAY['de','fr','us','uk'])[1 + g % 4],
       timestamptz '2024-01-01' + g * interval '7 minutes' FROM generate_series(1, 10000) g;
INSERT INTO orders SELECT g, 1 + (g * 7919) % 10000,
       CASE WHEN g % 50 = 0 THEN 'pending' WHEN g % 5 = 0 THEN 'shipped' ELSE 'delivered' END,
       (g % 997) + 0.5, timestamptz '2024-01-01' + g * interval '3 minutes' FROM generate_series(1, 40000) g;
INSERT INTO items SELECT g, 1 + (g::bigint * 104729) % 40000, 'SKU-' || (g % 3000), 1 + g % 5
       FROM generate_series(1, 60000) g;
INSERT INTO tiny SELECT g, 'n' || g FROM generate_series(1, 20) g;
ANALYZE;
"""

WORKLOAD = [  # (sql, calls)
    ("SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20", 500),
    ("SELECT * FROM items WHERE order_id = $1", 800),
    ("SELECT id, email FROM customers WHERE lower(email) = lower($1)", 300),
    ("SELECT * FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 50", 50),
    ("SELECT count(*) FROM orders WHERE created_at >= $1 AND created_at < $2", 20),
    ("SELECT o.id, sum(i.qty) FROM orders o JOIN items i ON i.order_id = o.id "
     "WHERE o.customer_id = $1 GROUP BY o.id", 200),
    ("SELECT * FROM items WHERE sku = $1", 100),
    ("SELECT * FROM customers WHERE country = $1", 5),
    ("SELECT * FROM tiny WHERE name = $1", 1000),
]


@pytest.fixture(scope="module")
def shop_dsn(pg):
    name = f"rec_{uuid.uuid4().hex[:10]}"
    dsn = pg.create_database(name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    yield dsn
    pg.drop_database(name)


@pytest.fixture(scope="module")
def shop_snapshot(shop_dsn):
    from advisor.capture.catalog import read_catalog
    from advisor.db import session
    from advisor.model import Snapshot, Statement

    with session(shop_dsn) as conn:
        catalog = read_catalog(conn, [])
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
    statements = [Statement(sql, calls=calls) for sql, calls in WORKLOAD]
    return Snapshot(database="shop", server_version_num=version, statements=statements, catalog=catalog)
