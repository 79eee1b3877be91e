"""capture() on a real database: statements, catalog, plans, safety."""

from __future__ import annotations

import psycopg
import pytest

from advisor.capture import capture
from advisor.errors import AdvisorError
from advisor.fingerprint import fingerprint
from advisor.model import Snapshot
from advisor.recommend.timing import window_hours

BY_AUTHOR = fingerprint("SELECT * FROM books WHERE author_id = $1")
BY_GENRE = fingerprint("SELECT title FROM books WHERE genre = $1 ORDER BY price LIMIT $2")
UPDATE = fingerprint("UPDATE books SET price = price WHERE id = $1")


def test_statements_from_pg_stat_statements(library_db):
    snap = capture(library_db)
    ids = {s.fingerprint: s for s in snap.statements}
    assert ids[BY_AUTHOR].calls == 8 and ids[BY_GENRE].calls == 2 and ids[UPDATE].calls == 1
    assert ids[BY_AUTHOR].rows == 8 * 40 and ids[BY_AUTHOR].total_time_ms > 0
    assert ids[BY_AUTHOR].queryid and ids[BY_AUTHOR].source == "pg_stat_statements"
    assert ids[BY_AUTHOR].shared_blks_hit + ids[BY_AUTHOR].shared_blks_read > 0
    assert not any("pg_class" in s.query or "pg_stat_statements" in s.query for s in snap.statements)
    assert snap.server_version_num >= 130000 and snap.database
    assert snap.settings["shared_preload_libraries"] == "pg_stat_statements"
    assert snap.settings["random_page_cost"]
    totals = [s.total_time_ms for s in snap.statements]
    assert totals == sorted(totals, reverse=True)


def test_every_statement_planned(library_db):
    snap = capture(library_db)
    assert all(s.plan is not None and s.plan_error is None for s in snap.statements)
    by_author = snap.statement(BY_AUTHOR).plan
    assert by_author["Node Type"] in ("Seq Scan", "Gather") and by_author["Total Cost"] > 0
    assert snap.statement(UPDATE).plan["Node Type"] == "ModifyTable"


def test_catalog(library_db):
    cat = capture(library_db).catalog
    books = cat.table("public.books")
    assert [c.name for c in books.columns] == ["id", "author_id", "title", "genre", "price"]
    assert books.column("price").type == "numeric(8,2)" and books.column("title").not_null
    assert books.reltuples == 2000 and books.size_bytes > 0 and books.n_tup_ins == 2000
    genre = books.column("genre").stats
    assert sorted(genre.most_common_vals) == ["crime", "poetry", "sf"] and genre.n_distinct == 3
    assert len(genre.most_common_freqs) == 3
    indexes = {i.name: i for i in cat.indexes}
    partial = indexes["ix_books_genre"]
    assert partial.columns == ["genre"] and partial.include == ["price"]
    assert partial.predicate == "price IS NOT NULL" and partial.table == "public.books"
    assert indexes["ix_authors_lower_email"].columns == ["lower(email)"]
    assert indexes["books_pkey"].is_primary and indexes["books_pkey"].constraint == "books_pkey"
    assert indexes["uq_books_title"].is_unique and indexes["uq_books_title"].constraint == "uq_books_title"
    assert indexes["books_pkey"].idx_scan >= 1
    (fk,) = cat.foreign_keys
    assert (fk.table, fk.columns, fk.ref_table, fk.ref_columns) == (
        "public.books", ["author_id"], "public.authors", ["id"])
    assert "pg_stat_statements" in cat.extensions and "pg_trgm" in cat.available_extensions
    assert cat.pgss_stats_reset is not None
    assert {t.qualname for t in cat.tables} == {"public.authors", "public.books"}


def test_round_trip(library_db):
    snap = capture(library_db, analyze_plans=True)
    assert Snapshot.from_json(snap.to_json()) == snap


