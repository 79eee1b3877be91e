"""The committed snapshots load, and say what they were made to say; the docstring examples run."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

import advisor.capture.catalog
import advisor.capture.filters
import advisor.trace
from advisor.model import FORMAT_VERSION, Snapshot

SNAPSHOTS = Path(__file__).parents[2] / "fixtures" / "snapshots"


def _load(name: str) -> Snapshot:
    return Snapshot.from_json((SNAPSHOTS / f"{name}.json").read_text())


@pytest.mark.parametrize("path", sorted(SNAPSHOTS.glob("*.json")), ids=lambda p: p.stem)
def test_fixture_round_trips(path):
    snap = Snapshot.from_json(path.read_text())
    assert snap.format_version == FORMAT_VERSION and snap.catalog.tables
    assert Snapshot.from_json(snap.to_json()) == snap


def test_shopease_fixture():
    snap = _load("shopease")
    assert len(snap.statements) >= 10 and all(s.plan for s in snap.statements)
    assert {t.source for t in snap.traces} == {"log", "app"}
    assert snap.catalog.foreign_keys and snap.catalog.indexes


def test_edge_case_fixtures():
    assert _load("empty_workload").statements == []
    assert all(c.stats is None for t in _load("no_stats").catalog.tables for c in t.columns)
    errors = [s.plan_error for s in _load("plan_errors").statements if s.plan_error]
    assert any(e.startswith("lock timeout") for e in errors)
    assert any("does not exist" in e for e in errors)
    library = _load("library")
    assert any(s.analyze_plan for s in library.statements) and library.traces


@pytest.mark.parametrize("module", [advisor.capture.filters, advisor.capture.catalog, advisor.trace])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.failed == 0
