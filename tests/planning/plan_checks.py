"""Small scenarios and independent solution checks for the planning tests."""

from __future__ import annotations

import copy
from collections import deque

import numpy as np

#: Absolute tolerance of the solution checks. [kg or rations]
TOL = 1e-5

ALL_WEEK = {"name": "all", "weekdays": [1, 2, 3, 4, 5, 6, 7]}


def tiny(days: int = 10, *, products: dict | None = None, storage: dict | None = None,
         sites: list | None = None, start: str = "2025-01-06", calendars=None,
         farms: int = 1, **extra) -> dict:
    """A scenario table with ``farms`` farms, one plant and (by default) one site of 100
    school children; planning covers all ``days`` days from ``start``."""
    farm_list = [{"name": f"F{i}", "district": "d", "capacity_head": 10,
                  "latitude": 38.9 + 0.01 * i, "longitude": 125.5} for i in range(farms)]
    data = {
        "name": "tiny", "start_date": start, "horizon_days": days, "breed": "saanen",
        "farms": farm_list,
        "calendars": calendars or [ALL_WEEK],
        "sites": sites or [{"name": "S", "kind": "school", "latitude": 38.9,
                            "longitude": 125.5, "calendar": "all",
                            "children": {"age_6_11": 100}}],
        "plants": [{"name": "P", "latitude": 38.9, "longitude": 125.5,
                    "capacity_kg_per_day": products or {"fresh_milk": 1e6},
                    "storage_kg": storage or {}}],
        "transport": {"capacity_kg_per_day": 1e9},
        "planning": {"start_date": start},
    }
    data.update(copy.deepcopy(extra))
    return data


# --------------------------------------------------------------------------------------
# Independent checks of a dispatch (written without the model's code)
# --------------------------------------------------------------------------------------

def check_mass_balance(inputs, sol):
    """Milk in = milk collected + not collected; milk collected = milk in products."""
    supply = inputs.supply_kg
    collected = sol["raw_to_plant"].sum(axis=1)  # (F, T)
    np.testing.assert_allclose(collected + sol["raw_not_collected"], supply, atol=TOL)
    milk_used = np.einsum("kpt,p->kt", sol["production"], inputs.products.milk_kg_per_kg)
    np.testing.assert_allclose(milk_used, sol["raw_to_plant"].sum(axis=0), atol=TOL)
    # product: made (ready within the days) + opening = shipped + wasted + closing stock
    T = supply.shape[1]
    ripe = inputs.products.ripening_days
    made = sol["opening_stock"].copy()
    for p, r in enumerate(ripe):
        if inputs.stock_rule == "cyclic":  # the last r days' output is ready next turn
            made[:, p] += sol["production"][:, p, :].sum(axis=1)
        else:
            made[:, p] += sol["production"][:, p, :max(T - r, 0)].sum(axis=1)
    if inputs.stock_rule == "free":  # opening lots still ripening count when they ripen
        hist = inputs.history
        ages = np.arange(1, hist.shape[2] + 1)
        for p, r in enumerate(ripe):
            late = (ages < r) & (r - ages > T - 1)  # ready only after the last day
            made[:, p] -= hist[:, p, late].sum(axis=1)
    out = sol["shipment"].sum(axis=(1, 3)) + sol["waste"].sum(axis=2) + sol["stock"][:, :, -1]
    np.testing.assert_allclose(made, out, atol=1e-4)
    # servings weigh what was shipped
    weight = np.einsum("sgpt,pg->spt", sol["servings"], inputs.products.serving_kg)
    np.testing.assert_allclose(weight, sol["shipment"].sum(axis=0), atol=TOL)


def _opening_lots(inputs, sol, k, p):
    """(made day, kg) of the stock at the start: the given lots, or in a cyclic plan the
    newest ready output of the end of the turn (first in, first out) and the output of
    its last days still ripening."""
    T = sol["production"].shape[2]
    r = int(inputs.products.ripening_days[p])
    if inputs.stock_rule != "cyclic":
        hist = inputs.history[k, p]
        return [[-(j + 1), kg] for j, kg in enumerate(hist) if kg > 0][::-1]
    y = sol["production"][k, p]
    lots = [[d - T, y[d]] for d in range(T - r, T) if y[d] > 0]  # still ripening
    want, ready = sol["opening_stock"][k, p], []
    for d in range(T - 1 - r, -1, -1):
        if want <= TOL:
            break
        take = min(y[d], want)
        if take > 0:
            ready.append([d - T, take])
        want -= take
    assert want <= 1e-4, "the opening stock is more than the output of a whole turn"
    return ready[::-1] + lots


