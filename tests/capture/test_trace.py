"""The SQLAlchemy hook: statements per request, per thread, with the app's call site."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from advisor.errors import AdvisorError
from advisor.fingerprint import fingerprint
from advisor.trace import Tracer, dollar_params, load


def _engine(dsn):
    return create_engine(dsn.replace("postgresql://", "postgresql+psycopg://"))


def _n_plus_one(conn, n):
    ids = [r[0] for r in conn.execute(text("SELECT id FROM books ORDER BY id LIMIT :n"), {"n": n})]
    for book_id in ids:
        conn.execute(text("SELECT name FROM authors a JOIN books b ON b.author_id = a.id "
                          "WHERE b.id = :id"), {"id": book_id})


def test_requests_per_thread_with_call_sites(library_db, tmp_path):
    path = tmp_path / "traces.jsonl"
    tracer = Tracer(path)
    engine = _engine(library_db)
    tracer.instrument(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # outside any request: not recorded

    def worker(n):
        with engine.connect() as conn, tracer.request(f"list-{n}"):
            _n_plus_one(conn, n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (3, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(line)["events"] for line in lines)
    traces = {t.label: t for t in load([path])}
    assert set(traces) == {"list-3", "list-5"}
    five = traces["list-5"]
    assert five.source == "app" and len(five.events) == 6
    repeated = five.events[1:]
    assert {e.fingerprint for e in repeated} == {fingerprint(
        "SELECT name FROM authors a JOIN books b ON b.author_id = a.id WHERE b.id = $1")}
    assert repeated[0].query.endswith("WHERE b.id = $1") and repeated[0].params == ["1"]
    assert all(e.call_site.startswith("tests/capture/test_trace.py:") or
               "test_trace.py:" in e.call_site for e in five.events)
    assert all(e.call_site.endswith("in _n_plus_one") for e in five.events)
    offsets = [e.offset_ms for e in five.events]
    assert offsets == sorted(offsets) and all(e.duration_ms > 0 for e in five.events)


def test_driver_hook_names(tmp_path):
    tracer = Tracer(tmp_path / "t.jsonl")
    tracer.before_request("home")
    tracer.after_request("home")
    (trace,) = load([tmp_path / "t.jsonl"])
    assert trace.label == "home" and trace.events == []


def test_dollar_params():
    assert dollar_params("SELECT %s, %s, '%%'", ("a", None)) == ("SELECT $1, $2, '%'", ["a", None])
    assert dollar_params("SELECT 1", {}) == ("SELECT 1", None)


def test_load_errors(tmp_path):
    with pytest.raises(AdvisorError, match="cannot read trace file"):
        load([tmp_path / "missing.jsonl"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "events": []}\n{"label": "x"}\n')
    with pytest.raises(AdvisorError, match="line 2"):
        load([bad])


# -- what the ORM loaded, call sites of installed apps, asyncio ----------------------------------

APP = '''
from sqlalchemy import ForeignKey, select
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(AsyncAttrs, DeclarativeBase):
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


def shelf(session):
    authors = session.scalars(select(Author).order_by(Author.id).limit(3)).all()
    return {a.name: [(b.title, b.author.name) for b in a.books] for a in authors}


async def shelf_async(session):
    authors = (await session.scalars(select(Author).order_by(Author.id).limit(3))).all()
    return {a.name: len(await a.awaitable_attrs.books) for a in authors}
'''


@pytest.fixture
def installed_app(tmp_path, monkeypatch):
    """A package installed the way a wheel installs it: under a site-packages folder."""
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "bookshop").mkdir(parents=True)
    (site / "bookshop" / "__init__.py").write_text("")
    (site / "bookshop" / "views.py").write_text(APP)
    monkeypatch.syspath_prepend(str(site))
    import importlib

    yield importlib.import_module("bookshop.views")
    for name in ("bookshop.views", "bookshop"):
        sys.modules.pop(name, None)


def test_orm_loads_and_installed_call_sites(library_db, installed_app, tmp_path):
    from sqlalchemy.orm import Session

    tracer = Tracer(tmp_path / "t.jsonl", root=tmp_path / "elsewhere")
    engine = _engine(library_db)
    tracer.instrument(engine)
    with tracer.request("GET /shelf"), Session(engine) as session:
        installed_app.shelf(session)
    tracer.close()
    engine.dispose()
    (trace,) = load([tmp_path / "t.jsonl"])
    assert trace.orm_hooked
    first, *lazy = trace.events
    assert first.orm.entities == ["Author"] and first.orm.relationship is None and not first.orm.lazy
    assert first.call_site.startswith("bookshop/views.py:") and first.call_site.endswith(" in shelf")
    books = [e for e in lazy if e.orm.relationship == "Author.books"]
    assert len(books) == 3 and all(e.orm.lazy and e.orm.collections == [True] for e in books)
    # Book.author is in the identity map already: SQLAlchemy loads it without a statement
    assert not [e for e in lazy if e.orm.relationship == "Book.author"]
    assert all(e.call_site.startswith("bookshop/views.py:") for e in trace.events)


def test_call_sites_relative_to_the_root(library_db, tmp_path):
    tracer = Tracer(tmp_path / "t.jsonl", root=Path(__file__).resolve().parents[1])
    engine = _engine(library_db)
    tracer.instrument(engine)
    with engine.connect() as conn, tracer.request("list"):
        _n_plus_one(conn, 2)
    tracer.close()
    (trace,) = load([tmp_path / "t.jsonl"])
    assert {e.call_site.rsplit(":", 1)[0] for e in trace.events} == {"capture/test_trace.py"}
    assert all(e.orm is None for e in trace.events)  # text() statements: no ORM load


def test_asyncio_requests_apart(library_db, installed_app, tmp_path):
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    tracer = Tracer(tmp_path / "t.jsonl")

    async def request(engine, label: str) -> None:
        with tracer.request(label):
            async with AsyncSession(engine) as session:
                await installed_app.shelf_async(session)

    async def main() -> None:
        engine = create_async_engine(library_db.replace("postgresql://", "postgresql+psycopg_async://"))
        tracer.instrument(engine)
        await asyncio.gather(request(engine, "one"), request(engine, "two"))
        await engine.dispose()

    asyncio.run(main())
    tracer.close()
    traces = {t.label: t for t in load([tmp_path / "t.jsonl"])}
    assert set(traces) == {"one", "two"}
    for trace in traces.values():  # each task's statements in its own request
        assert len(trace.events) == 4 and [e.orm.relationship for e in trace.events[1:]] == ["Author.books"] * 3
        sites = [e.call_site for e in trace.events]  # the coroutines awaiting SQLAlchemy's greenlet
        assert sites[0] == "bookshop/views.py:32 in shelf_async"
        assert sites[1:] == ["bookshop/views.py:33 in <dictcomp>"] * 3


def test_doctests():
    import doctest

    import advisor.call_sites
    import advisor.statement_hook

    for module in (advisor.call_sites, advisor.statement_hook):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
