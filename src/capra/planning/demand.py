"""Operating calendars and children's demand for rations, per site, age group and day.

A site serves children on the weekdays of its calendar, except on public holidays and in
yearly closures (vacations). On an operating day every enrolled child present gets one
ration (one serving of any product, sized for the child's age group; see
:mod:`capra.planning.products`).

>>> import pandas as pd
>>> from capra.scenario import Calendar
>>> cal = Calendar(name="k", weekdays=(1, 2, 3, 4, 5), holidays=("01-01",))
>>> operating_days(cal, pd.date_range("2025-01-01", periods=5)).tolist()
[False, True, True, False, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from capra.scenario import AGE_GROUPS

__all__ = ["SiteDemand", "operating_days", "programme_years", "site_demand"]


def _month_day_number(text: str) -> int:
    """``"MM-DD"`` as month * 100 + day (``"02-29"`` -> 229)."""
    month, day = text.split("-")
    return int(month) * 100 + int(day)


def operating_days(calendar, dates: pd.DatetimeIndex) -> np.ndarray:
    """Whether a site with ``calendar`` serves children on each date.

    Parameters
    ----------
    calendar
        A :class:`capra.scenario.Calendar`.
    dates
        The days. [date]

    Returns
    -------
    numpy.ndarray
        Boolean, one per date; True on an operating day. [-]
    """
    dates = pd.DatetimeIndex(dates)
    md = dates.month.to_numpy() * 100 + dates.day.to_numpy()
    open_ = np.isin(dates.isocalendar().day.to_numpy(), list(calendar.weekdays))
    if calendar.holidays:
        open_ &= ~np.isin(md, [_month_day_number(h) for h in calendar.holidays])
    for period in calendar.closed:
        start, end = _month_day_number(period.start), _month_day_number(period.end)
        closed = (md >= start) & (md <= end) if start <= end else (md >= start) | (md <= end)
        open_ &= ~closed
    return open_


@dataclass(frozen=True)
class SiteDemand:
    """Children's rations wanted per site, age group and day.

    Attributes
    ----------
    sites
        Site names, length S. [-]
    dates
        The planned days, length T. [date]
    children
        Enrolled children, (S, G). [children]
    attendance
        Share of enrolled children present, (S,). [fraction]
    open
        Operating days, (S, T). [-]
    rations
        Rations wanted at full enrolment: children x attendance on operating days,
        0 otherwise, (S, G, T). [rations/day]
    """

    sites: tuple[str, ...]
    dates: pd.DatetimeIndex
    children: np.ndarray
    attendance: np.ndarray
    open: np.ndarray
    rations: np.ndarray
    age_groups: tuple[str, ...] = AGE_GROUPS

    @property
    def total_children(self) -> float:
        """All enrolled children of all sites. [children]"""
        return float(self.children.sum())

    def to_frame(self) -> pd.DataFrame:
        """Long table: site, age group, date, operating flag and rations wanted."""
        s, g, t = np.meshgrid(np.arange(len(self.sites)), np.arange(len(self.age_groups)),
                              np.arange(len(self.dates)), indexing="ij")
        return pd.DataFrame({"site": np.asarray(self.sites, dtype=object)[s.ravel()],
                             "age_group": np.asarray(self.age_groups, dtype=object)[g.ravel()],
                             "date": self.dates[t.ravel()],
                             "operating": self.open[s.ravel(), t.ravel()],
                             "rations": self.rations.ravel()})


def site_demand(scenario, dates: pd.DatetimeIndex) -> SiteDemand:
    """Demand of the scenario's sites on ``dates``.

    Parameters
    ----------
    scenario
        A :class:`capra.scenario.Scenario` with ``sites`` and ``calendars``.
    dates
        The planned days. [date]
    """
    dates = pd.DatetimeIndex(dates)
    calendars = {c.name: c for c in scenario.calendars}
    by_calendar = {name: operating_days(cal, dates) for name, cal in calendars.items()}
    sites = scenario.sites
    if not sites:
        empty = np.zeros((0, len(AGE_GROUPS)))
        return SiteDemand((), dates, empty, np.zeros(0), np.zeros((0, len(dates)), bool),
                          np.zeros((0, len(AGE_GROUPS), len(dates))))
    children = np.array([[getattr(s.children, g) for g in AGE_GROUPS] for s in sites],
                        dtype=float)
    attendance = np.array([s.attendance for s in sites], dtype=float)
    open_ = np.stack([by_calendar[s.calendar] for s in sites])
    rations = (children * attendance[:, None])[:, :, None] * open_[:, None, :]
    return SiteDemand(tuple(s.name for s in sites), dates, children, attendance, open_, rations)


def programme_years(scenario) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The programme's years, ``(first day, last day)``, that end within the simulation.

    The first year begins on the first operating day of any site on or after the day the
    first batch of animals leaves quarantine; each year lasts a calendar year from there.
    Without batches, the programme begins on the scenario's first operating day.
    """
    start = pd.Timestamp(scenario.start_date)
    if scenario.batches:
        start = max(start, min(pd.Timestamp(b.quarantine_end_date) for b in scenario.batches))
    end = pd.Timestamp(scenario.end_date)
    if start > end or not scenario.sites:
        return []
    dates = pd.date_range(start, end, freq="D")
    calendars = {c.name: c for c in scenario.calendars}
    used = {s.calendar for s in scenario.sites}
    open_any = np.zeros(len(dates), bool)
    for name in used:
        open_any |= operating_days(calendars[name], dates)
    if not open_any.any():
        return []
    first = dates[int(np.argmax(open_any))]
    years = []
    y = 0
    while True:
        a = first + pd.DateOffset(years=y)
        b = first + pd.DateOffset(years=y + 1) - pd.Timedelta(days=1)
        if b > end:
            return years
        years.append((pd.Timestamp(a), pd.Timestamp(b)))
        y += 1
