"""Benchmark: WHO 0–5-year z-scores for 1,000,000 synthetic children.

Run with ``python bench/growth.py [--rows N] [--subsample K] [--repeats R]``.

* Capra: :func:`capra.growth.zscores` on all rows, all eight 0–5 indicators (zlen, zwei, zwfl,
  zbmi, zhc, zac, zts, zss, plus input cleaning and flags), best of ``R`` runs, one process.
  Goal: 1,000,000 children in ≤ 1 s.
* ``pygrowup`` and ``cgmzscore`` (if installed): they score one child at a time in Python, so
  they are timed on the first ``K`` children of the same data set and their records/second is
  extrapolated to the full data set (the output says so). pygrowup scores lhfa, wfa, wfl/wfh,
  bmifa and hcfa; cgmzscore scores lhfa, wfa and wfl/wfh. Each is timed on the indicators it
  offers, so the ratio understates Capra's advantage per indicator.
* If :mod:`capra.growth.prevalence` is available, its ``prevalence`` is also timed on 100,000
  rows with a full survey design (sampling weights, clusters nested in strata).

The children are drawn from the WHO tables themselves (seeded): age 0–1825 days, z ~ N(−0.8, 1.2)
for each measurement, recumbent length before 731 days and standing height after, 1 % oedema
and about 3 % missing values per measurement.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd

from capra.growth.lms import measurement_at_z
from capra.growth.zscore import zscores

SEED = 20261129


def synthetic_children(n: int, seed: int = SEED) -> pd.DataFrame:
    """``n`` children 0–59 months: sex (1/2), age [days], weight [kg], lenhei [cm], measure,
    oedema (y/n), headc, armc [cm], triskin, subskin [mm], and a survey design (sw, cluster,
    strata)."""
    rng = np.random.default_rng(seed)
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, 1826, n).astype(float)
    lenhei = measurement_at_z("lhfa", sex, age, rng.normal(-1.2, 1.1, n))
    data = {
        "sex": sex,
        "age": age,
        "weight": measurement_at_z("wfa", sex, age, rng.normal(-0.8, 1.2, n)),
        "lenhei": lenhei,
        "measure": np.where(age < 731, "l", "h"),
        "oedema": np.where(rng.random(n) < 0.01, "y", "n"),
        "headc": measurement_at_z("hcfa", sex, age, rng.normal(0, 1.1, n)),
        "armc": measurement_at_z("acfa", sex, np.maximum(age, 91), rng.normal(-0.3, 1.1, n)),
        "triskin": measurement_at_z("tsfa", sex, np.maximum(age, 91), rng.normal(0, 1.1, n)),
        "subskin": measurement_at_z("ssfa", sex, np.maximum(age, 91), rng.normal(0, 1.1, n)),
    }
    for col in ("weight", "lenhei", "headc", "armc", "triskin", "subskin"):
        values = np.round(data[col], 1)
        values[rng.random(n) < 0.03] = np.nan
        data[col] = values
    strata = rng.integers(1, 11, n)
    data["strata"] = strata
    data["cluster"] = strata * 100 + rng.integers(1, 31, n)
    data["sw"] = rng.gamma(4.0, 500.0, n)
    return pd.DataFrame(data)


def time_capra(data: pd.DataFrame, repeats: int) -> tuple[float, pd.DataFrame]:
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = zscores(data)
        times.append(time.perf_counter() - start)
    return min(times), result


def _rows(data: pd.DataFrame, k: int):
    sub = data.iloc[:k]
    return zip(sub["sex"].tolist(), sub["age"].tolist(), sub["weight"].tolist(),
               sub["lenhei"].tolist(), sub["headc"].tolist())


def time_pygrowup(data: pd.DataFrame, k: int) -> tuple[float, int] | None:
    """Seconds for the first ``k`` children (lhfa, wfa, wfl/wfh, bmifa, hcfa) and failures."""
    try:
        from pygrowup import Calculator
    except Exception:  # noqa: BLE001 - not installed or not importable
        return None
    calc = Calculator(adjust_height_data=False, adjust_weight_scores=True, include_cdc=False,
                      log_level="ERROR")  # it logs one warning per long child otherwise
    failures = 0
    start = time.perf_counter()
    for sex, age, weight, lenhei, headc in _rows(data, k):
        s = "M" if sex == 1 else "F"
        months = age / 30.4375
        for call in (
            lambda: calc.lhfa(lenhei, months, s),
            lambda: calc.wfa(weight, months, s),
            lambda: (calc.wfl if age < 731 else calc.wfh)(weight, months, s, lenhei),
            lambda: calc.bmifa(weight / (lenhei / 100) ** 2, months, s),
            lambda: calc.hcfa(headc, months, s),
        ):
            try:
                call()
            except Exception:  # noqa: BLE001 - missing or out-of-range values raise
                failures += 1
    return time.perf_counter() - start, failures


def time_cgmzscore(data: pd.DataFrame, k: int) -> tuple[float, int] | None:
    """Seconds for the first ``k`` children (lhfa, wfa, wfl/wfh) and failures."""
    try:
        from cgmzscore.src.main import z_score_lhfa, z_score_wfa, z_score_wfl
    except Exception:  # noqa: BLE001
        return None
    failures = 0
    start = time.perf_counter()
    for sex, age, weight, lenhei, _ in _rows(data, k):
        s = "M" if sex == 1 else "F"
        a, w, h = str(int(age)), str(weight), str(lenhei)
        for call in (lambda: z_score_lhfa(age_in_days=a, sex=s, height=h),
                     lambda: z_score_wfa(weight=w, age_in_days=a, sex=s),
                     lambda: z_score_wfl(weight=w, age_in_days=a, sex=s, height=h)):
            try:
                call()
            except Exception:  # noqa: BLE001
                failures += 1
    return time.perf_counter() - start, failures


def time_prevalence(data: pd.DataFrame, z: pd.DataFrame, rows: int, repeats: int):
    try:
        from capra.growth.prevalence import prevalence
    except Exception:  # noqa: BLE001
        return None
    cols = ["zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi", "fbmi"]
    frame = pd.concat([data.iloc[:rows][["sex", "age", "oedema", "sw", "cluster", "strata"]],
                       z.iloc[:rows][cols]], axis=1)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = prevalence(frame, age="age", sex="sex", oedema="oedema", weights="sw",
                               cluster="cluster", strata="strata")
        times.append(time.perf_counter() - start)
    return min(times), table.shape


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="WHO z-score benchmark")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subsample", type=int, default=2_000,
                        help="children timed with pygrowup/cgmzscore (then extrapolated)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prevalence-rows", type=int, default=100_000)
    args = parser.parse_args(argv)

    print(f"synthetic children: {args.rows:,} (seed {SEED}); CPU cores visible: "
          f"{os.cpu_count()}; numpy {np.__version__}, pandas {pd.__version__}")
    data = synthetic_children(args.rows)

    best, result = time_capra(data, args.repeats)
    capra_rate = args.rows / best
    goal = "meets" if (best * 1_000_000 / args.rows) <= 1.0 else "misses"
    print(f"capra     all 8 indicators (0-5 y) + cleaning + flags: {best:.3f} s for "
          f"{args.rows:,} rows (best of {args.repeats}) = {capra_rate:,.0f} records/s "
          f"[{goal} the goal of 1,000,000 in <= 1 s]")
    scored = result[["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss"]].notna().mean()
    print("          share scored: " + ", ".join(f"{k} {v:.0%}" for k, v in scored.items()))

    for name, timer, n_ind in (("pygrowup", time_pygrowup, 5), ("cgmzscore", time_cgmzscore, 3)):
        k = min(args.subsample, args.rows)
        timed = timer(data, k)
        if timed is None:
            print(f"{name:9} not installed (pip install {name}); skipped")
            continue
        secs, failures = timed
        rate = k / secs
        print(f"{name:9} {n_ind} indicators: {secs:.2f} s for a subsample of {k:,} rows = "
              f"{rate:,.0f} records/s, EXTRAPOLATED to {args.rows:,} rows: "
              f"{args.rows / rate:,.0f} s ({failures} calls raised). "
              f"Capra is {capra_rate / rate:,.0f}x faster (Capra scoring 8 indicators)")

    prev = time_prevalence(data, result, min(args.prevalence_rows, args.rows), args.repeats)
    if prev is None:
        print("prevalence: capra.growth.prevalence not available; skipped")
    else:
        secs, shape = prev
        n = min(args.prevalence_rows, args.rows)
        print(f"prevalence full design (weights, {data['cluster'].iloc[:n].nunique()} clusters "
              f"in 10 strata): {secs:.3f} s for {n:,} rows (best of {args.repeats}) = "
              f"{n / secs:,.0f} rows/s; table {shape[0]} groups x {shape[1]} columns")


if __name__ == "__main__":
    main()
