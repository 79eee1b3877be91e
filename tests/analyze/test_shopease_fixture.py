"""The committed ShopEase snapshot (fixtures/snapshots/shopease.json), analysed offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.analyze import analyze
from advisor.model import Snapshot
from app_under_test.planted import by_kind
from tests.analyze.test_shopease import CONFIG, findings, keys

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures/snapshots/shopease.json"
pytestmark = pytest.mark.skipif(not FIXTURE.is_file(), reason="no ShopEase snapshot fixture yet")


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    return Snapshot.from_json(FIXTURE.read_text())


@pytest.fixture(scope="module")
def analysis(snapshot):
    return analyze(snapshot, CONFIG)


def test_core_indexes_found(analysis):
    for plant in by_kind("missing_index"):
        if plant.id in ("P11", "P12"):  # small tables: below the threshold at small scales
            continue
        found = [keys(f.evidence["index_columns"]) for f in findings(analysis, "missing-index", f"public.{plant.table}")]
        fk = findings(analysis, "fk-without-index", f"public.{plant.table}")
        assert any(k[:1] == keys(plant.columns)[:1] for k in found) or fk, (plant.id, found)


def test_expression_trigram_and_drops(analysis):
    assert findings(analysis, "function-on-column", "public.users")
    assert findings(analysis, "leading-wildcard-like", "public.products")
    assert {f.evidence["index"] for f in findings(analysis, "redundant-index")} == {"public.ix_products_status"}


def test_n_plus_one(snapshot, analysis):
    found = findings(analysis, "n-plus-one")
    if snapshot.traces:
        tables = {f.table for f in found if f.evidence.get("kind") == "read"}
        assert {f"public.{p.table}" for p in by_kind("n_plus_one")} <= tables
    else:
        assert all(f.confidence == "low" for f in found)
