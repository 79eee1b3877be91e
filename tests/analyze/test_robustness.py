"""analyze() on odd snapshots (from other servers, old files, fuzzing): findings or nothing, never a crash."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from advisor.analyze import analyze
from advisor.model import (
    Catalog,
    Column,
    ColumnStats,
    ForeignKey,
    Index,
    Snapshot,
    Statement,
    Table,
    Trace,
    TraceEvent,
)

names = st.sampled_from(["users", "orders", "id", "user_id", "email", "status", "", "Ü", "a b", "x.y"])
sqls = st.one_of(
    st.sampled_from([
        "SELECT * FROM users WHERE id = $1", "SELECT * FROM orders WHERE user_id = $1 ORDER BY id LIMIT 5 OFFSET 5000",
        "SELECT * FROM users WHERE lower(email) = $1", "SELECT * FROM users WHERE email ILIKE $1",
        "DELETE FROM users WHERE id = $1", "UPDATE orders SET status = $1 WHERE id = $2",
        "SELECT o.* FROM orders o JOIN users u ON u.id = o.user_id WHERE u.status = 'x'", "", "SELEC", ";",
    ]),
    st.text(max_size=40))
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**9))
stats = st.builds(ColumnStats, null_frac=st.floats(0, 1), n_distinct=st.floats(-1, 1e6, allow_nan=False),
                  most_common_vals=st.none() | st.lists(st.text(max_size=5), max_size=4),
                  most_common_freqs=st.none() | st.lists(st.floats(0, 1), max_size=5))
tables = st.builds(Table, schema=st.just("public"), name=names,
                   columns=st.lists(st.builds(Column, name=names, type=st.sampled_from(["text", "bigint", "timestamptz"]),
                                              stats=st.none() | stats), max_size=4),
                   reltuples=st.floats(-1, 1e7, allow_nan=False), n_live_tup=st.integers(0, 10**7))
indexes = st.builds(Index, schema=st.just("public"), name=names, table=names.map(lambda n: f"public.{n}"),
                    definition=st.text(max_size=20), columns=st.lists(names, max_size=3),
                    method=st.sampled_from(["btree", "gin", "hash"]), predicate=st.none() | st.text(max_size=8),
                    is_unique=st.booleans(), idx_scan=st.integers(0, 3))
fks = st.builds(ForeignKey, name=names, table=names.map(lambda n: f"public.{n}"), columns=st.lists(names, max_size=2),
                ref_table=names.map(lambda n: f"public.{n}"), ref_columns=st.lists(names, max_size=2))
events = st.builds(TraceEvent, query=sqls, duration_ms=st.floats(allow_nan=True),
                   params=st.none() | st.lists(st.none() | st.text(max_size=6), max_size=3))
snapshots = st.builds(
    Snapshot,
    statements=st.lists(st.builds(Statement, query=sqls, calls=st.integers(-5, 10**6), total_time_ms=numbers,
                                  plan=st.none() | st.just({"Node Type": "Seq Scan", "Relation Name": "users",
                                                            "Filter": "(id = $1)", "Plan Rows": 1})),
                        max_size=6),
    catalog=st.builds(Catalog, tables=st.lists(tables, max_size=3), indexes=st.lists(indexes, max_size=3),
                      foreign_keys=st.lists(fks, max_size=2), stats_reset=st.none() | st.text(max_size=10)),
    traces=st.lists(st.builds(Trace, id=st.text(max_size=3), source=st.just("app"), label=st.none() | names,
                              events=st.lists(events, max_size=8)), max_size=3),
    created_at=st.sampled_from(["", "2026-11-28T12:00:00+00:00", "not a date"]))


UNKNOWN_SHARE = Snapshot(  # found by this test: pg_stats with neither n_distinct nor common values
    statements=[Statement(query="SELECT o.* FROM orders o JOIN users u ON u.id = o.user_id "
                                "WHERE u.status = 'x'", calls=0, total_time_ms=0.0)],
    catalog=Catalog(tables=[Table("public", "users", columns=[Column("status", "text", stats=ColumnStats(
        null_frac=0.0, n_distinct=0.0))], reltuples=1000.0)]))

HUGE_TIMES = Snapshot(  # found by this test: two finite times whose sum is past float's range
    statements=[Statement(query="SELECT * FROM users WHERE id = $1", calls=0, total_time_ms=1.7e308)] * 2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshot=snapshots)
@example(snapshot=UNKNOWN_SHARE)
@example(snapshot=HUGE_TIMES)
@example(snapshot=Snapshot(statements=[Statement(query="0?", calls=0, total_time_ms=0.0)]))  # TypeError in sqlglot[c]
def test_odd_snapshots_never_crash(snapshot):
    analysis = analyze(snapshot)
    assert "rule_errors" not in analysis.snapshot_summary, analysis.snapshot_summary["rule_errors"]
    total = analysis.snapshot_summary["total_time_ms"]
    assert isinstance(total, float) and math.isfinite(total)
