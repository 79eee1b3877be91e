"""Hostile input: awkward identifiers, HTML in query text, huge and deeply nested statements,
and a DSN password that must never reach any output."""

from __future__ import annotations

import html.parser
import json
import re
import subprocess
import sys
import time

import psycopg
import pytest
from markdown_it import MarkdownIt
from psycopg import sql

from advisor.analyze import analyze
from advisor.emit.migrations import write_migrations
from advisor.model import IndexSpec, Plan, Recommendation, Snapshot, Statement

from .conftest import SECRET, clean_failure, run_cli

LONG_COLUMN = "a_column_name_exactly_sixty_three_bytes_long_" + "x" * 18
assert len(LONG_COLUMN.encode()) == 63
# table -> the column the workload filters on (no index serves it)
TABLES = {
    "order": "select",
    'Weird "Name"': 'Col "Q"',
    "ünïcødé tæble": "çølümn",
    "long_names": LONG_COLUMN,
}
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
BREAKOUT = "--></text></svg>" + SCRIPT


def _make_hostile_tables(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, column in TABLES.items():
            t, c = sql.Identifier(table), sql.Identifier(column)
            conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, {} int, note text)").format(t, c))
            conn.execute(sql.SQL("INSERT INTO {} SELECT g, g % 997, 'n' || g "
                                 "FROM generate_series(1, 20000) g").format(t))
            conn.execute(sql.SQL("ANALYZE {}").format(t))
        conn.execute("SELECT pg_stat_statements_reset()")
        for table, column in TABLES.items():
            query = sql.SQL("SELECT /* {} */ id, note FROM {} WHERE {} = %s").format(
                sql.SQL(BREAKOUT), sql.Identifier(table), sql.Identifier(column))
            for value in range(25):
                conn.execute(query, (value,))


