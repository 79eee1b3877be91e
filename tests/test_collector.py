"""fewer_collections: the threshold is raised inside and restored after, even on an error."""

import gc

import pytest

from advisor.collector import fewer_collections


def test_the_threshold_is_raised_then_restored_even_after_an_error():
    before = gc.get_threshold()
    with fewer_collections(threshold=12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(ValueError), fewer_collections(threshold=54_321):
        raise ValueError("boom")
    assert gc.get_threshold() == before
