"""Refresh the fixed-seed regression baseline of the herd simulator.

Run after an intended change of the herd model's numbers, and say why in the commit:

    python scripts/refresh_herd_baseline.py
"""

from __future__ import annotations

import json
from pathlib import Path

BASELINE = Path(__file__).resolve().parents[1] / "tests" / "herd" / "data" / "baseline_nampo.json"
SETTINGS = {"scenario": "nampo", "replicates": 3, "seed": 20240820}


def baseline_figures() -> dict:
    """Totals per variable and replicate of a fixed-seed run of the bundled scenario."""
    from capra.herd.simulate import simulate
    from capra.scenario import load_scenario

    res = simulate(load_scenario(SETTINGS["scenario"]), replicates=SETTINGS["replicates"],
                   seed=SETTINGS["seed"])
    ds = res.data
    return {
        "settings": SETTINGS,
        "totals": {v: [float(x) for x in ds[v].sum(("date", "farm")).values] for v in ds.data_vars
                   if ds[v].dims == ("replicate", "date", "farm")},     # the daily herd
        "final_head_by_farm": {str(f): [int(x) for x in ds["head"].isel(date=-1).sel(farm=f).values]
                               for f in ds["farm"].values},
    }


if __name__ == "__main__":
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE.write_text(json.dumps(baseline_figures(), indent=1) + "\n")
    print(f"wrote {BASELINE}")
