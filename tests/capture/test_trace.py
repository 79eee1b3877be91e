"""The SQLAlchemy hook: statements per request, per thread, with the app's call site."""

from __future__ import annotations

import json
import threading

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
