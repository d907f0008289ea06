"""From a scenario and simulated milk to the arrays of the planning LP.

* :func:`plan_dates` — the planned days (and a warm-up before them, for a plan from
  today's stock); :func:`from_stock` — a scenario planned from today's stock;
* :func:`supply_from_herd` — deliverable milk per future, farm and day from a herd result;
* :func:`opening_history` — a given opening stock (the scenario's table, or product batches
  from the records), by plant, product and day made;
* :func:`plan_inputs` — the :class:`~capra.planning.problem.PlanInputs` of one supply path.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from capra.errors import ScenarioError
from capra.planning.demand import site_demand
from capra.planning.network import network
from capra.planning.problem import PlanInputs, SupplyLever
from capra.planning.products import ProductTable, product_table

__all__ = ["from_stock", "opening_history", "plan_dates", "plan_inputs", "supply_from_herd"]


def from_stock(scenario):
    """The scenario planned from today's stock (``planning.year = "from_stock"``) instead
    of a repeatable year."""
    return scenario.model_copy(update={"planning": scenario.planning.model_copy(
        update={"year": "from_stock"})})


def plan_dates(scenario) -> tuple[pd.DatetimeIndex, int]:
    """The planned days, warm-up included, and the number of warm-up days.

    The served days run from ``planning.start_date`` (default: 364 days before the
    scenario's last day) for ``planning.days`` (default: to the last day). A warm-up
    (``planning.warmup_days``) comes before them only in a plan from today's stock
    (``planning.year = "from_stock"``): a repeatable year finds its own opening stock.
    """
    s = scenario.planning
    end = pd.Timestamp(scenario.end_date)
    first = pd.Timestamp(s.start_date) if s.start_date is not None \
        else max(end - pd.Timedelta(days=364), pd.Timestamp(scenario.start_date))
    last = first + pd.Timedelta(days=s.days - 1) if s.days is not None else end
    warm = 0 if s.year == "repeatable" else \
        min(s.warmup_days, (first - pd.Timestamp(scenario.start_date)).days)
    return pd.date_range(first - pd.Timedelta(days=warm), last, freq="D", name="date"), warm


def supply_from_herd(herd_result, scenario, dates: pd.DatetimeIndex | None = None,
                     variable: str = "milk_kg") -> np.ndarray:
    """Deliverable milk per future, farm and day, quarantine stations left out.

    Returns an array (replicate, farm, day) in scenario farm order, on ``dates`` (default:
    all the simulated days). ``variable`` names another daily quantity per farm of the
    herd result (e.g. ``milk_fed_kids_kg``). [kg/day]
    """
    da = herd_result.data[variable]
    kind = herd_result.data["kind"].values
    farms = [f for f, k in zip(herd_result.data["farm"].values, kind, strict=True)
             if k != "quarantine"]
    da = da.sel(farm=[f for f in scenario.farm_names if f in farms])
    if dates is not None:
        da = da.sel(date=dates)
    return np.asarray(da.transpose("replicate", "farm", "date").values, dtype=float)


def _table(scenario) -> tuple[ProductTable, object, list[str]]:
    """The products some plant makes, the network restricted to them, and their names."""
    net = network(scenario)
    table = product_table(scenario.products)
    made = net.plant_capacity_kg.sum(axis=0) > 0
    names = [n for n, m in zip(table.names, made, strict=True) if m]
    net = dataclasses.replace(net, plant_capacity_kg=net.plant_capacity_kg[:, made])
    return table.subset(names), net, names


def opening_history(scenario, first_day, stock: pd.DataFrame | None = None) -> np.ndarray:
    """A given opening stock by plant, product and age, (K, P, H): ``[k, p, j]`` was made
    ``j + 1`` days before ``first_day``.

    Parameters
    ----------
    scenario
        The scenario (plants and products).
    first_day
        First planned day. [date]
    stock
        Columns ``plant``, ``product``, ``kg`` and optionally ``made`` (date); default:
        the scenario's ``planning.opening_stock``. A row without a day made is taken as
        just ready (made the day before, or one ripening time before for a product that
        ripens). Stock past its shelf life on ``first_day`` is left out.

    Raises
    ------
    ScenarioError
        A plant or product that the plan does not have, a negative quantity or a day made
        on or after ``first_day``.
    """
    table, net, names = _table(scenario)
    first_day = pd.Timestamp(first_day)
    if stock is None:
        stock = pd.DataFrame([{"plant": s.plant, "product": s.product, "kg": s.kg,
                               "made": None if s.made is None else pd.Timestamp(s.made)}
                              for s in scenario.planning.opening_stock],
                             columns=["plant", "product", "kg", "made"])
    K, P = len(net.plants), len(names)
    if stock.empty:
        return np.zeros((K, P, 1))
    made = stock["made"] if "made" in stock else pd.Series([None] * len(stock))
    rows = []
    for i, (plant, product, kg, day) in enumerate(zip(stock["plant"], stock["product"],
                                                      stock["kg"], made, strict=True)):
        where = f"planning.opening_stock[{i}]"
        if (plant is None or pd.isna(plant)) and len(net.plants) == 1:
            plant = net.plants[0]  # records without a plant: the only plant
        if plant not in net.plants:
            raise ScenarioError(f"{plant!r} is not a plant of this scenario; expected one of "
                                f"{', '.join(net.plants)}", path=f"{where}.plant", value=plant)
        if product not in names:
            raise ScenarioError(f"no plant makes {product!r}; expected one of "
                                f"{', '.join(names)}", path=f"{where}.product", value=product)
        if not np.isfinite(kg) or kg < 0:
            raise ScenarioError("expected a quantity >= 0", path=f"{where}.kg", value=kg)
        p = names.index(product)
        if day is None or pd.isna(day):
            age = max(int(table.ripening_days[p]), 1)
        else:
            age = int((first_day - pd.Timestamp(day)).days)
            if age < 1:
                raise ScenarioError(f"{pd.Timestamp(day).date()} is not before the first "
                                    f"planned day {first_day.date()}", path=f"{where}.made",
                                    value=day)
        if age >= table.life_days[p]:  # past its shelf life on the first planned day
            continue
        rows.append((net.plants.index(plant), p, age, float(kg)))
    if not rows:
        return np.zeros((K, P, 1))
    hist = np.zeros((K, P, max(r[2] for r in rows)))
    for k, p, age, kg in rows:
        hist[k, p, age - 1] += kg
    return hist


def plan_inputs(scenario, supply_kg: np.ndarray, dates: pd.DatetimeIndex,
                warmup_days: int = 0, *, stock_rule: str = "free",
                history: np.ndarray | None = None, years: np.ndarray | None = None,
                levers: tuple[SupplyLever, ...] = ()) -> PlanInputs:
    """Daily :class:`PlanInputs` of a scenario for one supply path.

    Parameters
    ----------
    scenario
        A :class:`capra.scenario.Scenario` with sites, calendars and plants.
    supply_kg
        Deliverable milk per farm and day on ``dates``, (F, T). [kg/day]
    dates
        The days, warm-up first. [date]
    warmup_days
        Leading days on which nothing is served. [days]
    stock_rule
        ``"free"`` (opening stock ``history``, the end free) or ``"cyclic"`` (a repeatable
        turn). [-]
    history
        Opening stock by plant, product and age (see :func:`opening_history`). [kg]
    years
        Programme year of each day, for one enrolment per year. [-]
    levers
        Supply levers for "what binds" (profiles on ``dates``). [-]
    """
    table, net, _ = _table(scenario)
    dem = site_demand(scenario, dates)
    rations = dem.rations.copy()
    open_days = dem.open.astype(float)
    rations[:, :, :warmup_days] = 0.0
    open_days[:, :warmup_days] = 0.0
    return PlanInputs(table, net, pd.DatetimeIndex(dates),
                      np.ones(len(dates), dtype=np.int64), np.asarray(supply_kg, float),
                      rations, open_days, dem.total_children, history=history,
                      stock_rule=stock_rule, years=years, levers=tuple(levers))
