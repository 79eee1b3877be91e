"""What-if costing with HypoPG on a real server: lower costs, nothing left behind, no writes."""

import psycopg

from advisor.model import IndexSpec
from advisor.recommend.whatif import WhatIf

Q = "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20"
SPEC = IndexSpec("public.orders", ["customer_id", "created_at DESC"])


def _counters(dsn):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        tups = conn.execute("SELECT tup_inserted, tup_updated, tup_deleted FROM pg_stat_database "
                            "WHERE datname = current_database()").fetchone()
        rels = conn.execute("SELECT count(*), max(oid::int) FROM pg_class").fetchone()
    return tups, rels


def test_missing_index_lowers_cost_and_is_used(shop_dsn):
    with WhatIf.open(shop_dsn) as w:
        before = w.cost(Q, [], {"public.orders"})
        after = w.cost(Q, [SPEC], {"public.orders"})
        assert after < before / 10, (before, after)
        assert w.used_indexes(w.plan(Q, [SPEC], {"public.orders"})) == [SPEC]
        assert w.used_indexes(w.plan(Q, [], {"public.orders"})) == []
        assert 100_000 < w.size(SPEC) < 5_000_000
        calls = w.explain_calls
        assert w.cost(Q, [SPEC, IndexSpec("public.items", ["order_id"])], {"public.orders"}) == after
        assert w.explain_calls == calls  # cached: an index on another table does not count


def test_hypothetical_indexes_are_gone_and_nothing_written(shop_dsn):
    before = _counters(shop_dsn)
    with WhatIf.open(shop_dsn) as w:
        w.cost(Q, [SPEC], {"public.orders"})
        w.size(IndexSpec("public.items", ["order_id"]))
        assert w.conn.execute("SELECT count(*) FROM hypopg_list_indexes").fetchone()[0] >= 1
        assert w.conn.execute("SHOW transaction_read_only").fetchone()[0] == "on"
    with psycopg.connect(shop_dsn, autocommit=True) as conn:  # a new session sees none
        assert conn.execute("SELECT count(*) FROM hypopg_list_indexes").fetchone()[0] == 0
    assert _counters(shop_dsn) == before


def test_without_hypopg_a_clear_error_or_rolled_back_real_indexes(pg):
    import uuid

    import pytest

    from advisor.errors import AdvisorError

    name = f"nohypo_{uuid.uuid4().hex[:8]}"
    dsn = pg.create_database(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("DROP EXTENSION hypopg")
            conn.execute("CREATE TABLE t AS SELECT g AS a, g % 10 AS b FROM generate_series(1, 20000) g")
            conn.execute("ANALYZE t")
        with pytest.raises(AdvisorError, match="apt-get install postgresql-15-hypopg"):
            with WhatIf.open(dsn):
                pass
        with WhatIf.open(dsn, allow_real_indexes=True) as w:
            q = "SELECT * FROM t WHERE a = 5"
            assert w.cost(q, [IndexSpec("public.t", ["a"])]) < w.cost(q, [])
            assert w.size(IndexSpec("public.t", ["a"])) > 0
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 't'").fetchone()[0] == 0
    finally:
        pg.drop_database(name)
