"""Scenario builders for the herd tests."""

from __future__ import annotations

import copy
import tomllib

from capra.scenario import bundled_scenario_path, scenario_from_dict


def nampo_dict() -> dict:
    with open(bundled_scenario_path("nampo"), "rb") as f:
        return tomllib.load(f)


def one_farm_dict(*, capacity: int = 100000, horizon_days: int = 730, animals: list[dict],
                  groups: list[dict] | None = None, quarantine_days: int = 0,
                  breed_overrides: dict | None = None, policy: dict | None = None) -> dict:
    """A one-farm scenario with one batch arriving on the first day."""
    data = {
        "name": "test",
        "start_date": "2024-08-01",
        "horizon_days": horizon_days,
        "breed": "saanen",
        "farms": [{"name": "Farm", "district": "D", "capacity_head": capacity,
                   "latitude": 38.9, "longitude": 125.5}],
        "batches": [{"name": "B", "origin": "O", "certificate": "C",
                     "arrival_date": "2024-08-01", "arrival_place": "Farm",
                     "quarantine_days": quarantine_days, "destinations": ["Farm"],
                     "animals": animals}],
        "policy": copy.deepcopy(policy) if policy else {},
    }
    if groups is not None:
        data["policy"]["breeding_groups"] = groups
    if breed_overrides:
        data["breed_overrides"] = breed_overrides
    return data


def build(data: dict):
    import datetime as dt

    def fix(x):  # TOML dates written as strings above
        if isinstance(x, dict):
            return {k: fix(v) for k, v in x.items()}
        if isinstance(x, list):
            return [fix(v) for v in x]
        if isinstance(x, str) and len(x) == 10 and x[4] == "-" and x[7] == "-":
            return dt.date.fromisoformat(x)
        return x
    return scenario_from_dict(fix(data))


