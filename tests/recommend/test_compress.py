"""Workload compression groups what differs only in spelling, and nothing else."""

import pytest

from advisor.analyze.shapes import extract_shape
from advisor.model import Catalog, Column, ColumnStats, Table
from advisor.recommend.compress import compress, template_key
from advisor.recommend.select import Item

TICKETS = Table("public", "tickets", reltuples=500_000, columns=[
    Column("id", "bigint", not_null=True, stats=ColumnStats(n_distinct=-1)),
    Column("account_id", "bigint", stats=ColumnStats(n_distinct=50_000)),
    Column("status", "text", stats=ColumnStats(
        n_distinct=4, most_common_vals=["closed", "solved", "pending", "open"],
        most_common_freqs=[0.6, 0.3, 0.06, 0.04])),
    Column("priority", "int", stats=ColumnStats(n_distinct=5)),
    Column("created_at", "timestamptz", stats=ColumnStats(n_distinct=-1))])
ACCOUNTS = Table("public", "accounts", reltuples=100_000, columns=[
    Column("id", "bigint", stats=ColumnStats(n_distinct=-1)),
    Column("region", "text", stats=ColumnStats(n_distinct=8))])
CATALOG = Catalog([TICKETS, ACCOUNTS])

BASE = "SELECT id FROM tickets WHERE account_id = $1 AND priority > $2 ORDER BY created_at DESC LIMIT 20"
SAME = [  # spelled otherwise, one search
    "SELECT t.id FROM tickets t WHERE t.priority > $1 AND t.account_id = $2 "
    "ORDER BY t.created_at DESC LIMIT 20",
    "select id from tickets where account_id = $1::bigint and priority > $2::int "
    "order by created_at desc limit $3",
    "SELECT id FROM public.tickets WHERE (account_id = $1) AND (priority > $2) "
    "ORDER BY created_at DESC LIMIT 50",
]
OTHER = [  # one thing changed each time
    "SELECT id FROM tickets WHERE account_id = $1 AND priority >= $2 ORDER BY created_at DESC LIMIT 20",
    "SELECT id FROM tickets WHERE account_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 20",
    "SELECT id FROM tickets WHERE account_id = $1 AND priority > $2 ORDER BY created_at LIMIT 20",
    "SELECT id FROM tickets WHERE account_id = $1 AND priority > $2 ORDER BY created_at DESC",
    "SELECT id FROM tickets WHERE account_id = $1 AND priority > $2 ORDER BY created_at DESC "
    "LIMIT 20 OFFSET 40",
    "SELECT id, status FROM tickets WHERE account_id = $1 AND priority > $2 "
    "ORDER BY created_at DESC LIMIT 20",
    "SELECT id FROM tickets WHERE account_id = 42 AND priority > 3 ORDER BY created_at DESC LIMIT 20",
    "DELETE FROM tickets WHERE account_id = $1 AND priority > $2",
    "SELECT t.id FROM tickets t JOIN accounts a ON a.id = t.account_id "
    "WHERE t.account_id = $1 AND t.priority > $2 ORDER BY t.created_at DESC LIMIT 20",
]


def _key(sql):
    return template_key(extract_shape(sql, CATALOG), CATALOG)


def test_spellings_of_one_search_share_a_template():
    assert {_key(sql) for sql in [BASE, *SAME]} == {_key(BASE)}


@pytest.mark.parametrize("sql", OTHER)
def test_a_different_search_gets_its_own_template(sql):
    assert _key(sql) != _key(BASE)


def test_constants_group_by_what_the_planner_makes_of_them():
    def status(value, account=7):
        return _key(f"SELECT id FROM tickets WHERE account_id = {account} AND status = '{value}'")

    assert status("open", 7) == status("open", 99)  # two accounts: one search
    assert status("open") != status("pending")  # two rare values: each earns its own partial index
    assert status("open") != status("closed")  # 4 % of the rows against 60 %: other plans
    assert _key("SELECT id FROM tickets WHERE account_id = 7") == _key("SELECT id FROM tickets WHERE account_id = 123456")


def test_templates_sum_the_weights_keep_every_member_and_are_priced_through_the_heaviest():
    statements = [(BASE, 5.0), (SAME[0], 20.0), (SAME[1], 1.0), (OTHER[0], 3.0)]
    shapes, items = {}, []
    for n, (sql, weight) in enumerate(statements):
        shape = extract_shape(sql, CATALOG, fingerprint=f"f{n}")
        shapes[shape.fingerprint] = shape
        items.append(Item(shape.fingerprint, sql, weight, frozenset({"public.tickets"}),
                          proposed={("spec", n): n}))
    templates = compress(items, shapes, CATALOG)
    assert len(templates) == 2
    merged = next(t for t in templates if t.members)
    assert merged.key == "f1" and merged.sql == SAME[0] and merged.weight == 26.0
    assert sorted(merged.members) == [("f0", 5.0), ("f1", 20.0), ("f2", 1.0)]
    assert set(merged.proposed) == {("spec", 0), ("spec", 1), ("spec", 2)}
    alone = next(t for t in templates if not t.members)
    assert alone.key == "f3" and alone.weight == 3.0


def test_every_statement_a_recommendation_serves_is_listed(shop_dsn, shop_snapshot):
    from dataclasses import replace

    from advisor.model import Analysis, Statement
    from advisor.recommend import RecommendSettings, recommend

    spellings = ["SELECT * FROM items WHERE order_id = $1",
                 "select i.* from items i where i.order_id = $1::int",
                 "SELECT * FROM items it WHERE it.order_id = $1"]
    statements = [s for s in shop_snapshot.statements if "FROM items WHERE order_id" not in s.query]
    statements += [Statement(sql, calls=300) for sql in spellings]
    snapshot = replace(shop_snapshot, statements=statements)
    plan = recommend(shop_dsn, snapshot, Analysis(), RecommendSettings())
    rec = next(r for r in plan.recommendations
               if r.action == "create" and r.table == "public.items" and r.index.columns[0] == "order_id")
    served = {g.statement for g in rec.statements}
    assert {s.fingerprint for s in statements[-3:]} <= served
    assert all(g.calls == 300 and g.cost_after < g.cost_before for g in rec.statements
               if g.statement in {s.fingerprint for s in statements[-3:]})


def test_keys_order_whatever_the_predicates_hold():
    both = _key("SELECT id FROM tickets WHERE status = 'closed' AND status = $1 AND priority > $2")
    assert both == _key("SELECT id FROM tickets WHERE priority > $1 AND status = $2 AND status = 'closed'")
    assert both != _key("SELECT id FROM tickets WHERE status = $1 AND priority > $2")
