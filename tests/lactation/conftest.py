"""The bundled Saanen lactation parameters, shared by the lactation tests."""

from __future__ import annotations

import tomllib
from importlib import resources
from types import SimpleNamespace

import pytest


@pytest.fixture(scope="module")
def saanen():
    """The [lactation] section of the bundled Saanen breed file, as attributes."""
    path = resources.files("capra") / "data" / "breeds" / "saanen.toml"
    with path.open("rb") as fh:
        section = tomllib.load(fh)["lactation"]
    return SimpleNamespace(**section)
