"""What makes the selection scale: indexes cut to what a statement uses, pruning, batched
EXPLAINs, the time limit, and names that stay unique."""

import pytest

from advisor.analyze.shapes import extract_shapes
from advisor.model import Analysis, IndexSpec
from advisor.recommend import RecommendSettings, recommend
from advisor.recommend.plan import workload
from advisor.recommend.prune import prune
from advisor.recommend.select import Deadline, Evaluator, Item, Limits, effective, proxy, select
from advisor.recommend.whatif import WhatIf

T = "public.t"


def _item(attrs, used=()):
    return Item("f", "SELECT 1", 1.0, frozenset({T}), {T: set(attrs)}, {T: set(used) | set(attrs)})


def test_a_statement_is_priced_with_the_part_of_each_index_it_uses():
    item = _item({"a", "b"}, used={"x"})
    assert effective(item, IndexSpec(T, ["c", "a"])) is None  # not led by what it searches on
    assert effective(item, IndexSpec(T, ["a", "c"])).columns == ["a"]
    assert effective(item, IndexSpec(T, ["a", "c", "b"])).columns == ["a", "c", "b"]  # b filters in it
    assert effective(item, IndexSpec(T, ["a"], include=["c"])).key() == IndexSpec(T, ["a"]).key()
    covering = IndexSpec(T, ["a", "b"], include=["x"])
    assert effective(item, covering) is covering  # an index-only scan reads it all
    partial = IndexSpec(T, ["a", "c"], where="c > 0")
    assert effective(item, partial).key() == IndexSpec(T, ["a"], where="c > 0").key()


def test_the_greedy_prices_a_candidate_through_what_each_statement_proposed():
    a, ax, ab = IndexSpec(T, ["a"]), IndexSpec(T, ["a", "x"]), IndexSpec(T, ["a", "b"])
    item = Item("f", "SELECT 1", 1.0, frozenset({T}), {T: {"a", "x"}}, {T: {"a", "x", "y"}},
                proposed={a.key(): 1, IndexSpec(T, ["a"], where="x > 0").key(): 0})
    assert proxy(item, ax).key() == a.key()  # it uses (a, x) but asked for (a) only
    assert proxy(item, ab).key() == a.key()  # b is cut off: it does not search on b
    assert proxy(item, IndexSpec(T, ["x"])) is None  # nothing of its own starts with x
    item.proposed[ax.key()] = 2
    assert proxy(item, ax).key() == ax.key()
    assert proxy(Item("g", "SELECT 1", 1.0, frozenset({T}), {T: {"b"}}), ax) is None


def test_one_explain_serves_every_index_cut_to_the_same_part(shop_dsn, shop_snapshot):
    items, _ = workload(shop_snapshot, extract_shapes(shop_snapshot), RecommendSettings())
    item = next(i for i in items if i.sql.startswith("SELECT * FROM items WHERE order_id"))
    with WhatIf.open(shop_dsn) as w:
        ev = Evaluator(w, [item])
        narrow = ev.item_cost(item, [IndexSpec("public.items", ["order_id"])])
        calls = w.explain_calls
        for wider in (["order_id", "qty"], ["order_id", "id"]):
            assert ev.item_cost(item, [IndexSpec("public.items", wider)]) == narrow
        assert w.explain_calls == calls


def test_pruning_caps_each_table_and_says_why():
    specs = [IndexSpec(T, [c]) for c in "abcdef"]
    items = [Item(f"f{n}", "SELECT 1", 1.0 + n, frozenset({T}), {T: {spec.columns[0]}},
                  proposed={spec.key(): 0}) for n, spec in enumerate(specs)]
    kept, rejected = prune(specs, items, lambda some: [10.0] * len(some), budgeted=True, max_per_table=4)
    assert [s.columns[0] for s in kept] == ["c", "d", "e", "f"]  # the costliest statements' ones
    assert [s.columns[0] for s, _ in rejected] == ["b", "a"]
    assert all("per-table cap" in why and "public.t has 6 candidates" in why for _, why in rejected)


def test_pruning_shares_a_statement_s_cost_among_its_candidates():
    """A heavy statement with many alternatives does not crowd out a lighter one's few: each
    statement's weighted cost is shared among the candidates it proposes on the table."""
    heavy = [IndexSpec(T, [c]) for c in "abcdef"]
    light = [IndexSpec(T, ["x"]), IndexSpec(T, ["x"], include=["y"])]
    items = [Item("heavy", "SELECT 1", 1.0, frozenset({T}), {T: set("abcdef")},
                  proposed={s.key(): n for n, s in enumerate(heavy)}),
             Item("light", "SELECT 2", 1.0, frozenset({T}), {T: {"x"}},
                  proposed={s.key(): n for n, s in enumerate(light)})]
    costs = {"heavy": 300.0, "light": 100.0}  # 50 a candidate against 50: the light one's keep up
    kept, rejected = prune(heavy + light, items, lambda some: [costs[i.key] for i in some],
                           budgeted=True, max_per_table=6)
    assert {s.key() for s in light} <= {s.key() for s in kept}
    assert [s.columns for s, _ in rejected] == [["e"], ["f"]]  # the heavy one's last guesses


