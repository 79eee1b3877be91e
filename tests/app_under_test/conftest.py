"""ShopEase test helpers: a shared read-only copy, engines that count their queries."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from app_under_test.db import make_engine


@pytest.fixture(scope="module")
def shop_readonly(pg, shopease_template):
    """One ShopEase copy for a whole module of tests that only read."""
    name = f"shopro_{uuid.uuid4().hex[:10]}"
    dsn = pg.create_database(name, template=shopease_template)
    yield dsn
    pg.drop_database(name)


class CountingSession:
    """Sessions on ``dsn`` whose engine counts the statements it sends."""

    def __init__(self, dsn: str):
        self.engine = make_engine(dsn)
        self.queries: list[str] = []
        event.listen(self.engine, "before_cursor_execute",
                     lambda conn, cursor, statement, *rest: self.queries.append(statement))

    def session(self) -> Session:
        self.queries.clear()
        return Session(self.engine)

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="module")
def counting(shop_readonly):
    counter = CountingSession(shop_readonly)
    yield counter
    counter.close()
