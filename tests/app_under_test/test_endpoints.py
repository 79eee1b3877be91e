"""Each endpoint returns what plain SQL says; the N+1 endpoints are 1+N lazily, bounded eagerly."""

from __future__ import annotations

import psycopg
import pytest

from app_under_test import endpoints

from .conftest import CountingSession


@pytest.fixture(scope="module")
def sql(shop_readonly):
    with psycopg.connect(shop_readonly) as conn:
        yield lambda query, *params: conn.execute(query, params).fetchall()


def busiest(sql, query: str) -> int:
    return sql(query)[0][0]


def test_list_products_pages_a_category_newest_first(counting, sql):
    category = busiest(sql, "SELECT category_id FROM products GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    expected = sql("SELECT p.id, s.name FROM products p JOIN sellers s ON s.id = p.seller_id "
                   "WHERE category_id = %s AND status = 'active' AND deleted_at IS NULL "
                   "ORDER BY p.created_at DESC LIMIT 20 OFFSET 20", category)
    for eager in (False, True):
        with counting.session() as session:
            page = endpoints.list_products(session, category, page=2, eager=eager)
        assert [(p["id"], p["seller"]) for p in page] == [tuple(row) for row in expected]


def test_list_products_is_one_plus_n_lazily_and_one_query_eagerly(counting, sql):
    category = busiest(sql, "SELECT category_id FROM products GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    with counting.session() as session:
        page = endpoints.list_products(session, category, page=1)
    lazy = len(counting.queries)
    with counting.session() as session:
        endpoints.list_products(session, category, page=1, eager=True)
    assert lazy == 1 + len({p["seller"] for p in page}) > 5
    assert len(counting.queries) == 1


def test_product_detail_reviews_and_authors(counting, sql):
    product = busiest(sql, "SELECT id FROM products ORDER BY review_count DESC LIMIT 1")
    expected = sql("SELECT r.id, u.full_name FROM reviews r JOIN users u ON u.id = r.user_id "
                   "WHERE product_id = %s ORDER BY r.created_at DESC LIMIT 20", product)
    counts = {}
    for eager in (False, True):
        with counting.session() as session:
            detail = endpoints.product_detail(session, product, eager=eager)
        counts[eager] = len(counting.queries)
        assert [(r["id"], r["author"]) for r in detail["reviews"]] == [tuple(row) for row in expected]
    authors = len({row[1] for row in expected})
    # product, seller, category, reviews, then one query per distinct author
    assert counts[False] == 4 + len(set(r[0] for r in sql(
        "SELECT user_id FROM reviews WHERE product_id = %s ORDER BY created_at DESC LIMIT 20", product)))
    assert authors > 5
    assert counts[True] == 3
    with counting.session() as session:
        assert endpoints.product_detail(session, 10**9) is None


def test_order_history_is_one_plus_orders_plus_products_lazily(counting, sql):
    user = busiest(sql, "SELECT user_id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    orders = sql("SELECT id FROM orders WHERE user_id = %s ORDER BY created_at DESC LIMIT 20", user)
    lines = sql("SELECT order_id, product_id, quantity FROM order_items WHERE order_id = ANY(%s) "
                "ORDER BY order_id, id", [row[0] for row in orders])
    with counting.session() as session:
        history = endpoints.order_history(session, user)
    lazy = len(counting.queries)
    with counting.session() as session:
        eager_history = endpoints.order_history(session, user, eager=True)
    assert history == eager_history
    assert [o["id"] for o in history] == [row[0] for row in orders]
    got = sorted((o["id"], i["product_id"], i["quantity"]) for o in history for i in o["items"])
    assert got == sorted(tuple(row) for row in lines)
    assert lazy == 1 + len(orders) + len({row[1] for row in lines})
    assert len(counting.queries) == 3


def test_view_cart_lines_and_total(counting, sql):
    user, cart = sql("SELECT c.user_id, c.id FROM carts c JOIN cart_items i ON i.cart_id = c.id "
                     "GROUP BY 1, 2 ORDER BY count(*) DESC, 2 LIMIT 1")[0]
    expected = sql("SELECT i.product_id, i.quantity, p.price FROM cart_items i "
                   "JOIN products p ON p.id = i.product_id WHERE cart_id = %s ORDER BY i.id", cart)
    with counting.session() as session:
        lazy_cart = endpoints.view_cart(session, user)
    lazy = len(counting.queries)
    with counting.session() as session:
        eager_cart = endpoints.view_cart(session, user, eager=True)
    assert lazy_cart == eager_cart
    assert [(i["product_id"], i["quantity"]) for i in lazy_cart["items"]] == [r[:2] for r in expected]
    assert lazy_cart["total"] == round(sum(float(r[2]) * r[1] for r in expected), 2)
    assert lazy == 2 + len(expected) and len(counting.queries) == 2


def test_search_matches_case_insensitively_and_escapes_wildcards(counting, sql):
    expected = sql("SELECT id FROM products WHERE name ILIKE '%%lamp%%' AND status = 'active' "
                   "AND deleted_at IS NULL ORDER BY review_count DESC, id LIMIT 20")
    with counting.session() as session:
        assert [p["id"] for p in endpoints.search_products(session, "LaMp")] == [r[0] for r in expected]
        assert endpoints.search_products(session, "%") == []


def test_login_ignores_the_case_of_the_email(counting, sql):
    user, email = sql("SELECT id, email FROM users WHERE email <> lower(email) ORDER BY id LIMIT 1")[0]
    with counting.session() as session:
        assert endpoints.login(session, email.lower())["id"] == user
        assert endpoints.login(session, email.swapcase())["id"] == user
        assert endpoints.login(session, "nobody@nowhere.example") is None
    assert any("lower(users.email) = lower(" in q for q in counting.queries)


def test_seller_dashboard_figures(counting, sql):
    seller = busiest(sql, "SELECT seller_id FROM products GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    joined = ("FROM order_items i JOIN orders o ON o.id = i.order_id "
              "JOIN products p ON p.id = i.product_id WHERE p.seller_id = %s")
    revenue = sql(f"SELECT sum(i.quantity * i.unit_price) {joined} AND o.status = 'delivered'", seller)[0][0]
    pending = sql(f"SELECT count(DISTINCT o.id) {joined} AND o.status = 'pending'", seller)[0][0]
    recent = sql(f"SELECT i.order_id, i.product_id {joined} ORDER BY o.created_at DESC, i.id LIMIT 20",
                 seller)
    products = sql("SELECT count(*) FROM products WHERE seller_id = %s", seller)[0][0]
    with counting.session() as session:
        board = endpoints.seller_dashboard(session, seller)
    assert board["delivered_revenue"] == float(revenue)
    assert board["pending_orders"] == pending > 0
    assert [(line["order_id"], line["product_id"]) for line in board["recent_lines"]] == \
        [tuple(row) for row in recent]
    assert board["product_count"] == products and len(board["products"]) == min(50, products)


def test_pending_orders_and_cheap_products(counting, sql):
    pending = sql("SELECT id FROM orders WHERE status = 'pending' ORDER BY created_at LIMIT 50")
    cheap = sql("SELECT price FROM products WHERE status = 'active' AND price <= 5 "
                "ORDER BY price LIMIT 20")
    with counting.session() as session:
        assert [o["id"] for o in endpoints.pending_orders(session)] == [r[0] for r in pending]
        assert [p["price"] for p in endpoints.cheap_products(session, 5)] == [float(r[0]) for r in cheap]


def test_checkout_turns_the_cart_into_an_order(shopease_db):
    with psycopg.connect(shopease_db) as conn:
        user, cart = conn.execute(
            "SELECT c.user_id, c.id FROM carts c JOIN cart_items i ON i.cart_id = c.id "
            "JOIN products p ON p.id = i.product_id WHERE p.status = 'active' "
            "ORDER BY c.id LIMIT 1").fetchone()
        lines = conn.execute(
            "SELECT i.product_id, i.quantity, p.price, p.stock FROM cart_items i JOIN products p "
            "ON p.id = i.product_id WHERE cart_id = %s AND p.status = 'active' ORDER BY i.id",
            (cart,)).fetchall()
    counter = CountingSession(shopease_db)
    with counter.session() as session, session.begin():
        result = endpoints.checkout(session, user)
    counter.close()
    with psycopg.connect(shopease_db) as conn:
        order = conn.execute("SELECT user_id, status, total FROM orders WHERE id = %s",
                             (result["order_id"],)).fetchone()
        items = conn.execute("SELECT product_id, quantity, unit_price FROM order_items "
                             "WHERE order_id = %s ORDER BY id", (result["order_id"],)).fetchall()
        stock = dict(conn.execute("SELECT id, stock FROM products WHERE id = ANY(%s)",
                                  ([line[0] for line in lines],)).fetchall())
        left = conn.execute("SELECT count(*) FROM cart_items WHERE cart_id = %s", (cart,)).fetchone()[0]
    total = sum(price * quantity for _, quantity, price, _ in lines)
    assert order == (user, "pending", total)
    assert items == [line[:3] for line in lines]
    assert stock == {pid: max(0, before - quantity) for pid, quantity, _, before in lines}
    assert left == 0 and result["items"] == len(lines)
    counter = CountingSession(shopease_db)
    with counter.session() as session, session.begin():
        assert endpoints.checkout(session, user)["order_id"] is None
    counter.close()
