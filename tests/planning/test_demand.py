"""Operating calendars and demand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from capra.planning.demand import operating_days, site_demand
from capra.scenario import Calendar, load_scenario


def test_weekdays_holidays_and_a_vacation_over_the_new_year():
    cal = Calendar(name="s", weekdays=(1, 2, 3, 4, 5, 6), holidays=("03-01",),
                   closed=({"start": "12-30", "end": "01-02"},))
    dates = pd.date_range("2024-12-28", "2025-03-02")
    open_ = pd.Series(operating_days(cal, dates), index=dates)
    assert open_["2024-12-28"]                      # Saturday
    assert not open_["2024-12-29"]                  # Sunday
    assert not open_[["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"]].any()
    assert open_["2025-01-03"]
    assert not open_["2025-03-01"]                  # holiday, a Saturday


def test_nampo_demand():
    sc = load_scenario("nampo")
    dates = pd.date_range("2029-01-01", "2029-12-31")
    dem = site_demand(sc, dates)
    assert dem.total_children == sum(s.children.total for s in sc.sites)
    school = dem.sites.index("Kangso schools")
    kinder = dem.sites.index("Kangso kindergartens")
    # schools close in the winter and summer vacations, kindergartens do not
    winter = (dates >= "2029-01-15") & (dates <= "2029-02-14")
    assert not dem.open[school, winter].any()
    assert dem.open[kinder, winter].sum() > 20
    # rations = children x attendance on operating days
    day = np.flatnonzero(dem.open[school])[0]
    assert dem.rations[school, 2, day] == 1627 * 0.95
    assert (dem.rations[:, :, ~dem.open.any(axis=0)] == 0).all()
    frame = dem.to_frame()
    assert len(frame) == len(dem.sites) * 3 * len(dates)