def test_pruning_keeps_a_prefix_under_a_budget_and_drops_it_without_one():
    a, ab = IndexSpec(T, ["a"]), IndexSpec(T, ["a", "b"])
    item = Item("f", "SELECT 1", 1.0, frozenset({T}), {T: {"a", "b"}}, proposed={a.key(): 1, ab.key(): 0})
    assert prune([a, ab], [item], lambda some: [1.0] * len(some), budgeted=True)[0] == [a, ab]
    kept, rejected = prune([a, ab], [item], lambda some: [1.0] * len(some), budgeted=False)
    assert kept == [ab] and rejected[0][0] == a and rejected[0][1].startswith("dominated")


def test_batched_costs_match_one_at_a_time_and_leave_nothing_prepared(shop_dsn):
    q = "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20"
    plain = "SELECT * FROM items WHERE sku = 'SKU-7'"
    a, b = IndexSpec("public.orders", ["customer_id"]), IndexSpec("public.items", ["sku"])
    requests = [(q, [], {"public.orders"}, "q"), (q, [a], {"public.orders"}, "q"),
                (plain, [b], {"public.items"}, "p"), (plain, [], {"public.items"}, "p"),
                (q, [a], {"public.orders"}, "q")]
    with WhatIf.open(shop_dsn) as w:
        batched = w.costs(requests)
        assert w.explain_calls == 4  # the repeated request is priced once
        prepared = w.conn.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0]
    with WhatIf.open(shop_dsn) as w:
        single = [w.cost(*r[:3], key=r[3]) for r in requests]
    assert batched == single
    assert batched[1] < batched[0] and batched[2] < batched[3]
    assert prepared == 0


class _Countdown(Deadline):
    """A deadline reached after ``checks`` looks at it: a time limit without the clock's noise."""

    def __init__(self, checks):
        super().__init__(time_limit=1.0)
        self.left = checks

    def expired(self, phase):
        self.left -= 1
        if self.left < 0 and self.stopped is None:
            self.stopped = phase
        return self.stopped is not None


def _problem(snapshot):
    items, candidates = workload(snapshot, extract_shapes(snapshot), RecommendSettings(max_width=2))
    return items, [c for c in candidates if c.method == "btree"]


def test_the_time_limit_keeps_the_best_found_so_far_and_says_where_it_stopped(shop_dsn, shop_snapshot):
    items, candidates = _problem(shop_snapshot)
    limits = Limits(min_improvement=0.0, max_width=2)
    with WhatIf.open(shop_dsn) as w:
        full = select(Evaluator(w, items), candidates, limits)
        assert full.stopped is None and len(full.chosen) >= 3
        looks = len(candidates) + 4  # every candidate priced once (lazy greedy), then a few taken
        cut = select(Evaluator(w, items, _Countdown(looks)), candidates, limits)
    assert cut.stopped == "greedy"
    assert 0 < len(cut.chosen) < len(full.chosen)
    assert [c.key() for c in cut.chosen] == [c.key() for c in full.chosen[:len(cut.chosen)]]
    assert cut.cost_after < cut.cost_before
    late = [why for _, why, _ in cut.rejected.values() if "the time limit (1 s) ended the selection" in why]
    assert late and all(why.startswith(("not taken", "not priced")) for why in late)


def test_a_zero_time_limit_prices_no_candidate_and_the_plan_says_it_stopped(shop_dsn, shop_snapshot):
    plan = recommend(shop_dsn, shop_snapshot, Analysis(), RecommendSettings(time_limit=0.0))
    full = recommend(shop_dsn, shop_snapshot, Analysis(), RecommendSettings())
    assert not [r for r in plan.recommendations if r.action == "create"]
    assert any(n.startswith("stopped early: the time limit (0 s)") for n in plan.notes), plan.notes
    assert any(r.reason.startswith("not priced: the time limit") for r in plan.rejected)
    assert plan.explain_calls < full.explain_calls / 3
    assert not any("stopped early" in n for n in full.notes)


