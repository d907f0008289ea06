"""Refresh the fixed-seed regression baselines of the herd simulator.

Run after an intended change of the herd model's numbers, and say why in the commit:

    python scripts/refresh_herd_baseline.py

Two baselines:

- ``baseline_nampo.json``: the bundled scenario without what came with the health and
  uncertainty model (no ``[health]``, no transit days, no buck policy, every uncertain value
  at its point value). It pins the core model: the health, transport and buck processes and
  the parameter draws, switched off, leave its numbers exactly as they were;
- ``baseline_nampo_full.json``: the bundled scenario as it is, with its health section and
  one parameter draw per replicate.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "herd" / "data"
BASELINE = DATA / "baseline_nampo.json"
BASELINE_FULL = DATA / "baseline_nampo_full.json"
SETTINGS = {"scenario": "nampo", "replicates": 3, "seed": 20240820}
SETTINGS_FULL = {**SETTINGS, "health": True, "parameter_uncertainty": True}


def core_scenario():
    """The bundled scenario without health, transit days and buck policy."""
    from capra.scenario import bundled_scenario_path, scenario_from_dict

    with open(bundled_scenario_path(SETTINGS["scenario"]), "rb") as f:
        data = tomllib.load(f)
    data.pop("health", None)
    data["policy"].pop("bucks", None)
    for batch in data["batches"]:
        batch.pop("transit_days", None)
    return scenario_from_dict(data)


def _figures(result, settings) -> dict:
    ds = result.data
    daily = [v for v in ds.data_vars if ds[v].dims == ("replicate", "date", "farm")]
    return {
        "settings": settings,
        "totals": {v: [float(x) for x in ds[v].sum(("date", "farm")).values] for v in daily},
        "final_head_by_farm": {str(f): [int(x) for x in ds["head"].isel(date=-1).sel(farm=f).values]
                               for f in ds["farm"].values},
    }


def baseline_figures() -> dict:
    """Totals per variable and replicate of a fixed-seed run of the core scenario."""
    from capra.herd.simulate import simulate

    res = simulate(core_scenario(), replicates=SETTINGS["replicates"], seed=SETTINGS["seed"],
                   parameter_uncertainty=False)
    return _figures(res, SETTINGS)


def full_baseline_figures() -> dict:
    """The same for the bundled scenario as it is, parameter uncertainty on."""
    from capra.herd.simulate import simulate
    from capra.scenario import load_scenario

    res = simulate(load_scenario(SETTINGS["scenario"]), replicates=SETTINGS["replicates"],
                   seed=SETTINGS["seed"])
    return _figures(res, SETTINGS_FULL)


if __name__ == "__main__":
    DATA.mkdir(parents=True, exist_ok=True)
    for path, figures in ((BASELINE, baseline_figures()),
                          (BASELINE_FULL, full_baseline_figures())):
        path.write_text(json.dumps(figures, indent=1) + "\n")
        print(f"wrote {path}")
