"""Compiled daily parameters: the calendar of the breeding windows, the calendar's fields."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from capra.herd.params import calendar, calendar_fields, compile_params
from herd_scenarios import build, one_farm_dict


def test_a_window_from_29_february_opens_on_28_february_in_common_years():
    """The scenario's rule (docs/scenario.md, ``window_start``) is the herd model's."""
    group = {"name": "leap", "share": 1.0, "method": "natural", "window_start": "02-29",
             "window_days": 3}
    data = one_farm_dict(horizon_days=3 * 365, groups=[group], animals=[
        {"count": 1, "sex": "female", "age_months_min": 24, "age_months_max": 24,
         "parity": 1}])
    params = compile_params(build(data))
    dates = pd.DatetimeIndex(params.dates)
    opens = [str(d.date()) for d in dates[params.window_first_day[0]]]
    assert opens == ["2025-02-28", "2026-02-28", "2027-02-28"]
    data["start_date"] = "2027-08-01"
    data["batches"][0]["arrival_date"] = "2027-08-01"
    params = compile_params(build(data))
    dates = pd.DatetimeIndex(params.dates)
    assert str(dates[params.window_first_day[0]][0].date()) == "2028-02-29"
    assert int(params.in_window[0].sum()) == 3 * 3


def test_calendar_fields_are_pandas_fields():
    dates = calendar(dt.date(2027, 12, 30), 900)                # 2028 is a leap year
    assert dates is calendar(dt.date(2027, 12, 30), 900)          # made once
    year, month, day = calendar_fields(dates)
    for ours, theirs in ((year, dates.year), (month, dates.month), (day, dates.day)):
        np.testing.assert_array_equal(ours, theirs.to_numpy())
    assert not month.flags.writeable
    with pytest.raises(ValueError, match="consecutive days"):
        calendar_fields(dates[::2])