@pytest.mark.parametrize("compress", [True, False])
def test_recommend_names_every_index_once(shop_dsn, shop_snapshot, compress):
    plan = recommend(shop_dsn, shop_snapshot, Analysis(), RecommendSettings(compress=compress, max_width=3))
    names = [r.name for r in plan.recommendations if r.action == "create"]
    assert names and len(names) == len(set(names))


def test_the_cli_time_limit_is_reported_in_the_plan(shop_dsn, tmp_path):
    import json
    import subprocess
    import sys

    from tests.recommend.conftest import WORKLOAD

    queries = tmp_path / "q.sql"
    queries.write_text("".join(f"-- weight: {calls}\n{sql};\n" for sql, calls in WORKLOAD))

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "advisor", "analyze", "--dsn", shop_dsn,
                               "--queries", str(queries), "--format", "json", *extra],
                              capture_output=True, text=True, timeout=300)

    done = run("--time-limit", "0.000001")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["plan"]
    assert any(n.startswith("stopped early: the time limit") for n in plan["notes"])
    refused = run("--time-limit", "0")
    assert refused.returncode == 2 and "--time-limit" in refused.stderr


def test_the_keys_a_statement_sorts_on_stay_in_its_part():
    item = _item({"a"}, used={"x", "y"})
    item.sorts = {T: {"a", "b"}}
    assert effective(item, IndexSpec(T, ["a DESC", "b", "c"])).columns == ["a DESC", "b"]


def test_the_greedys_kept_baseline_prices_as_from_scratch_across_configurations(shop_dsn, shop_snapshot):
    """``gain_of`` and ``change`` reuse each statement's cost under the configuration, and keep it
    when a new index leaves the statement's usable indexes as they were; every gain must still be
    what a fresh evaluator computes for the same configuration."""
    items, candidates = _problem(shop_snapshot)
    with WhatIf.open(shop_dsn) as w:
        kept = Evaluator(w, items)
        configs = [[], candidates[:1], candidates[:1] + candidates[2:3], candidates[2:3]]
        for config in configs:
            for spec in candidates:
                scored = kept.scored(spec)
                fresh = Evaluator(w, items)
                assert kept.gain_of(scored, config, spec) == pytest.approx(fresh.gain_of(scored, config, spec))
                after = [c for c in config if c is not spec] + [spec]
                assert kept.change(scored, config, after)[:2] == pytest.approx(
                    fresh.delta(scored, config, after, exact=False))


def test_a_gain_not_worth_pricing_is_bounded_without_an_explain(shop_dsn, shop_snapshot):
    """A statement's cost cannot drop below zero, so its cost today bounds what a candidate saves
    on it: when that bound already fails the thresholds, the greedy EXPLAINs nothing for the
    candidate, and the bound is never below the gain pricing would have found."""
    items, candidates = _problem(shop_snapshot)
    with WhatIf.open(shop_dsn) as w:
        ev = Evaluator(w, items)
        config, bounded = candidates[:1], 0
        for spec in candidates[1:]:
            scored = ev.scored(spec)
            ev.gain_of(scored, config, candidates[0])  # the baseline, priced here
            calls = w.explain_calls
            bound, total, priced = ev.gain_of(scored, config, spec, enough=lambda b, t: False)
            assert w.explain_calls == calls
            gain, total_priced, priced_now = Evaluator(w, items).gain_of(scored, config, spec)
            assert priced_now and total == pytest.approx(total_priced)
            assert bound >= gain - 1e-6 * max(abs(gain), 1.0)
            if priced:  # nothing to price: the bound is the gain
                assert bound == pytest.approx(gain)
            bounded += not priced
    assert bounded


def test_plans_made_by_this_run_spare_the_explain_without_indexes(shop_dsn, tmp_path):
    """A run that planned its statements itself (capture, --queries) reads each template's cost
    without new indexes from that plan: fewer EXPLAINs, the same advice."""
    from advisor.pipeline import Pipeline

    from .conftest import WORKLOAD

    queries = tmp_path / "workload.sql"
    queries.write_text("".join(f"-- weight: {calls}\n{sql};\n" for sql, calls in WORKLOAD))
    pipeline = Pipeline.from_options(dsn=shop_dsn, queries=[queries])
    assert pipeline.planned_here
    analysis = pipeline.analyze(recommend=False)
    seeded = pipeline.recommend(analysis)
    pipeline.planned_here = False
    explained = pipeline.recommend(analysis)
    assert [r.ddl for r in seeded.recommendations] == [r.ddl for r in explained.recommendations]
    assert seeded.cost_before == pytest.approx(explained.cost_before)
    assert seeded.explain_calls < explained.explain_calls
