"""Every planted index fix is real: made on a copy, the planner uses it for its endpoint."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app_under_test import endpoints
from app_under_test.db import make_engine
from app_under_test.planted import INDEX_KINDS, PLANTED, by_kind

EXPLAINABLE = ("SELECT", "UPDATE", "DELETE")


@pytest.fixture(scope="module")
def fixed_db(pg, shopease_template):
    name = "planted_fixed"
    dsn = pg.create_database(name, template=shopease_template)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for plant in by_kind(*INDEX_KINDS):
            conn.execute(plant.ideal.replace("CREATE INDEX ON", f"CREATE INDEX planted_{plant.id} ON"))
        conn.execute("ANALYZE")
    yield dsn
    pg.drop_database(name)


def calls(dsn: str) -> dict:
    with psycopg.connect(dsn) as conn:
        def one(sql):
            return conn.execute(sql).fetchone()[0]
        cart_user = one("SELECT c.user_id FROM carts c JOIN cart_items i ON i.cart_id = c.id "
                        "ORDER BY c.id LIMIT 1")
        return {
            "list_products": {"category_id": one("SELECT category_id FROM products GROUP BY 1 "
                                                 "ORDER BY count(*) LIMIT 1"), "page": 2},
            "product_detail": {"product_id": one("SELECT id FROM products ORDER BY review_count DESC LIMIT 1")},
            "order_history": {"user_id": one("SELECT user_id FROM orders GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")},
            "seller_dashboard": {"seller_id": one("SELECT seller_id FROM products GROUP BY 1 "
                                                   "ORDER BY count(*), 1 LIMIT 1")},
            "view_cart": {"user_id": cart_user},
            "checkout": {"user_id": cart_user},
            "login": {"email": one("SELECT upper(email) FROM users WHERE id = 7")},
            "search_products": {"term": "lamp"},
            "pending_orders": {},
        }


def plans_of(dsn: str, endpoint: str, params: dict) -> str:
    """Run the endpoint (then roll back) and EXPLAIN every statement it sent; the plans' text."""
    engine = make_engine(dsn)
    sent = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cur, statement, parameters, *rest: sent.append((statement, parameters)))
    with Session(engine) as session:
        getattr(endpoints, endpoint)(session, **params)
        session.rollback()
        connection = session.connection()
        plans = [connection.exec_driver_sql(f"EXPLAIN {statement}", _first(parameters)).fetchall()
                 for statement, parameters in list(sent) if statement.lstrip().startswith(EXPLAINABLE)]
        session.rollback()
    engine.dispose()
    return "\n".join(row[0] for plan in plans for row in plan)


def _first(parameters):
    """One parameter set (executemany sends a list of them)."""
    return parameters[0] if isinstance(parameters, list | tuple) else parameters


@pytest.mark.parametrize("plant", by_kind(*INDEX_KINDS), ids=lambda plant: plant.id)
def test_the_ideal_index_serves_its_endpoints(fixed_db, plant):
    params = calls(fixed_db)
    used = [endpoint for endpoint in plant.endpoints
            if f"planted_{plant.id.lower()}" in plans_of(fixed_db, endpoint, params[endpoint]).lower()]
    assert used, f"{plant.ideal} is not used by {plant.endpoints}"


def test_plants_are_well_formed():
    ids = [plant.id for plant in PLANTED]
    assert len(ids) == len(set(ids))
    for plant in by_kind(*INDEX_KINDS):
        assert plant.ideal.startswith("CREATE INDEX ON") and plant.endpoints
        assert set(plant.endpoints) <= set(endpoints.ENDPOINTS)
