"""Fixtures of the planning tests."""

from __future__ import annotations

import pytest
from plan_checks import tiny

from capra.scenario import scenario_from_dict


@pytest.fixture
def make():
    """Build a Scenario from :func:`tiny`'s arguments."""
    def _make(*args, **kw):
        return scenario_from_dict(tiny(*args, **kw))
    return _make
