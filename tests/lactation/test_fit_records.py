"""Tests of capra.lactation.records: the herd's curves fitted to the records, known curves recovered within their intervals."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
from shared_records import EXAMPLE_SEED as SEED

from capra.errors import DataError
from capra.lactation import wood, wood_extended
from capra.lactation.records import (
    fit_does,
    fit_lactations,
    lactation_overrides,
    scenario_with_fits,
    write_breed_overrides,
)
from capra.scenario import load_scenario, scenario_from_dict
from capra.store.query import lactation_records


@pytest.fixture(scope="module")
def db(example_records):
    return example_records[2]


@pytest.fixture(scope="module")
def fits(db):
    return fit_lactations(db)


def _synthetic(rng, params, *, n_does=60, effect_cv=0.2, noise_cv=0.05, dims=None,
               curve=wood, parity=1):
    """Test days of ``n_does`` lactations of one class: curve x doe effect x noise."""
    dims = np.arange(10, 300, 30) if dims is None else np.asarray(dims)
    sigma = np.sqrt(np.log1p(effect_cv ** 2))
    effect = np.exp(rng.normal(-sigma ** 2 / 2, sigma, n_does))
    doe = np.repeat(np.arange(n_does), dims.size)
    t = np.tile(dims, n_does) + rng.integers(0, 5, doe.size)
    y = curve(t, *params) * effect[doe] * np.exp(rng.normal(0, noise_cv, doe.size))
    tag = pd.Series(doe).map("D{:04d}".format)
    return pd.DataFrame({"tag": tag, "date": pd.Timestamp("2025-01-01"), "milk_kg": y,
                         "kidding_date": pd.Timestamp("2024-10-01"), "dim": t,
                         "parity": parity, "parity_class": min(parity, 3),
                         "lactation": tag + "/2024-10-01"})


def test_test_days_placed_in_their_lactation_as_simulated(db):
    from capra.examples.records import _records_scenario
    from capra.herd.simulate import simulate_events

    rec = lactation_records(db)
    ev = simulate_events(_records_scenario(load_scenario("nampo"), 2), seed=SEED,
                         parameter_uncertainty=False)["test_days"]
    sim = pd.DataFrame({"tag": ev["uid"].map("NP-{:06d}".format), "date": ev["date"],
                        "sim_dim": ev["dim"]})
    m = rec.merge(sim, on=["tag", "date"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()
    assert (m["dim"] == m["sim_dim"]).all()
    assert set(rec["parity_class"]) == {1, 2, 3}
    # parity counts the kiddings: a doe's parity never falls from one test day to the next
    assert (rec.groupby("tag")["parity"].diff().dropna() >= 0).all()


def test_class_fits_recover_the_breed_curves_within_their_intervals(fits):
    """The example records are simulated from the Saanen curves with a lognormal doe
    effect (CV 0.20): every Wood parameter of every parity class lies in its robust
    95 % interval, and the between-doe CV is recovered."""
    lac = load_scenario("nampo").breed.lactation
    assert set(fits.wood) == {1, 2, 3}
    for cls, f in fits.wood.items():
        true = {"a": lac.wood_a[cls - 1], "b": lac.wood_b[cls - 1], "c": lac.wood_c[cls - 1]}
        for k, v in true.items():
            lo, hi = f.ci95[k]
            assert lo < v < hi, (cls, k, v, f.ci95[k])
        assert f.n_lactations > 50
        assert set(f.determined) == {"a", "b", "c"}
    assert 0.17 < fits.effect_cv < 0.23
    assert fits.records["dim"].max() > fits.wood_max_dim_days


def test_per_doe_fits_of_the_simulated_does(fits):
    does = fits.does
    assert len(does) > 100
    assert (does["n"] >= 6).all()
    assert does["converged"].mean() > 0.95
    # simulated test days have no noise beyond rounding to 0.1 kg: residuals are tiny and
    # each doe's b, c are her class's (the doe effect only scales a)
    lac = load_scenario("nampo").breed.lactation
    assert does["rmse"].median() < 0.04
    b_true = np.asarray(lac.wood_b)[does["parity_class"] - 1]
    inside = (does["b_low"] < b_true) & (b_true < does["b_high"])
    assert inside.mean() > 0.85


def test_robust_intervals_cover_the_truth():
    """Over repeated synthetic samples with doe effects, the robust 95 % interval of each
    parameter covers the truth about 95 % of the time, and is not wider than it must be."""
    true = (1.8, 0.19, 0.0045)
    robust, width = [], []
    for i in range(40):
        rec = _synthetic(np.random.default_rng(i), true, n_does=40, noise_cv=0.03)
        f = fit_lactations(None, records=rec).wood[1]
        robust.append([f.ci95[k][0] < v < f.ci95[k][1] for k, v in zip("abc", true)])
        width.append(f.ci95["a"][1] - f.ci95["a"][0])
    robust = np.mean(robust, axis=0)
    assert (robust >= 0.85).all(), robust
    # a doe effect of CV 0.2 over 40 does: se(a) about 1.8 * 0.2 / sqrt(40) = 0.057
    assert 0.15 < np.mean(width) < 0.35


def test_per_doe_batched_fit_recovers_each_doe():
    rng = np.random.default_rng(3)
    n = 30
    a, b, c = rng.uniform(1.2, 2.5, n), rng.uniform(0.1, 0.3, n), rng.uniform(0.002, 0.006, n)
    dims = np.arange(8, 300, 25)
    doe = np.repeat(np.arange(n), dims.size)
    t = np.tile(dims, n)
    tag = pd.Series(doe).map("D{:03d}".format)
    rec = pd.DataFrame({"tag": tag, "milk_kg": wood(t, a[doe], b[doe], c[doe]), "dim": t,
                        "kidding_date": pd.Timestamp("2025-01-01"), "parity": 2,
                        "parity_class": 2, "lactation": tag + "/x"})
    out = fit_does(rec, min_test_days=6).set_index("tag").loc[sorted(set(tag))]
    np.testing.assert_allclose(out["a"], a, rtol=1e-4)
    np.testing.assert_allclose(out["b"], b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out["c"], c, rtol=1e-4)
    assert out["converged"].all()
    # with test-day noise, the per-doe intervals cover the truth about 95 % of the time
    rng = np.random.default_rng(4)
    noisy = rec.assign(milk_kg=rec["milk_kg"] * np.exp(rng.normal(0, 0.05, len(rec))))
    out = fit_does(pd.concat([noisy.assign(lactation=noisy["lactation"] + str(k),
                                           milk_kg=noisy["milk_kg"]
                                           * np.exp(rng.normal(0, 0.05, len(rec))))
                              for k in range(5)]), min_test_days=6)
    truth = pd.Series(a, index=pd.Series(range(n)).map("D{:03d}".format))
    inside = (out["a_low"] < out["tag"].map(truth)) & (out["tag"].map(truth) < out["a_high"])
    assert 0.85 < inside.mean() <= 1.0
    # too few test days: not fitted
    assert fit_does(rec, min_test_days=len(dims) + 1).empty


def test_extended_fit_where_records_reach_the_rebound():
    true = (1.6, 0.18, 0.004, 330.0, 0.002, 1.3)
    rec = _synthetic(np.random.default_rng(7), true, n_does=50, noise_cv=0.03,
                     dims=np.arange(10, 620, 30), curve=wood_extended)
    fits = fit_lactations(None, records=rec, rebound_day=300)
    assert 1 in fits.extended and 1 in fits.wood
    f = fits.extended[1]
    assert f.model == "wood_extended"
    lo, hi = f.ci95["rebound_day"]
    assert lo < true[3] < hi and hi - lo < 120
    assert abs(f.params["rebound_day"] - true[3]) < 40
    # the Wood fit uses only the standard lactation, so it is not pulled by the rebound
    w = fits.wood[1]
    assert w.ci95["c"][0] < true[2] < w.ci95["c"][1]
    values = lactation_overrides(fits)
    assert "rebound_day" in values or "rebound_day" not in f.determined


def test_overrides_and_fitted_scenario_use_the_fits(fits, tmp_path):
    base = load_scenario("nampo")
    path = write_breed_overrides(fits, tmp_path / "over.toml", base)
    table = tomllib.loads(path.read_text())["breed_overrides"]["lactation"]
    for k in "abc":
        assert table[f"wood_{k}"] == pytest.approx(
            [fits.wood[c].params[k] for c in (1, 2, 3)], rel=1e-3)
    assert table["animal_effect_cv"] == pytest.approx(fits.effect_cv, abs=1e-4)
    # the table, merged into the scenario, is what the simulation reads
    data = base.model_dump(mode="python", exclude_none=True)
    data["breed"] = "saanen"
    data["breed_overrides"] = {"lactation": table}
    merged = scenario_from_dict(data)
    fitted = scenario_with_fits(base, fits)
    assert merged.breed.lactation == fitted.breed.lactation
    assert fitted.breed.lactation.wood_a == tuple(table["wood_a"])
    assert fitted.breed.reproduction == base.breed.reproduction
    from capra.scenario import scenario_to_toml
    assert "[breed_overrides.lactation]" in scenario_to_toml(fitted)


def test_classes_without_records_keep_the_base_values(fits):
    only1 = fits.records[fits.records["parity_class"] == 1]
    f1 = fit_lactations(None, records=only1)
    assert set(f1.wood) == {1}
    base = load_scenario("nampo").breed.lactation
    values = lactation_overrides(f1, load_scenario("nampo"))
    assert values["wood_a"][1:] == list(base.wood_a[1:])
    assert values["wood_a"][0] == pytest.approx(f1.wood[1].params["a"], rel=1e-3)


def test_figure_shows_data_and_fits(fits):
    fig = fits.figure(load_scenario("nampo"))
    axes = fig.get_axes()
    assert len(axes) == 3
    for ax in axes:
        assert len(ax.collections) >= 2  # test days and the band
        assert len(ax.get_lines()) >= 2  # fit and breed curve


def test_no_test_days_is_an_error(tmp_path):
    from capra.store.db import open_db

    with pytest.raises(DataError, match="no test day"):
        fit_lactations(open_db(tmp_path / "empty.db"))
