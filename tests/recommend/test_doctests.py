"""The runnable examples opening the docstrings of the recommend modules stay true."""

import doctest
import importlib

import pytest

MODULES = ["advisor.recommend", "advisor.recommend.compress", "advisor.recommend.prune",
           "advisor.recommend.select", "advisor.recommend.trigram_size", "advisor.recommend.explain",
           "advisor.recommend.robust", "advisor.recommend.samples", "advisor.recommend.candidates",
           "advisor.recommend.containment"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