def test_top_and_min_calls(library_db):
    assert len(capture(library_db, top=2).statements) == 2
    many = capture(library_db, min_calls=2).statements
    assert {s.fingerprint for s in many} == {BY_AUTHOR, BY_GENRE}


def test_analyze_plans_uses_most_common_values(library_db):
    snap = capture(library_db, analyze_plans=True)
    genre = snap.statement(BY_GENRE).analyze_plan
    assert genre is not None and genre["Actual Rows"] == 10 and "Shared Hit Blocks" in genre
    assert snap.statement(UPDATE).analyze_plan is None  # SELECTs only


def _counters(dsn):
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
                            "WHERE datname = current_database()").fetchone()


def test_capture_leaves_the_database_unchanged(library_db):
    with psycopg.connect(library_db) as conn:
        before = conn.execute("SELECT sum(price), count(*) FROM books").fetchone()
        pgss_before = conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone()
    counters = _counters(library_db)
    capture(library_db, analyze_plans=True)
    assert _counters(library_db) == counters
    with psycopg.connect(library_db) as conn:
        assert conn.execute("SELECT sum(price), count(*) FROM books").fetchone() == before
        assert conn.execute("SELECT count(*) FROM pg_stat_statements").fetchone() >= pgss_before
        assert conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone() == (0,)


def test_reset_is_the_one_write(library_db):
    snap = capture(library_db, reset=True)
    assert snap.statement(BY_AUTHOR) is not None
    after = capture(library_db)
    assert after.statement(BY_AUTHOR) is None
    hours = window_hours(after)  # milliseconds after the reset: known, by the server's clock
    assert hours is not None and 0 < hours < 0.01


def test_locked_table_does_not_hang_capture(library_db):
    holder = psycopg.connect(library_db)
    try:
        holder.execute("LOCK TABLE books IN ACCESS EXCLUSIVE MODE")
        snap = capture(library_db)
    finally:
        holder.rollback()
        holder.close()
    stmt = snap.statement(BY_AUTHOR)
    assert stmt.plan is None and stmt.plan_error.startswith("lock timeout")
    assert any("is locked ACCESS EXCLUSIVE" in n for n in snap.notes)
    assert snap.catalog.table("public.books") is not None


def test_reader_role_with_pg_read_all_stats(library_db, pg):
    role = "capture_reader"
    with psycopg.connect(library_db, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        conn.execute(f"GRANT pg_read_all_stats TO {role}")
    dsn = library_db.replace("postgres@", f"{role}@")
    try:
        snap = capture(dsn)
        assert snap.statement(BY_AUTHOR).plan is not None
        with psycopg.connect(library_db, autocommit=True) as conn:
            conn.execute(f"REVOKE pg_read_all_stats FROM {role}")
        with pytest.raises(AdvisorError, match="pg_read_all_stats"):
            capture(dsn)
    finally:
        with psycopg.connect(library_db, autocommit=True) as conn:
            conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
            conn.execute(f"DROP ROLE {role}")


def test_missing_extension_says_how_to_enable(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("DROP EXTENSION pg_stat_statements")
    with pytest.raises(AdvisorError, match="CREATE EXTENSION pg_stat_statements"):
        capture(fresh_db)


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(AdvisorError, match="cannot connect"):
        capture("postgresql://nobody:secret@127.0.0.1:1/none")


def test_a_statement_that_fails_to_plan_costs_its_batch_nothing_and_warns_nobody(library_db, caplog):
    from advisor.capture.plans import plan_statements
    from advisor.db import session
    from advisor.model import Statement

    good = Statement("SELECT * FROM books WHERE author_id = $1")
    bad = Statement("SELECT $1 || g FROM generate_series($2, $3) g")  # normalised literals: ambiguous
    with caplog.at_level("WARNING"), session(library_db) as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0])
        planned = plan_statements(conn, [bad, good], version)
    assert planned == 1 and good.plan is not None and "generate_series" in bad.plan_error
    assert "error ignored" not in caplog.text  # psycopg's note on the pipeline the advisor handled
