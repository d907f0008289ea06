"""The expected-value path against the replicate mean of the stochastic simulator.

Both implement docs/herd-model.md from the same compiled parameters, so where the
simulator's nonlinear management rules do not bind (capacity far above the herd, bucks
enough for every doe, every male kid sold) the replicate mean must agree with the mean
path within sampling error, month by month. The one intended nonlinearity left is the
clip of deliverable milk at zero when the kids drink more than the does give: the
simulator clips each replicate, the mean path clips the mean, so milk_kg is compared only
in months where the mean path's milk exceeds the kids' demand by a clear margin.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from capra.herd.mean_path import project_mean
from capra.herd.params import compile_params
from capra.scenario import load_scenario, scenario_from_dict

simulate_module = pytest.importorskip("capra.herd.simulate")

REPLICATES = 500
SEED = 20240801
#: Sampling-error multiple allowed between the replicate mean and the mean path. [-]
Z_LIMIT = 4.0
#: Available milk / kids' demand above which the zero clip of milk_kg cannot bind in
#: practice on any day of a month. [-]
CLIP_MARGIN = 1.2

START = dt.date(2024, 8, 1)


def comparison_scenario():
    """One farm of capacity 100 000, 200 does and doelings and 40 young bucks arriving at a
    quarantine station, the nampo breeding groups (natural season + induced spring), three
    years."""
    nampo = load_scenario("nampo")
    groups = [g.model_dump() for g in nampo.policy.breeding_groups]
    data = {
        "name": "cohort-vs-simulation", "start_date": START, "horizon_days": 3 * 365,
        "breed": "saanen",
        "farms": [{"name": "Farm", "district": "D", "capacity_head": 100_000,
                   "latitude": 38.9, "longitude": 125.5}],
        "batches": [{
            "name": "B", "origin": "O", "certificate": "C",
            "arrival_date": START + dt.timedelta(days=10), "arrival_place": "Station",
            "quarantine_days": 30, "destinations": ["Farm"],
            "animals": [
                {"count": 100, "sex": "female", "age_months_min": 5, "age_months_max": 8,
                 "parity": 0},
                {"count": 100, "sex": "female", "age_months_min": 18,
                 "age_months_max": 36, "parity": 1},
                # enough bucks that no male kid is ever kept (ceil(does / 30) < 40)
                {"count": 40, "sex": "male", "age_months_min": 8, "age_months_max": 12},
            ]}],
        "policy": {"breeding_groups": groups},
    }
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def paths():
    sc = comparison_scenario()
    mean = project_mean(compile_params(sc)).sel(farm="Farm")
    # the point values of the uncertain ones (the mean path follows the point values);
    # the farm feeds as needed, so the herd is the same without the feeding
    # (tests/herd/test_feeding.py, bit for bit), which is left out to save time; the
    # replicates in two batches (the numbers do not depend on the batch size)
    sim = simulate_module.simulate(sc, replicates=REPLICATES, seed=SEED, feed=False,
                                   batch_size=REPLICATES // 2,
                                   parameter_uncertainty=False).data.sel(farm="Farm")
    return sim, mean


def _monthly(ds, var, how):
    x = ds[var].astype(float).resample(date="MS")
    return x.sum() if how == "sum" else x.mean()


@pytest.mark.parametrize("var,how,abs_tol", [
    ("head", "mean", 0.1),
    ("does_in_milk", "mean", 0.1),
    ("does_pregnant", "mean", 0.1),
    ("doelings", "mean", 0.1),
    ("kids", "mean", 0.1),
    ("kiddings", "sum", 0.1),
    ("births", "sum", 0.1),
    ("deaths", "sum", 0.1),
    ("culls", "sum", 0.1),
    ("sales", "sum", 0.1),
    ("milk_gross_kg", "sum", 1.0),
])
def test_monthly_mean_within_sampling_error(paths, var, how, abs_tol):
    sim, mean = paths
    s = _monthly(sim, var, how)
    m = _monthly(mean, var, how)
    mu = s.mean("replicate")
    se = s.std("replicate", ddof=1) / np.sqrt(s.sizes["replicate"])
    diff = np.abs(mu - m)
    bad = diff > Z_LIMIT * se + abs_tol
    assert not bool(bad.any()), (
        f"{var}: months where the simulator mean and the mean path differ by more than "
        f"{Z_LIMIT} SE + {abs_tol}:\n"
        + "\n".join(f"  {str(d)[:7]}: sim {a:.3f} ± {e:.3f}, cohort {b:.3f}"
                    for d, a, b, e, x in zip(mu.date.values, mu.values, m.values, se.values,
                                             bad.values) if x))


def test_deliverable_milk_where_the_clip_cannot_bind(paths):
    sim, mean = paths
    available = mean.milk_gross_kg - mean.milk_colostrum_kg - mean.milk_quarantine_kg
    demand = mean.kids * compile_params(comparison_scenario()).kid_milk_kg_per_day
    ratio = (available / demand.where(demand > 0)).fillna(np.inf).resample(date="MS").min()
    ok = ratio >= CLIP_MARGIN
    assert int(ok.sum()) >= 30                      # most of the 36 months are compared
    s = _monthly(sim, "milk_kg", "sum")
    m = _monthly(mean, "milk_kg", "sum")
    mu = s.mean("replicate")
    se = s.std("replicate", ddof=1) / np.sqrt(s.sizes["replicate"])
    diff = np.abs(mu - m)
    bad = (diff > Z_LIMIT * se + 1.0) & ok
    assert not bool(bad.any()), "\n".join(
        f"  {str(d)[:7]}: sim {a:.1f} ± {e:.1f}, cohort {b:.1f}"
        for d, a, b, e, x in zip(mu.date.values, mu.values, m.values, se.values, bad.values)
        if x)
    # where the mean path clips, the replicate mean is higher (E[max(X, 0)] >= max(E X, 0))
    assert bool((mu >= m - Z_LIMIT * se - 1.0).all())
