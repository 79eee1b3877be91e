"""`advisor check` on ShopEase: a baseline from the real workload, a lost index, a new N+1."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from advisor.trace import Tracer
from app_under_test import driver

REQUESTS = 80
# Checkout writes orders, so the next run's IN-lists have other lengths; the fingerprint does not
# yet fold typed lists like IN ($1::BIGINT, $2::BIGINT), so such runs would differ by statement.
MIX = {label: weight for label, weight in driver.DEFAULT_MIX.items() if label != "checkout"}


def _run(dsn: str, *, eager: bool, trace_to: Path | None = None) -> None:
    tracer = Tracer(trace_to) if trace_to else None
    driver.run_workload(dsn, requests=REQUESTS, eager=eager, concurrency=2, warmup=0, seed=11,
                        mix=MIX, before_request=tracer and tracer.before_request,
                        after_request=tracer and tracer.after_request,
                        engine_hook=tracer and tracer.instrument)


def test_shopease_lost_index_fails_and_stays_green_when_unchanged(shopease_db, advisor, tmp_path):
    baseline = tmp_path / "baseline.json"
    _run(shopease_db, eager=True)
    assert advisor("check", "--dsn", shopease_db, "--write-baseline", baseline).exit_code == 0
    recorded = json.loads(baseline.read_text())
    assert len(recorded["statements"]) > 10
    _run(shopease_db, eager=True)
    same = advisor("check", "--dsn", shopease_db, "--baseline", baseline)
    assert same.exit_code == 0, same.stdout
    using = [s for s in recorded["statements"] if s["shape"] and any(
        a["index"] == "ix_products_created_at" for a in s["shape"]["accesses"])]
    assert using, "the workload should use ix_products_created_at"
    with psycopg.connect(shopease_db, autocommit=True) as conn:
        conn.execute("DROP INDEX ix_products_created_at")
    _run(shopease_db, eager=True)
    lost = advisor("check", "--dsn", shopease_db, "--baseline", baseline, "--format", "json")
    assert lost.exit_code == 1, lost.stdout
    failing = [c for c in json.loads(lost.stdout)["changes"] if c["failing"]]
    seq = [c for c in failing if c["kind"] == "index-to-seq-scan"]
    assert seq and all("ix_products_created_at -> seq scan" in c["message"] for c in seq), failing
    # every statement that read through the dropped index regressed, by scan or by cost
    assert {s["fingerprint"] for s in using} <= {c["statement"] for c in failing}, failing


def test_shopease_lazy_loading_is_a_new_n_plus_one(shopease_db, advisor, tmp_path):
    eager, again, lazy = (tmp_path / f"{name}.jsonl" for name in ("eager", "again", "lazy"))
    baseline = tmp_path / "baseline.json"
    _run(shopease_db, eager=True, trace_to=eager)
    assert advisor("check", "--dsn", shopease_db, "--write-baseline", baseline,
                   "--trace", eager).exit_code == 0
    assert json.loads(baseline.read_text())["traced"]
    _run(shopease_db, eager=True, trace_to=again)
    same = advisor("check", "--dsn", shopease_db, "--baseline", baseline, "--trace", again)
    assert same.exit_code == 0, same.stdout
    _run(shopease_db, eager=False, trace_to=lazy)
    result = advisor("check", "--dsn", shopease_db, "--baseline", baseline, "--trace", lazy,
                     "--format", "json")
    assert result.exit_code == 1, result.stdout
    n1 = [c for c in json.loads(result.stdout)["changes"] if c["kind"] == "n-plus-one"]
    assert n1 and all(c["failing"] and c["evidence"]["repeats"] >= 5 for c in n1)
    labels = {c["request"] for c in n1}
    assert labels and labels <= set(driver.DEFAULT_MIX), labels  # named by endpoint


def test_shopease_n_plus_one_from_the_server_log(shopease_db, pg, advisor, tmp_path):
    def logged(eager: bool):
        start = pg.log_path.stat().st_size
        _run(shopease_db, eager=eager)
        with open(pg.log_path, "rb") as log:
            log.seek(start)
            path = tmp_path / f"run-{eager}-{start}.log"
            path.write_bytes(log.read())
        return path

    baseline = tmp_path / "baseline.json"
    written = advisor("check", "--dsn", shopease_db, "--write-baseline", baseline,
                      "--log", logged(True))
    assert written.exit_code == 0, written.stderr
    lazy = advisor("check", "--dsn", shopease_db, "--baseline", baseline, "--log", logged(False),
                   "--format", "json")
    assert lazy.exit_code == 1, lazy.stdout + lazy.stderr
    assert "n-plus-one" in {c["kind"] for c in json.loads(lazy.stdout)["changes"] if c["failing"]}
