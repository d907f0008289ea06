"""Kids born in quarantine leave it with their dam's batch: simulator and mean path agree."""

import numpy as np

from capra.herd.mean_path import project_mean
from capra.herd.params import compile_params
from capra.herd.simulate import simulate
from herd_scenarios import build, one_farm_dict


def test_kids_born_in_quarantine_are_released_with_the_batch():
    data = one_farm_dict(horizon_days=200, quarantine_days=60, animals=[
        {"count": 300, "sex": "female", "age_months_min": 20, "age_months_max": 30,
         "parity": 1, "pregnant": True, "kidding_from": "2024-08-15",
         "kidding_to": "2024-09-10"},
        {"count": 20, "sex": "male", "age_months_min": 20, "age_months_max": 30}])
    data["farms"].append({"name": "Farm2", "district": "D", "capacity_head": 100000,
                          "latitude": 38.0, "longitude": 125.0})
    data["batches"][0].update(arrival_place="Station", destinations=["Farm", "Farm2"])
    sc = build(data)
    n = 200
    res = simulate(sc, replicates=n, seed=5)
    mean = project_mean(compile_params(sc))
    station = res.data["head"].sel(farm="Station")
    assert int(res.data["births"].sel(farm="Station").sum()) > 0        # kids born there
    assert (station.isel(date=slice(60, None)).values == 0).all()       # and all left
    for v in ("head", "kids", "births", "transfers_in", "sales"):
        totals = res.data[v].sum("date")
        se = totals.std("replicate").values / np.sqrt(n)
        gap = totals.mean("replicate").values - mean[v].sum("date").values
        assert (np.abs(gap) <= 4 * se + 1e-6).all(), (v, gap, se)
