"""The workload driver: deterministic requests, one transaction each, sane figures, the CLI."""

from __future__ import annotations

import itertools
import json
import threading
import time

from click.testing import CliRunner
from sqlalchemy import event

from app_under_test.__main__ import main
from app_under_test.driver import (
    Planner,
    Population,
    WorkloadResult,
    compare_table,
    render_table,
    run_workload,
)


def test_the_request_sequence_depends_only_on_the_seed(shop_readonly):
    population = Population.load(shop_readonly)
    mix = {"list_products": 1, "product_detail": 1, "login": 1, "checkout": 1}

    def plan(seed):
        return list(itertools.islice(Planner(population, mix, seed, eager=False), 50))

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)
    assert {request.label for request in plan(1)} == set(mix)


def test_a_short_run_reports_sane_figures_and_brackets_each_request(shopease_db):
    calls, engines, transactions = [], [], []

    def on(kind):
        return lambda label: calls.append((kind, label, threading.get_ident()))

    def hook(engine):
        engines.append(engine)
        event.listen(engine, "commit", lambda conn: transactions.append(1))

    result = run_workload(shopease_db, requests=40, concurrency=2, warmup=4, seed=3,
                          before_request=on("before"), after_request=on("after"), engine_hook=hook)
    assert result.overall.requests == 40 and result.overall.errors == 0, result.error_samples
    assert sum(stats.requests for stats in result.endpoints.values()) == 40
    for stats in [*result.endpoints.values(), result.overall]:
        assert 0 < stats.p50_ms <= stats.p95_ms <= stats.p99_ms
        assert stats.mean_queries >= 1
    assert result.endpoints["list_products"].mean_queries > 1  # lazy: the sellers come one by one
    assert len(engines) == 1
    assert len(transactions) == 44  # warm-up included: one transaction per request
    befores = [c for c in calls if c[0] == "before"]
    assert len(befores) == len(calls) // 2 == 44
    assert WorkloadResult.from_dict(json.loads(json.dumps(result.to_dict()))) == result
    assert render_table(result).row_count == len(result.endpoints) + 1


def test_sql_time_is_the_time_inside_statements(shopease_db):
    def slow_statements(engine):  # runs before the driver's own listeners: inside its window
        event.listen(engine, "after_cursor_execute", lambda *_: time.sleep(0.005))

    mix = {"login": 1, "list_products": 1}
    plain = run_workload(shopease_db, requests=20, concurrency=1, warmup=2, mix=mix)
    slowed = run_workload(shopease_db, requests=20, concurrency=1, warmup=2, mix=mix,
                          engine_hook=slow_statements)
    for stats in [*slowed.endpoints.values(), slowed.overall]:
        assert 5 * stats.mean_queries <= stats.mean_sql_ms <= stats.mean_ms
    for stats in [*plain.endpoints.values(), plain.overall]:  # no bound in ms: a loaded machine
        assert 0 < stats.mean_sql_ms < stats.mean_ms


def test_eager_runs_fewer_queries_per_request(shopease_db):
    mix = {"list_products": 1, "order_history": 1}
    lazy = run_workload(shopease_db, requests=20, concurrency=1, warmup=0, mix=mix)
    eager = run_workload(shopease_db, requests=20, concurrency=1, warmup=0, mix=mix, eager=True)
    assert eager.overall.mean_queries < lazy.overall.mean_queries / 3
    assert eager.endpoints["list_products"].mean_queries == 1
    assert compare_table(lazy, eager).row_count == 3


def test_unknown_endpoint_in_mix_is_refused(shopease_db):
    try:
        run_workload(shopease_db, requests=1, mix={"nope": 1})
    except ValueError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("accepted an unknown endpoint")


def test_cli_run_writes_json_and_prints_the_table(shopease_db, tmp_path):
    out = tmp_path / "run.json"
    done = CliRunner().invoke(main, ["run", "--dsn", shopease_db, "--requests", "10",
                                     "--concurrency", "1", "--warmup", "0", "--json", str(out)])
    assert done.exit_code == 0, done.output
    assert "ShopEase workload" in done.output
    assert json.loads(out.read_text())["overall"]["requests"] == 10


def test_cli_run_open_loop_keeps_to_its_rate(shopease_db, tmp_path):
    out = tmp_path / "run.json"
    done = CliRunner().invoke(main, ["run", "--dsn", shopease_db, "--requests", "6", "--rate", "10",
                                     "--warmup", "0", "--json", str(out)])
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text())["duration_s"] >= 0.5  # the sixth arrives 0.5 s in
    refused = CliRunner().invoke(main, ["run", "--dsn", shopease_db, "--rate", "0"])
    assert refused.exit_code == 2


def test_cli_build_migrates_and_generates(fresh_db):
    done = CliRunner().invoke(main, ["build", "--dsn", fresh_db, "--scale", "0.002"])
    assert done.exit_code == 0, done.output
    counts = json.loads(done.stdout[done.stdout.index("{"):])
    assert counts["categories"] == 60 and counts["products"] == 400


def test_a_timed_run_stops_after_its_duration(shopease_db):
    progress = []
    result = run_workload(shopease_db, duration=0.5, concurrency=2, warmup=0,
                          mix={"login": 1, "search_products": 1},
                          on_progress=lambda done, total: progress.append((done, total)))
    assert result.overall.requests == len(progress) > 0
    assert progress[-1] == (result.overall.requests, None)
    assert 0.5 <= result.duration_s < 5


def test_open_loop_latency_counts_the_wait_for_a_free_worker(shopease_db):
    # One worker, 50 ms per request, a request every 10 ms: request i waits for the i before
    # it, so its latency is about 50 + 40 i ms, not the 50 ms of service a closed loop reports.
    slow = lambda label: time.sleep(0.05)  # noqa: E731
    result = run_workload(shopease_db, requests=10, rate=100, concurrency=1, warmup=0,
                          mix={"login": 1}, before_request=slow)
    assert result.overall.p99_ms >= 350
    assert result.overall.p50_ms >= 200


def test_open_loop_spreads_the_requests_over_their_schedule(shopease_db):
    result = run_workload(shopease_db, requests=9, rate=20, concurrency=2, warmup=0, mix={"login": 1})
    assert result.duration_s >= 8 / 20
    assert result.overall.p95_ms < 8 / 20 * 1000  # served as they arrive, not queued to the end
