"""The generator is deterministic, consistent with itself and skewed like real traffic."""

from __future__ import annotations

import psycopg
import pytest

from app_under_test import datagen, schema, words
from app_under_test.models import TABLES

SCALE = 0.01


def checksums(dsn: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        return {table: conn.execute(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t"
        ).fetchone()[0] for table in TABLES}


@pytest.fixture
def second_db(pg):
    dsn = pg.create_database("datagen_second")
    yield dsn
    pg.drop_database("datagen_second")


def test_same_seed_and_scale_give_identical_tables(fresh_db, second_db):
    for dsn in (fresh_db, second_db):
        schema.upgrade(dsn)
    first = datagen.generate(fresh_db, scale=SCALE, seed=3)
    second = datagen.generate(second_db, scale=SCALE, seed=3)
    assert first == second
    assert checksums(fresh_db) == checksums(second_db)
    datagen.generate(second_db, scale=SCALE, seed=4)
    differing = {t for t, s in checksums(second_db).items() if s != checksums(fresh_db)[t]}
    assert {"users", "products", "orders", "reviews"} <= differing


def test_counts_are_returned_and_sequences_continue(shopease_db):
    with psycopg.connect(shopease_db) as conn:
        for table in TABLES:
            count, top = conn.execute(f"SELECT count(*), max(id) FROM {table}").fetchone()
            assert count == top > 0, table
        new_id = conn.execute("INSERT INTO categories (name, slug) VALUES ('New', 'new') "
                              "RETURNING id").fetchone()[0]
    assert new_id == 61


def test_denormalised_columns_agree_with_the_rows(shop_readonly):
    with psycopg.connect(shop_readonly) as conn:
        # Joins against grouped rows: correlated subqueries would scan per row (no FK index).
        wrong_counts = conn.execute(
            "SELECT count(*) FROM products p LEFT JOIN (SELECT product_id, count(*) n FROM reviews "
            "GROUP BY 1) r ON r.product_id = p.id WHERE p.review_count <> coalesce(r.n, 0)"
        ).fetchone()[0]
        wrong_totals = conn.execute(
            "SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(quantity * unit_price) s "
            "FROM order_items GROUP BY 1) i ON i.order_id = o.id WHERE o.total <> i.s").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM order_items i LEFT JOIN products p ON p.id = i.product_id "
            "WHERE p.id IS NULL").fetchone()[0]
    assert (wrong_counts, wrong_totals, orphans) == (0, 0, 0)


def test_distributions_plant_the_intended_selectivities(shop_readonly):
    with psycopg.connect(shop_readonly) as conn:
        def share(sql: str) -> float:
            return conn.execute(sql).fetchone()[0]
        active = share("SELECT avg((status = 'active')::int) FROM products")
        delivered = share("SELECT avg((status = 'delivered')::int) FROM orders")
        pending = share("SELECT avg((status = 'pending')::int) FROM orders")
        mixed_case = share("SELECT avg((email <> lower(email))::int) FROM users")
        term = share(f"SELECT avg((name ILIKE '%{words.NOUNS[0]}%')::int) FROM products")
        top_share = share("SELECT max(c)::float / sum(c) FROM "
                          "(SELECT count(*) c FROM order_items GROUP BY product_id) x")
    assert 0.92 < active < 0.98
    assert 0.75 < delivered < 0.85
    assert 0.01 < pending < 0.03
    assert mixed_case > 0.4
    assert 0.005 < term < 0.03
    # Zipf-like: the best seller holds far more than a uniform 1/N share of the order lines.
    assert top_share > 20 / 10_000
