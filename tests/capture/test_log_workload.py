"""The server log as workload (as Dexter reads it): the statements pg_stat_statements lacks, with
the log's calls and durations, rated over the log's span; another database's left out."""

from __future__ import annotations

import psycopg

from advisor.model import Snapshot, Statement
from advisor.pipeline import Pipeline
from advisor.recommend.timing import Clock, window_hours

# an hour of slow-query log (log_min_duration_statement), prefix '%m [%p] %q%u@%d ' (or '%m [%p] ')
LOG = """\
2026-11-30 10:00:00.000 UTC [101] {who}LOG:  duration: 900.000 ms  statement: SELECT * FROM books WHERE title = 'book 7'
2026-11-30 10:20:00.000 UTC [102] {who}LOG:  duration: 800.000 ms  statement: SELECT * FROM books WHERE title = 'book 9'
2026-11-30 10:25:00.000 UTC [109] {other}LOG:  duration: 800.000 ms  statement: SELECT * FROM books WHERE genre = 'x' AND id > 5
2026-11-30 10:30:00.000 UTC [103] {who}LOG:  duration: 50.000 ms  statement: SELECT * FROM books WHERE author_id = 3
2026-11-30 10:40:00.000 UTC [104] {who}LOG:  duration: 700.000 ms  statement: SELECT * FROM invoices WHERE total > 10
2026-11-30 11:00:00.000 UTC [105] {who}LOG:  duration: 600.000 ms  execute <unnamed>: SELECT * FROM books WHERE price > $1 ORDER BY price DESC LIMIT 3
2026-11-30 11:00:00.000 UTC [105] {who}DETAIL:  parameters: $1 = '39'
"""


def _log(tmp_path, dsn: str, named: bool = True):
    path = tmp_path / "postgresql.log"
    db = dsn.rsplit("/", 1)[-1]
    path.write_text(LOG.format(who=f"app@{db} " if named else "", other="app@elsewhere " if named else ""))
    return path


def test_the_log_adds_what_pg_stat_statements_lacks(library_db, tmp_path):
    pipeline = Pipeline.from_options(dsn=library_db, logs=[_log(tmp_path, library_db)])
    snapshot = pipeline.snapshot
    logged = [s for s in snapshot.statements if s.source == "log"]
    by_title = next(s for s in logged if "title" in s.query)
    assert by_title.calls == 2 and by_title.total_time_ms == 1700.0 and by_title.plan is not None
    assert any("price >" in s.query for s in logged)
    assert not any("author_id" in s.query for s in logged)  # pg_stat_statements has it already
    assert not any("genre" in s.query and "id >" in s.query for s in logged)  # another database's line
    assert not any("invoices" in s.query for s in snapshot.statements)  # a relation not here
    assert any("1 statement(s) from the server log left out" in n for n in snapshot.notes)
    assert snapshot.log_window and window_hours(snapshot) != 1.0  # pg_stat_statements' window rules
    clock = Clock.of(snapshot)  # the log's times are rated over its hour, on that window's scale
    assert abs(clock.per_hour(clock.times[by_title.fingerprint]) - 1.7) < 1e-6


def test_a_log_that_does_not_name_databases_adds_nothing_to_pg_stat_statements(library_db, tmp_path):
    log = _log(tmp_path, library_db, named=False)
    assert "@" not in log.read_text()
    snapshot = Pipeline.from_options(dsn=library_db, logs=[log]).snapshot
    assert not [s for s in snapshot.statements if s.source == "log"]  # tenants often share a schema
    assert any("does not name databases" in n for n in snapshot.notes)


def test_without_pg_stat_statements_the_log_is_the_workload(fresh_db, tmp_path):
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE payments (id int PRIMARY KEY, account int NOT NULL, amount int);"
                     "INSERT INTO payments SELECT g, g % 20000, g % 97 FROM generate_series(1, 200000) g;"
                     "ANALYZE payments; DROP EXTENSION pg_stat_statements")
    log = tmp_path / "slow.log"
    log.write_text("".join(
        f"2026-11-30 {10 + n // 6}:{n % 6}0:00.000 UTC [{200 + n}] LOG:  duration: 400.000 ms  "
        f"statement: SELECT * FROM payments WHERE account = {n}\n" for n in range(7)))
    pipeline = Pipeline.from_options(dsn=fresh_db, logs=[log])
    assert window_hours(pipeline.snapshot) == 1.0  # the log's span: 10:00 to 11:00
    assert pipeline.snapshot.statements[0].calls == 7
    (created,) = [r for r in pipeline.analyze().plan.recommendations if r.action == "create"]
    assert created.index.columns == ["account"]
    assert 2.7 < created.evidence["time_saved_s_per_hour"] <= 2.8  # of the 2.8 s an hour measured
    assert "of measured statement time per hour" in created.reason


def test_a_snapshot_without_log_window_keeps_its_capture_window():
    snapshot = Snapshot(created_at="2026-11-30T12:00:00+00:00",
                        statements=[Statement("SELECT 1", total_time_ms=5.0)])
    snapshot.catalog.pgss_stats_reset = "2026-11-30T10:00:00+00:00"
    assert snapshot.timed_window() == ("2026-11-30T10:00:00+00:00", "2026-11-30T12:00:00+00:00")
    snapshot.log_window = ["2026-11-30T11:00:00+00:00", "2026-11-30T11:30:00+00:00"]
    assert window_hours(snapshot) == 2.0  # pg_stat_statements still times a statement
