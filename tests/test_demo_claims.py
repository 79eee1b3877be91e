"""The demo's claims: which endpoints are checked, and when a claim is met."""

from rich.console import Console

from advisor.demo_claims import P95_GAIN, claims
from advisor.emit.demo_summary import claims_table, shortfalls


def _row(name, before_p95, after_p95, queries=1, max_queries=1):
    figures = {"p95_ms": before_p95, "rps": 10.0, "mean_queries": queries, "max_queries": max_queries}
    return {"endpoint": name, "before": figures,
            "after": {**figures, "p95_ms": after_p95, "rps": 40.0}}


def test_an_endpoint_meets_the_p95_claim_only_at_the_target_gain():
    rows = [_row("login", 100.0, 20.0), _row("pending_orders", 100.0, 20.0)]
    eager = {"login": {"p95_ms": 100.0 / P95_GAIN}, "pending_orders": {"p95_ms": 100.0 / P95_GAIN + 1}}
    check = claims(rows, None, eager)
    verdicts = {row["endpoint"]: (row["planted"], row["met"]) for row in check["endpoints"]}
    assert verdicts == {"login": (["P8"], True), "pending_orders": (["P10"], False)}
    assert (check["met"], check["total"], check["all_met"]) == (1, 2, False)


def test_endpoints_without_a_planted_index_are_not_claimed():
    check = claims([_row("cheap_products", 100.0, 50.0)], None, {})
    assert check["endpoints"] == [] and check["total"] == 0 and not check["all_met"]


def test_throughput_claim_uses_the_full_advice():
    overall = {"before": {"rps": 10.0}, "after": {"rps": 25.0}}
    met = claims([], overall, {"overall": {"rps": 30.0}})["throughput"]
    missed = claims([], overall, {"overall": {"rps": 29.0}})["throughput"]
    assert (met["met"], met["gain_indexes"], missed["met"]) == (True, 2.5, False)


def test_n_plus_one_is_met_when_eager_queries_stay_at_the_bound():
    lazy = _row("order_history", 100.0, 10.0, queries=41.0, max_queries=61)
    fixed = claims([lazy], None, {"order_history": {"mean_queries": 3.0, "max_queries": 3}})
    still_n = claims([lazy], None, {"order_history": {"mean_queries": 3.4, "max_queries": 7}})
    assert [row["met"] for row in fixed["n_plus_one"]] == [True]
    assert [row["met"] for row in still_n["n_plus_one"]] == [False]


def test_p95_claims_compare_the_open_loop_figures_when_measured():
    row = _row("login", 100.0, 50.0)
    row["before"]["load_p95_ms"] = 200.0
    row["after"]["load_p95_ms"] = 40.0
    eager = {"login": {"p95_ms": 50.0, "load_p95_ms": 10.0}}
    [login] = claims([row], None, eager)["endpoints"]
    assert (login["p95_before"], login["p95_indexes"], login["p95_advice"]) == (200.0, 40.0, 10.0)
    assert login["gain_advice"] == 20.0 and login["met"]


def test_all_met_only_when_every_claim_is():
    check = claims([_row("login", 100.0, 20.0)], None, {"login": {"p95_ms": 100.0 / P95_GAIN}})
    assert (check["met"], check["total"], check["all_met"]) == (1, 1, True)


def test_a_missed_p95_claim_is_explained_when_the_app_not_sql_holds_the_time():
    rows = [_row("checkout", 100.0, 20.0), _row("login", 100.0, 20.0), _row("view_cart", 100.0, 20.0)]
    eager = {"checkout": {"p95_ms": 20.0, "mean_ms": 15.0, "mean_sql_ms": 5.0},
             "login": {"p95_ms": 20.0, "mean_ms": 15.0, "mean_sql_ms": 12.0},
             "view_cart": {"p95_ms": 5.0, "mean_ms": 4.0, "mean_sql_ms": 1.0}}
    rows[0]["before"]["mean_sql_ms"] = 40.0
    lines = shortfalls(claims(rows, None, eager))
    assert len(lines) == 1 and lines[0].startswith("checkout: once advised, 5.0 of its 15.0 ms")
    assert "before: 40.0 ms" in lines[0]


def test_each_p95_claim_says_how_many_requests_its_p95_is_taken_over():
    row = _row("login", 100.0, 50.0)
    row["before"].update(load_p95_ms=200.0, load_requests=31, requests=200)
    eager = {"login": {"p95_ms": 50.0, "load_p95_ms": 10.0, "load_requests": 30, "requests": 200}}
    [login] = claims([row], None, eager)["endpoints"]
    assert (login["samples_before"], login["samples_advice"]) == (31, 30)
    console = Console(width=200, record=True)
    console.print(claims_table(claims([row], None, eager)))
    assert "31 -> 30" in console.export_text()


def test_a_missed_p95_claim_over_few_requests_says_so():
    rows = [_row("checkout", 100.0, 20.0), _row("login", 100.0, 20.0), _row("view_cart", 100.0, 20.0)]
    for row, n in zip(rows, (31, 31, 400), strict=True):
        row["before"].update(load_p95_ms=100.0, load_requests=n)
    eager = {"checkout": {"p95_ms": 20.0, "load_p95_ms": 20.0, "load_requests": 30},
             "login": {"p95_ms": 5.0, "load_p95_ms": 5.0, "load_requests": 30},
             "view_cart": {"p95_ms": 20.0, "load_p95_ms": 20.0, "load_requests": 400}}
    lines = shortfalls(claims(rows, None, eager))
    assert lines == ["checkout: its p95 is taken over 30 requests, close to its slowest few; "
                     "`advisor demo --latency-requests 3000` measures more"]
