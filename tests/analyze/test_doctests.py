"""The runnable examples opening the docstrings of analyze, config and the rules stay true."""

import doctest
import importlib
import pkgutil

import pytest

import advisor.analyze
import rules

MODULES = (["advisor.analyze", "advisor.config"]
           + [f"advisor.analyze.{m.name}" for m in pkgutil.iter_modules(advisor.analyze.__path__)]
           + ["rules"] + [f"rules.{m.name}" for m in pkgutil.iter_modules(rules.__path__)
                          if m.name not in ("_base", "_common", "_docs")])


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
