"""The parser survives a corpus of real-world pg_stat_statements-style statements."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlglot

from advisor.analyze import analyze
from advisor.analyze.parsing import parse_one, separate_parameters
from advisor.analyze.shapes import extract_shape
from advisor.model import Catalog, Snapshot, Statement
from advisor.workload_files import split_statements

CORPUS = Path(__file__).resolve().parents[2] / "fixtures/queries"


def corpus() -> list[tuple[str, str]]:
    found = []
    for path in sorted(CORPUS.glob("*.sql")):
        found += [(path.name, sql) for _, sql in split_statements(separate_parameters(path.read_text()))]
    return found


STATEMENTS = corpus()


def test_corpus_is_large_and_varied():
    assert len(STATEMENTS) >= 200
    per_file = Counter(name for name, _ in STATEMENTS)
    assert len(per_file) >= 6 and min(per_file.values()) >= 10


@pytest.mark.parametrize("name,sql", STATEMENTS, ids=[f"{n}:{i}" for i, (n, _) in enumerate(STATEMENTS)])
def test_statement(name, sql):
    shape = extract_shape(sql, Catalog())
    if name == "unparseable.sql":
        assert shape.parse_error, f"expected a parse error for {sql!r}"
        assert "\n" not in shape.parse_error
    else:
        assert shape.parse_error is None, shape.parse_error


def test_analyze_reports_what_it_cannot_parse(capsys):
    snapshot = Snapshot(statements=[Statement(sql, calls=1, total_time_ms=1.0) for _, sql in STATEMENTS])
    analysis = analyze(snapshot)
    bad = {Statement(sql).fingerprint for name, sql in STATEMENTS if name == "unparseable.sql"}
    assert {u["statement"] for u in analysis.unparsed} == bad
    assert analysis.snapshot_summary["unparsed"] == len(bad)
    assert "rule_errors" not in analysis.snapshot_summary
    kinds = Counter(s.kind for s in analysis.shapes)
    with capsys.disabled():
        print(f"\ncorpus: {len(STATEMENTS)} statements, {kinds}; unparsed {len(bad)}:")
        for item in analysis.unparsed:
            print(f"  {item['statement']}: {item['reason'][:100]}")
    assert kinds["utility"] >= 20 and kinds["select"] >= 120
    dml = [s for s in analysis.shapes if s.kind in ("select", "insert", "update", "delete")]
    assert sum(1 for s in dml if s.tables) >= 0.95 * len(dml)


def _read(parse, sql: str):
    try:
        return parse(sql)
    except Exception as exc:  # noqa: BLE001 - the error is what is compared
        return f"{type(exc).__name__}: {exc}"


def test_parse_one_reads_like_sqlglot_with_its_parser_reused():
    """The reused tokenizer and parser give sqlglot's trees and errors, also right after an error."""
    texts = [sql for _, sql in STATEMENTS] + ["", ";", "SELECT 1; SELECT 2", "select (", "SELECT 3"]
    for sql in texts:
        assert _read(parse_one, sql) == _read(lambda s: sqlglot.parse_one(s, read="postgres"), sql), sql
