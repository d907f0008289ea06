"""Fixtures of the herd tests."""

import pytest

from herd_scenarios import build, nampo_dict


@pytest.fixture(scope="session")
def nampo():
    return build(nampo_dict())
