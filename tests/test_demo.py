"""The demo end to end at a tiny scale: every stage runs and the summary holds its figures."""

import json
import subprocess
import sys

from advisor.validate import LATENCY_LOAD


def test_demo_tells_the_whole_story(tmp_path):
    done = subprocess.run([sys.executable, "-m", "advisor", "demo", "--scale", "0.03",
                           "--requests", "80", "--latency-requests", "100", "--repetitions", "1",
                           "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["indexes_created"] and summary["migrations"]
    assert len(summary["n_plus_one"]) >= 3
    eager = summary["eager_loading"]
    assert eager["eager"]["list_products"]["mean_queries"] == 1
    assert eager["lazy"]["list_products"]["mean_queries"] > 5
    assert {row["endpoint"] for row in summary["endpoints"]} >= {"login", "order_history"}
    rate = summary["open_loop_rate"]
    assert rate == round(LATENCY_LOAD * summary["overall"]["before"]["rps"], 2)
    login = next(row for row in summary["endpoints"] if row["endpoint"] == "login")
    assert login["before"]["load_p95_ms"] > 0 and login["after"]["load_p95_ms"] > 0
    assert eager["eager"]["overall"]["load_requests"] == 100
    claims = summary["claims"]
    assert {row["endpoint"] for row in claims["endpoints"]} >= {"login", "search_products"}
    assert all(row["met"] for row in claims["n_plus_one"]), claims["n_plus_one"]
    assert claims["throughput"]["rps_before"] > 0
    assert "Claims" in done.stdout
    assert f"claims met: {claims['met']} of {claims['total']}" in done.stdout
    report = (tmp_path / "advisor-report.html").read_text()
    assert all(name in report for name in summary["indexes_created"])
    assert "report:" in done.stdout