def check_shelf_life(inputs, sol, turns: int = 2):
    """Replay each store oldest first: nothing shipped before it is ready or past its
    shelf life, and nothing kept overnight that could not be served the next day. A
    cyclic plan is replayed ``turns`` times in a row, each turn from the lots the one
    before left (its surplus over the opening stock thrown away, oldest first): the
    shelf life holds across the year's end."""
    K, P, T = sol["production"].shape
    cyclic = inputs.stock_rule == "cyclic"
    for k in range(K):
        for p in range(P):
            r = int(inputs.products.ripening_days[p])
            life = r + int(inputs.products.shelf_life_days[p])
            lots = deque(_opening_lots(inputs, sol, k, p))  # [day made, kg], oldest first
            for turn in range(turns if cyclic else 1):
                if turn:  # the next turn: throw away the oldest ready surplus
                    surplus = sum(kg for d, kg in lots if d + r <= turn * T - 1) \
                        - sol["opening_stock"][k, p]
                    assert surplus >= -1e-4, "closing stock below the opening stock"
                    while surplus > 1e-9 and lots:
                        use = min(lots[0][1], surplus)
                        lots[0][1] -= use
                        surplus -= use
                        if lots[0][1] <= 1e-9:
                            lots.popleft()
                for t in range(T):
                    a = turn * T + t
                    if sol["production"][k, p, t] > TOL:
                        lots.append([a, sol["production"][k, p, t]])
                    shipped = sol["shipment"][k, :, p, t].sum()
                    need = shipped + sol["waste"][k, p, t]
                    taken = 0.0
                    ready = [lot for lot in lots if lot[0] + r <= a]
                    while need > TOL:
                        if not ready and need < 1e-4:  # solver round-off
                            break
                        assert ready, f"product {p} day {t}: more out than in stock"
                        lot = ready[0]
                        use = min(lot[1], need)
                        if taken < shipped - TOL and a - lot[0] > life - 1:
                            late = min(use, shipped - taken)
                            assert late <= 1e-4, (
                                f"{late:.6g} kg of {inputs.products.names[p]} made on day "
                                f"{lot[0]} shipped on day {a}: past its shelf life")
                        taken += use
                        need -= use
                        lot[1] -= use
                        if lot[1] <= 1e-9:
                            ready.pop(0)
                    lots = deque(lot for lot in lots if lot[1] > 1e-9)
                    left = sum(kg for d, kg in lots if d + r <= a)
                    assert abs(left - sol["stock"][k, p, t]) < 1e-4, (
                        f"{inputs.products.names[p]} day {t}: replayed stock {left:.6g} kg "
                        f"against {sol['stock'][k, p, t]:.6g} kg")
                    for d, kg in lots:
                        assert d + r > a or a + 1 - d <= life - 1 or kg <= 1e-4, (
                            f"{inputs.products.names[p]} made on day {d} still in stock "
                            f"at the end of day {a}, when it cannot be served the next day")


def check_repeatable(inputs, sol):
    """A cyclic plan ends with at least the stock it began with, product by product."""
    assert inputs.stock_rule == "cyclic"
    assert np.all(sol["stock"][:, :, -1] >= sol["opening_stock"] - 1e-5)


def check_closed_days(inputs, sol):
    """No servings and no deliveries on a site's closed days."""
    closed = inputs.open_days == 0  # (S, T)
    served = sol["servings"].sum(axis=(1, 2))
    assert np.all(served[closed] <= TOL)
    assert np.all(sol["shipment"].sum(axis=(0, 2))[closed] <= TOL)


def check_capacities(inputs, sol):
    """Plant output, intake and storage; route loads; site cold storage."""
    net, prods = inputs.net, inputs.products
    days = inputs.period_days
    assert np.all(sol["production"] <= net.plant_capacity_kg[:, :, None] * days + TOL)
    intake = sol["raw_to_plant"].sum(axis=0)
    assert np.all(intake <= net.plant_intake_kg[:, None] * days + TOL)
    assert np.all(sol["raw_to_plant"] <= net.farm_plant_capacity_kg[:, :, None] * days + TOL)
    held = sol["stock"].copy()  # ready stock plus output still ripening
    for p, r in enumerate(prods.ripening_days):
        for lag in range(int(r)):
            moved = np.roll(sol["production"][:, p, :], lag, axis=1)
            if inputs.stock_rule != "cyclic":
                moved[:, :lag] = 0.0
            held[:, p, :] += moved
    for c, name in enumerate(("chilled", "frozen", "ambient")):
        idx = [i for i, s in enumerate(prods.storage) if s == name]
        if idx:
            assert np.all(held[:, idx, :].sum(axis=1)
                          <= net.plant_storage_kg[:, c][:, None] + TOL)
    load = sol["shipment"].sum(axis=2)  # (K, S, T)
    assert np.all(load <= net.plant_site_capacity_kg[:, :, None] * days + TOL)
    cold = np.array([s != "ambient" for s in prods.storage])
    cold_load = sol["shipment"][:, :, cold, :].sum(axis=(0, 2))
    assert np.all(cold_load <= net.site_cold_kg[:, None] * days + TOL)


def check_all(inputs, sol):
    if inputs.stock_rule == "cyclic":
        check_repeatable(inputs, sol)
    check_mass_balance(inputs, sol)
    check_shelf_life(inputs, sol)
    check_closed_days(inputs, sol)
    check_capacities(inputs, sol)
