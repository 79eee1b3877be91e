"""A small library schema and workload of our own, on a fresh database."""

from __future__ import annotations

import psycopg
import pytest

SCHEMA = """
CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL, email text);
CREATE TABLE books (
    id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL,
    genre text NOT NULL, price numeric(8, 2), CONSTRAINT uq_books_title UNIQUE (title));
CREATE INDEX ix_books_genre ON books (genre) INCLUDE (price) WHERE price IS NOT NULL;
CREATE INDEX ix_authors_lower_email ON authors (lower(email));
INSERT INTO authors SELECT g, 'author ' || g, 'a' || g || '@x.org' FROM generate_series(1, 50) g;
INSERT INTO books SELECT g, 1 + g % 50, 'book ' || g, (ARRAY['sf', 'crime', 'poetry'])[1 + g % 3],
       g % 40 FROM generate_series(1, 2000) g;
ANALYZE authors; ANALYZE books;
"""
WORKLOAD = [
    ("SELECT * FROM books WHERE author_id = %s", [(i,) for i in range(1, 9)]),
    ("SELECT title FROM books WHERE genre = %s ORDER BY price LIMIT %s", [("sf", 5), ("crime", 5)]),
    ("SELECT a.name, count(*) FROM authors a JOIN books b ON b.author_id = a.id "
     "WHERE lower(a.email) = %s GROUP BY a.name", [("a3@x.org",)]),
    ("UPDATE books SET price = price WHERE id = %s", [(1,)]),
]


def run_workload(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True, application_name="library") as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
        for sql, rows in WORKLOAD:
            for params in rows:
                conn.execute(sql, params)
        conn.execute("SELECT relname FROM pg_class LIMIT 1")  # a catalog query: left out


@pytest.fixture
def library_db(fresh_db):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(SCHEMA)
    run_workload(fresh_db)
    return fresh_db
