"""Benchmark: survey prevalence with a full design on 100,000 synthetic children.

Run with ``python bench/growth_prevalence.py [ROWS]``. Prints the wall time and the rows
per second of :func:`capra.growth.prevalence.prevalence` for a design with sampling
weights, clusters nested in strata and a regional grouping. The data are synthetic and
seeded, so two runs see the same rows.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from capra.growth.prevalence import prevalence

SEED = 20261129
N_STRATA = 10
CLUSTERS_PER_STRATUM = 30


def synthetic_survey(n_rows: int, seed: int = SEED) -> pd.DataFrame:
    """Synthetic survey of children 0–59 months with WHO z-scores and a design.

    Columns: ``age`` [d], ``sex`` (1/2), ``oedema`` (y/n), ``zlen, zwei, zwfl, zbmi`` [z]
    with ``flen, fwei, fwfl, fbmi`` (0/1), ``sw`` [persons per child], ``cluster``,
    ``strata``, ``region``.
    """
    rng = np.random.default_rng(seed)
    strata = rng.integers(1, N_STRATA + 1, n_rows)
    cluster = rng.integers(1, CLUSTERS_PER_STRATUM + 1, n_rows)
    data = {
        "age": rng.uniform(0, 1826, n_rows),
        "sex": rng.integers(1, 3, n_rows),
        "oedema": np.where(rng.random(n_rows) < 0.005, "y", "n"),
        "sw": rng.gamma(4.0, 500.0, n_rows),
        "cluster": cluster,
        "strata": strata,
        "region": np.array(["North", "South", "East", "West"])[rng.integers(0, 4, n_rows)],
    }
    for name, mean in (("len", -1.2), ("wei", -0.8), ("wfl", -0.2), ("bmi", -0.1)):
        z = np.round(rng.normal(mean, 1.1, n_rows), 2)
        z[rng.random(n_rows) < 0.02] = np.nan
        data[f"z{name}"] = z
        data[f"f{name}"] = np.where(np.isnan(z), np.nan, (np.abs(z) > 5).astype(float))
    return pd.DataFrame(data)


def main(n_rows: int = 100_000, repeats: int = 5) -> None:
    data = synthetic_survey(n_rows)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = prevalence(data, age="age", sex="sex", oedema="oedema", weights="sw",
                               cluster="cluster", strata="strata", gregion="region")
        times.append(time.perf_counter() - start)
    best = min(times)
    print(f"rows: {n_rows:,}  groups: {len(table)}  columns: {table.shape[1]}")
    print(f"best of {repeats}: {best:.3f} s  median: {float(np.median(times)):.3f} s")
    print(f"rows/second: {n_rows / best:,.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
