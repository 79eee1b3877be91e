"""Sample parameter values for --analyze-plans, and the version gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.capture.checks import check_server_version
from advisor.capture.samples import sample_params
from advisor.errors import AdvisorError
from advisor.model import Snapshot

LIBRARY = Snapshot.from_json(
    (Path(__file__).parents[2] / "fixtures" / "snapshots" / "library.json").read_text()).catalog


def test_common_values_limit_and_in_lists():
    query = "SELECT * FROM books WHERE genre = $1::text AND id IN ($2, $3) ORDER BY id LIMIT $4"
    live = {("public.books", "id"): "17"}
    values = sample_params(query, LIBRARY, lambda table, column: live.get((table, column)))
    assert values[0] in {"sf", "crime", "poetry"} and values[1:] == ["17", "17", "10"]


def test_function_wrapped_and_reversed_comparisons():
    assert sample_params("SELECT 1 FROM books WHERE $1 = books.genre", LIBRARY)[0] in {
        "sf", "crime", "poetry"}
    query = "SELECT * FROM authors WHERE lower(authors.email) = lower($1)"
    assert sample_params(query, LIBRARY, lambda t, c: "a1@x.org") == ["a1@x.org"]


def test_missing_value_means_no_sample():
    assert sample_params("SELECT id, $1 FROM books", LIBRARY) is None
    assert sample_params("SELECT * FROM books WHERE id = $1", LIBRARY) is None  # no live reader


def test_old_servers_are_refused():
    with pytest.raises(AdvisorError, match="needs 13 or newer"):
        check_server_version(120015, "12.15")
    check_server_version(130000, "13.0")
