"""The pytest plugin, run by pytest's own ``pytester`` on test files of a small app of our own:
``--advisor-nplusone`` fails the test with a lazy-loading loop and passes its eager variant, on
a sync engine and on an asyncio one (psycopg 3's async driver); the query-count fixtures count
a block's statements, leaving SAVEPOINT/RELEASE out."""

from __future__ import annotations

import pytest
import sqlalchemy.ext.asyncio  # noqa: F401 - loaded once: pytester's in-process runs restore
import sqlalchemy.orm  # noqa: F401 - sys.modules after each run, and compiled modules cannot reload

pytest_plugins = ["pytester"]

MODELS = '''
import os

import pytest
from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, selectinload

DSN = os.environ["ADVISOR_PLUGIN_DSN"].replace("postgresql://", "postgresql+psycopg://")


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    title: Mapped[str]
    author: Mapped[Author] = relationship(back_populates="books")
'''

SYNC = MODELS + '''

@pytest.fixture(scope="module")
def engine():
    engine = create_engine(DSN)
    yield engine
    engine.dispose()


def titles(session, eager):
    stmt = select(Author).order_by(Author.id)
    if eager:
        stmt = stmt.options(selectinload(Author.books))
    return {a.name: [b.title for b in a.books] for a in session.scalars(stmt)}


def test_lazy(engine):
    with Session(engine) as session:
        assert len(titles(session, eager=False)) == 8


def test_eager(engine):
    with Session(engine) as session:
        assert len(titles(session, eager=True)) == 8


@pytest.mark.advisor_allow_nplusone
def test_lazy_allowed(engine):
    with Session(engine) as session:
        titles(session, eager=False)


def test_lazy_in_two_requests(engine):
    for _ in range(2):
        with Session(engine) as session, session.begin():
            titles(session, eager=False)
'''

ASYNC = MODELS + '''
import asyncio

from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, create_async_engine

ASYNC_DSN = DSN.replace("+psycopg://", "+psycopg_async://")


class Shelf(AsyncAttrs, Base):
    __tablename__ = "shelves"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    items: Mapped[list["ShelfItem"]] = relationship()


class ShelfItem(Base):
    __tablename__ = "shelf_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    shelf_id: Mapped[int] = mapped_column(ForeignKey("shelves.id"))


async def shelves(eager):
    engine = create_async_engine(ASYNC_DSN)
    try:
        async with AsyncSession(engine) as session:
            stmt = select(Shelf).order_by(Shelf.id)
            if eager:
                stmt = stmt.options(selectinload(Shelf.items))
            found = {}
            for shelf in (await session.scalars(stmt)).all():
                found[shelf.name] = len(await shelf.awaitable_attrs.items)
            return found
    finally:
        await engine.dispose()


def test_async_lazy():
    assert len(asyncio.run(shelves(eager=False))) == 6


def test_async_eager():
    assert len(asyncio.run(shelves(eager=True))) == 6
'''

COUNTS = MODELS + '''

@pytest.fixture(scope="module")
def engine():
    engine = create_engine(DSN)
    yield engine
    engine.dispose()


def test_exact(engine, advisor_assert_num_queries):
    with Session(engine) as session:
        with advisor_assert_num_queries(2) as counted:
            authors = session.scalars(select(Author).options(selectinload(Author.books))).all()
            with session.begin_nested():  # SAVEPOINT ... RELEASE: not counted
                session.get(Author, authors[0].id)  # in the identity map: no query
    assert counted.count == 2 and "FROM authors" in counted.queries[0]


def test_too_many(engine, advisor_assert_num_queries):
    with Session(engine) as session, advisor_assert_num_queries(1):
        [len(a.books) for a in session.scalars(select(Author)).all()]


def test_at_most(engine, advisor_assert_max_num_queries):
    with Session(engine) as session, advisor_assert_max_num_queries(3):
        session.scalars(select(Author).options(selectinload(Author.books))).all()
'''

SCHEMA = """
CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL);
INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, 8) g;
INSERT INTO books SELECT g, 1 + g % 8, 'book ' || g FROM generate_series(1, 40) g;
CREATE TABLE shelves (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE shelf_items (id int PRIMARY KEY, shelf_id int NOT NULL REFERENCES shelves (id));
INSERT INTO shelves SELECT g, 'shelf ' || g FROM generate_series(1, 6) g;
INSERT INTO shelf_items SELECT g, 1 + g % 6 FROM generate_series(1, 30) g;
"""


@pytest.fixture
def app_db(fresh_db, monkeypatch):
    import psycopg

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    monkeypatch.setenv("ADVISOR_PLUGIN_DSN", fresh_db)
    return fresh_db


def _failure(out: str, test: str) -> str:
    failures = out[out.index("= FAILURES ="):]
    start = failures.index(f"_ {test} _")
    end = failures.find("\n_", start + len(test) + 4)
    return failures[start:end if end > 0 else None]


def test_an_n_plus_one_fails_the_test_and_eager_loading_passes(pytester, app_db):
    pytester.makepyfile(test_books=SYNC, test_shelves=ASYNC)
    result = pytester.runpytest("--advisor-nplusone", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=3)
    out = result.stdout.str()
    lazy = _failure(out, "test_lazy")
    assert "N+1 in test_lazy: `Author.books` lazy-loads books by author_id 8 times per request" in lazy
    assert ".options(selectinload(Author.books))" in lazy
    assert "at test_books.py:40 in <dictcomp>, once per row of authors from test_books.py:40 in titles" in lazy
    assert "1 N+1 loop in this test" in _failure(out, "test_lazy_in_two_requests")  # two transactions, one loop
    shelves = _failure(out, "test_async_lazy")  # the asyncio engine, psycopg's async driver
    assert "N+1 in test_async_lazy: `Shelf.items` lazy-loads shelf_items by shelf_id 6 times" in shelves
    assert ".options(selectinload(Shelf.items))" in shelves
    assert "test_shelves.py:" in shelves and "in shelves" in shelves  # the coroutine awaiting the greenlet
    assert "test_eager" not in out and "test_async_eager" not in out and "test_lazy_allowed" not in out


def test_without_the_option_only_the_fixtures_count(pytester, app_db):
    pytester.makepyfile(test_books=SYNC, test_counts=COUNTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)  # the lazy tests pass: nothing is checked
    too_many = _failure(result.stdout.str(), "test_too_many")
    assert "expected 1 queries, 9 were run:" in too_many
    assert "1. SELECT authors.id, authors.name" in too_many and "9. SELECT books.id" in too_many
