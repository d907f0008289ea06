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
    # product: made + opening = shipped + wasted + closing stock
    made = sol["production"].sum(axis=2) + inputs.opening_stock
    out = sol["shipment"].sum(axis=(1, 3)) + sol["waste"].sum(axis=2) + sol["stock"][:, :, -1]
    np.testing.assert_allclose(made, out, atol=1e-4)
    # servings weigh what was shipped
    weight = np.einsum("sgpt,pg->spt", sol["servings"], inputs.products.serving_kg)
    np.testing.assert_allclose(weight, sol["shipment"].sum(axis=0), atol=TOL)


def check_shelf_life(inputs, sol):
    """Replay each store oldest first: nothing shipped past its shelf life, and nothing
    kept overnight that could not be served the next day."""
    K, P, T = sol["production"].shape
    for k in range(K):
        for p in range(P):
            life = int(inputs.products.shelf_life_days[p])
            lots: deque = deque()  # [day made, kg]
            for t in range(T):
                if sol["production"][k, p, t] > TOL:
                    lots.append([t, sol["production"][k, p, t]])
                need = sol["shipment"][k, :, p, t].sum() + sol["waste"][k, p, t]
                shipped = sol["shipment"][k, :, p, t].sum()
                taken = 0.0
                while need > TOL:
                    if not lots and need < 1e-4:  # solver round-off
                        break
                    assert lots, f"product {p} day {t}: more out than in stock"
                    day, kg = lots[0]
                    use = min(kg, need)
                    if taken < shipped - TOL and t - day > life - 1:
                        # shipments come first from the oldest lots; allow round-off only
                        late = min(use, shipped - taken)
                        assert late <= 1e-4, (
                            f"{late:.6g} kg of {inputs.products.names[p]} made on day {day} "
                            f"shipped on day {t}: past its shelf life of {life} days")
                    taken += use
                    need -= use
                    lots[0][1] -= use
                    if lots[0][1] <= 1e-9:
                        lots.popleft()
                left = sum(kg for _, kg in lots)
                assert abs(left - sol["stock"][k, p, t]) < 1e-4
                for day, kg in lots:
                    assert t + 1 - day <= life - 1 or kg <= 1e-4, (
                        f"{inputs.products.names[p]} made on day {day} still in stock at "
                        f"the end of day {t}, when it cannot be served the next day")


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
    for c, name in enumerate(("chilled", "frozen", "ambient")):
        idx = [i for i, s in enumerate(prods.storage) if s == name]
        if idx:
            assert np.all(sol["stock"][:, idx, :].sum(axis=1)
                          <= net.plant_storage_kg[:, c][:, None] + TOL)
    load = sol["shipment"].sum(axis=2)  # (K, S, T)
    assert np.all(load <= net.plant_site_capacity_kg[:, :, None] * days + TOL)
    cold = np.array([s != "ambient" for s in prods.storage])
    cold_load = sol["shipment"][:, :, cold, :].sum(axis=(0, 2))
    assert np.all(cold_load <= net.site_cold_kg[:, None] * days + TOL)


def check_all(inputs, sol):
    check_mass_balance(inputs, sol)
    check_shelf_life(inputs, sol)
    check_closed_days(inputs, sol)
    check_capacities(inputs, sol)
