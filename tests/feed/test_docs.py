"""The examples in the feed modules' docstrings run as written."""

import doctest
import importlib

import pytest

MODULES = ["capra.feed.requirements", "capra.feed.growth", "capra.feed.presets",
           "capra.feed.resources"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