class _Tags(html.parser.HTMLParser):
    """Every element, and the text of every <script>, of an HTML document."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def injected(document: str) -> list[str]:
    """What in ``document`` is live HTML from the query text: event handlers, alert scripts."""
    parser = _Tags()
    parser.feed(document)
    found = [f"<{tag} {name}=...>" for tag, attrs in parser.tags for name in attrs
             if name.startswith("on")]
    found += [f"<script>{text[:40]}" for text in parser.scripts if "alert(" in text]
    return found + [f"<{tag} src={attrs['src']}>" for tag, attrs in parser.tags
                    if tag == "img" and attrs.get("src") == "x"]


def test_hostile_identifiers_and_html_end_to_end(fresh_db, tmp_path, tally):
    """Capture, analyze with recommend, write migrations and `alembic upgrade head` them, on
    tables named like reserved words, with quotes, unicode and 63-byte names; query text with
    HTML in comments and literals stays text in the report and the markdown."""
    _make_hostile_tables(fresh_db)
    queries = tmp_path / "literals.sql"
    queries.write_text(f"SELECT id FROM \"order\" WHERE note = '{IMG}' AND \"select\" > 3;\n"
                       f"SELECT id FROM long_names WHERE note = '{SCRIPT}';\n")
    migrations, report = tmp_path / "migrations", tmp_path / "report.html"
    done = run_cli("analyze", "--dsn", fresh_db, "--queries", str(queries), "--format", "markdown",
                   "--migrations", str(migrations), "--report", str(report))
    assert done.returncode == 0, done.stderr
    revisions = sorted((migrations / "versions").glob("*.py"))
    upgraded = subprocess.run([sys.executable, "-m", "alembic", "-c", str(migrations / "alembic.ini"),
                               "-x", f"dsn={fresh_db}", "upgrade", "head"],
                              capture_output=True, text=True, timeout=120)
    with psycopg.connect(fresh_db) as conn:
        indexed = {(r[0], r[1]) for r in conn.execute(
            "SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE NOT i.indisprimary AND i.indisvalid")}
    for table, column in TABLES.items():
        ok = upgraded.returncode == 0 and (table, column) in indexed
        tally("hostile", f"identifier {table!r}.{column[:20]!r}: migration applied", ok)
    assert revisions, done.stderr
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    assert {(t, c) for t, c in TABLES.items()} <= indexed, indexed

    page = report.read_text()
    markdown_html = MarkdownIt("commonmark").enable("table").render(done.stdout)
    for where, document in (("HTML report", page), ("markdown", markdown_html)):
        live = injected(document)
        tally("hostile", f"HTML/script in query text escaped in the {where}", not live)
        assert not live, (where, live)
    assert "alert(1)" in page, "the query text (with its comment) should be shown, as text"


def test_the_ddl_a_finding_suggests_runs_on_hostile_identifiers(fresh_db, tmp_path, tally):
    """A finding's help names the index to create: on tables and columns that need quoting,
    copied as is it must run (here in a transaction rolled back, without CONCURRENTLY)."""
    _make_hostile_tables(fresh_db)
    queries = tmp_path / "lookups.sql"
    queries.write_text("".join(f"SELECT id FROM {sql_ident(t)} WHERE {sql_ident(c)} = 3;\n"
                               for t, c in TABLES.items()))
    done = run_cli("analyze", "--dsn", fresh_db, "--queries", str(queries), "--format", "json",
                   "--no-recommend")
    assert done.returncode == 0, done.stderr
    suggested = [m.group(1) for f in json.loads(done.stdout)["findings"]
                 for m in re.finditer(r"(CREATE INDEX CONCURRENTLY ON .*?\));", f["help"])]
    assert len(suggested) >= len(TABLES), suggested
    for ddl in suggested:
        with psycopg.connect(fresh_db) as conn:
            try:
                conn.execute(ddl.replace(" CONCURRENTLY", ""))
                ok = True
            except psycopg.Error as exc:
                ok = False
                print(ddl, exc)
            conn.rollback()
        tally("hostile", f"suggested DDL runs: {ddl[:60]!r}", ok)
        assert ok, ddl


def sql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


NESTED_PARENS = "SELECT " + "(" * 500 + "1" + ")" * 500
NESTED_SUBQUERIES = "SELECT * FROM " + "(SELECT * FROM " * 300 + "t" + ") s" * 300
NESTED_EXPRESSIONS = "SELECT * FROM t WHERE " + " AND ".join(f"(a = {i} OR b = {i})" for i in range(2000))
HUGE = "SELECT * FROM t WHERE a IN (" + ", ".join(str(i) for i in range(150_000)) + ")"
LONG_LITERAL = "SELECT * FROM t WHERE note = '" + "x" * 1_000_000 + "'"
MONSTERS = {
    "500 nested parentheses": NESTED_PARENS,
    "300 nested subqueries": NESTED_SUBQUERIES,
    "2000 AND-ed ORs": NESTED_EXPRESSIONS,
    "1 MB IN list": HUGE,
    "1 MB literal": LONG_LITERAL,
    "deep plan": "SELECT * FROM t WHERE a = $1",
}


def _deep_plan(depth: int) -> dict:
    node = {"Node Type": "Seq Scan", "Relation Name": "t", "Schema": "public", "Total Cost": 1.0}
    for _ in range(depth):
        node = {"Node Type": "Nested Loop", "Total Cost": 2.0, "Plans": [node]}
    return node


@pytest.mark.parametrize("what", list(MONSTERS))
def test_monster_statements_are_bounded(what, tally):
    query = MONSTERS[what]
    started = time.monotonic()  # fingerprinting (in Statement) counts too
    statement = Statement(query, calls=10, total_time_ms=100.0, mean_time_ms=10.0)
    if what == "deep plan":
        statement.plan = _deep_plan(2000)
    snapshot = Snapshot(database="shop", statements=[statement, Statement("SELECT b FROM u", calls=1)])
    result = analyze(snapshot)
    took = time.monotonic() - started
    unparsed = {u["statement"] for u in result.unparsed}
    recorded = statement.fingerprint in unparsed or any(s.fingerprint == statement.fingerprint
                                                       for s in result.shapes)
    ok = took < 20 and recorded and len(result.shapes) == 2 and "rule_errors" not in result.snapshot_summary
    tally("hostile", f"{what} ({len(query) // 1000} kB): analysed in {took:.1f} s", ok)
    assert took < 20, took
    assert recorded and len(result.shapes) == 2
    assert "rule_errors" not in result.snapshot_summary, result.snapshot_summary["rule_errors"]


PASSWORD_DSNS = {
    "URL": "postgresql://app:{secret}@127.0.0.1:{port}/test",
    "key=value": "host=127.0.0.1 port={port} user=app password={secret} dbname=test",
}


@pytest.mark.parametrize("form", sorted(PASSWORD_DSNS))
def test_password_never_reaches_output(form, password_server, tmp_path, tally):
    dsn = PASSWORD_DSNS[form].format(secret=SECRET, port=password_server.port)
    with psycopg.connect(password_server.dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS pw_items (id int PRIMARY KEY, kind int)")
        conn.execute("INSERT INTO pw_items SELECT g, g % 100 FROM generate_series(1, 5000) g "
                     "ON CONFLICT DO NOTHING")
        conn.execute("ANALYZE pw_items")
        for kind in range(20):
            conn.execute("SELECT id FROM pw_items WHERE kind = %s", (kind,))
    spec = IndexSpec("public.pw_items", ["kind"])
    write_migrations(Plan(recommendations=[Recommendation(
        action="create", table="public.pw_items", name="ix_pw_items_kind",
        ddl="CREATE INDEX CONCURRENTLY ix_pw_items_kind ON public.pw_items (kind)", index=spec)]),
        tmp_path / "given")
    runs = [
        run_cli("capture", "--dsn", dsn, "--out", str(tmp_path / "snap.json")),
        run_cli("analyze", "--dsn", dsn, "--format", "json", "--migrations", str(tmp_path / "mig"),
                "--report", str(tmp_path / "report.html")),
        run_cli("analyze", "--dsn", dsn, "--format", "sarif"),
        run_cli("check", "--dsn", dsn, "--write-baseline", str(tmp_path / "base.json")),
        run_cli("analyze", "--dsn", dsn.replace("test", "nosuchdb")),
        run_cli("validate", "--dsn", dsn, "--migrations", str(tmp_path / "given"), "--workload",
                "true", "--repetitions", "1"),
    ]
    tally("bad input", "validate as a role that may not reset statistics",
          clean_failure(runs[-1]) and "superuser" in runs[-1].stderr)
    texts = [r.stdout + r.stderr for r in runs] + [
        p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    leaked = [t[:80] for t in texts if SECRET in t]
    ok = not leaked and runs[0].returncode == 0 and runs[1].returncode == 0
    tally("hostile", f"password in a {form} DSN: in no output, file or message", ok)
    assert runs[0].returncode == 0 and runs[1].returncode == 0, runs[1].stderr
    assert not leaked, leaked
    assert clean_failure(runs[-1]) and "superuser" in runs[-1].stderr, runs[-1].stderr
