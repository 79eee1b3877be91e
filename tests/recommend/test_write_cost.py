"""The write charge of a new index: what each kind of write adds to it."""

from advisor.model import IndexSpec
from advisor.recommend.writes import TableWrites, Update, WriteCost


def _writes(**rows) -> TableWrites:
    return TableWrites("public.sessions", indexes=2, **rows)


def test_inserted_rows_are_charged_one_entry_each():
    assert WriteCost({"public.sessions": _writes(inserted=500)}, 2.0)(IndexSpec("public.sessions", ["token"])) == 1000


def test_deleted_rows_add_no_entry_but_are_reported():
    cost = WriteCost({"public.sessions": _writes(deleted=5000)}, 2.0)
    spec = IndexSpec("public.sessions", ["expires_at"])
    assert cost(spec) == 0
    assert cost.describe(spec)["rows_deleted"] == 5000


def test_an_update_the_index_makes_non_hot_is_charged_every_index_of_the_table():
    writes = _writes(updated=100, updates=[Update("u1", 100, frozenset({"expires_at"}))])
    cost = WriteCost({"public.sessions": writes}, 1.0)
    assert cost(IndexSpec("public.sessions", ["expires_at"])) == 300  # two existing + the new one
    assert cost(IndexSpec("public.sessions", ["token"])) == 0  # the update stays HOT
