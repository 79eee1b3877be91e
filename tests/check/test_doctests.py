"""The runnable examples in the check's docstrings stay true."""

import doctest
import importlib

import pytest

MODULES = ["advisor.check.shape", "advisor.check.settings", "advisor.check.baseline",
           "advisor.check.requests", "advisor.check.compare", "advisor.check.nplusone"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
