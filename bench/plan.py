"""Benchmark of the planning LP: build and solve times, and PuLP + CBC side by side.

1. One year, daily, the ``nampo`` sites (12 district aggregates) × 5 products: build the
   enrolment LP (question (a)) from sparse matrices and solve it with HiGHS, both the
   full LP and Capra's default (sites whose own limits cannot bind, and age groups with
   equal servings, merged: the same answer from a smaller LP); then the lexicographic
   dispatch (question (b)) for all enrolled children.
2. The same full one-year enrolment LP built with PuLP (one object per variable and per
   constraint, from the same coefficients) and solved with CBC; the ratios of the times
   (goal: Capra at least 10× faster) and the model sizes.
3. Five years at school level: each district aggregate split into single kindergartens
   and schools, the dispatch rolled over the whole horizon (56-day daily windows plus a
   weekly tail, re-solved every 28 days).

The milk supply is the per-day P10 of a short herd simulation of ``nampo``.

Usage: python bench/plan.py [--replicates 10] [--schools 6] [--skip-pulp] [--skip-rolling]
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib

import numpy as np


def nampo(start=None, days=None, warmup=0, schools_per_district=0, seed=0):
    """The bundled nampo scenario with its planning window changed; optionally every
    district aggregate split into ``schools_per_district`` single sites."""
    from capra.scenario import bundled_scenario_path, scenario_from_dict

    data = tomllib.loads(bundled_scenario_path("nampo").read_text(encoding="utf-8"))
    data["planning"] = {k: v for k, v in (("start_date", start), ("days", days),
                                          ("warmup_days", warmup)) if v is not None}
    if schools_per_district:
        rng = np.random.default_rng(seed)
        sites = []
        for agg in data["sites"]:
            n = schools_per_district
            for i in range(n):
                share = {k: int(v // n + (i < v % n)) for k, v in agg["children"].items()}
                cold = agg.get("cold_storage_kg")
                sites.append(dict(agg, name=f"{agg['name'].rsplit(' ', 1)[0]} "
                                            f"{agg['kind']} {i + 1}",
                                  children=share,
                                  latitude=agg["latitude"] + rng.normal(0, 0.01),
                                  longitude=agg["longitude"] + rng.normal(0, 0.01),
                                  **({} if cold is None else {"cold_storage_kg": cold / n})))
        data["sites"] = sites
        data["transport"] = {"road_factor": 1.3, "capacity_kg_per_day": 2000.0}
    return scenario_from_dict(data)


def supply(scenario, replicates, seed):
    from capra.herd.simulate import simulate
    from capra.planning.optimize import plan_dates, supply_from_herd

    herd = simulate(scenario, replicates=replicates, seed=seed)
    dates, warm = plan_dates(scenario)
    return np.quantile(supply_from_herd(herd, scenario, dates), 0.1, axis=0), dates, warm


def pulp_model(model):
    """The same LP in PuLP: one LpVariable per column, one constraint per row."""
    import pulp

    A = model.A.tocsr()
    prob = pulp.LpProblem("capra_plan", pulp.LpMinimize)
    xs = [pulp.LpVariable(f"x{j}", lowBound=model.col_lo[j],
                          upBound=None if not np.isfinite(model.col_hi[j]) else model.col_hi[j])
          for j in range(A.shape[1])]
    prob += pulp.lpSum(float(c) * xs[j] for j, c in enumerate(model.c) if c)
    for i in range(A.shape[0]):
        lo, hi = model.row_lo[i], model.row_hi[i]
        start, end = A.indptr[i], A.indptr[i + 1]
        expr = pulp.lpSum(float(v) * xs[j] for j, v in zip(A.indices[start:end],
                                                           A.data[start:end]))
        if lo == hi:
            prob += expr == float(lo), f"r{i}"
        else:
            if np.isfinite(lo):
                prob += expr >= float(lo), f"l{i}"
            if np.isfinite(hi):
                prob += expr <= float(hi), f"u{i}"
    return prob


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--schools", type=int, default=6,
                    help="single kindergartens and schools per district aggregate")
    ap.add_argument("--skip-pulp", action="store_true")
    ap.add_argument("--skip-rolling", action="store_true")
    args = ap.parse_args(argv)

    from capra.planning.model import build_model
    from capra.planning.optimize import (
        dispatch,
        dispatch_rolling,
        enrolment_model,
        plan_inputs,
    )
    from capra.planning.solve import Solver, solve

    print("== 1. one year, daily, nampo sites x 5 products (HiGHS) ==")
    sc = nampo(start="2028-08-01", days=365, warmup=0)
    path, dates, warm = supply(sc, args.replicates, args.seed)
    inputs = plan_inputs(sc, path, dates, warm)
    print(f"sites {len(inputs.net.sites)}, products {len(inputs.products.names)} "
          f"({', '.join(inputs.products.names)}), days {len(dates)}")
    t0 = time.perf_counter()
    model = build_model(inputs, "enrolment")
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    solver = Solver(model)
    load = time.perf_counter() - t0
    res = solver.run()
    highs_total = build + load + res.seconds
    print(f"full enrolment LP: {model.n_cols:,} columns, {model.n_rows:,} rows, "
          f"{model.nnz:,} non-zeros")
    print(f"  build {build:.3f} s, load into HiGHS {load:.3f} s, solve {res.seconds:.2f} s "
          f"({res.status}); children served every day: {-res.objective:,.0f}")
    t0 = time.perf_counter()
    merged = enrolment_model(inputs)
    res_m = solve(merged)
    capra_total = time.perf_counter() - t0
    print(f"Capra default (free sites and equal age groups merged): {merged.n_cols:,} columns, "
          f"{merged.n_rows:,} rows, {merged.nnz:,} non-zeros; build + solve "
          f"{capra_total:.2f} s; children: {-res_m.objective:,.0f}")
    t0 = time.perf_counter()
    res_b, sol, model_b = dispatch(inputs, 1.0)
    print(f"dispatch LP (4 lexicographic stages): {model_b.n_cols:,} columns, "
          f"{model_b.n_rows:,} rows; build + solve {time.perf_counter() - t0:.2f} s "
          f"({res_b.status}); coverage "
          f"{sol['servings'].sum() / inputs.rations.sum():.3f}")
    sys.stdout.flush()

    if not args.skip_pulp:
        print("\n== 2. the same enrolment LP with PuLP + CBC ==")
        import pulp

        t0 = time.perf_counter()
        prob = pulp_model(model)
        pulp_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        status = prob.solve(pulp.PULP_CBC_CMD(msg=False, threads=1))
        pulp_solve = time.perf_counter() - t0
        value = pulp.value(prob.objective)
        print(f"PuLP model: {len(prob.variables()):,} variables, "
              f"{len(prob.constraints):,} constraints")
        print(f"  build {pulp_build:.2f} s, CBC solve (incl. writing and reading files) "
              f"{pulp_solve:.2f} s ({pulp.LpStatus[status]}); children: "
              f"{-value if value is not None else float('nan'):,.0f}")
        pulp_total = pulp_build + pulp_solve
        print(f"  same LP: build ratio {pulp_build / build:,.0f}x, solve ratio "
              f"{pulp_solve / (load + res.seconds):.1f}x, total: sparse+HiGHS "
              f"{highs_total:.2f} s vs PuLP+CBC {pulp_total:.2f} s -> "
              f"{pulp_total / highs_total:.1f}x faster (goal >= 10x)")
        print(f"  Capra's default path {capra_total:.2f} s vs PuLP+CBC on the full LP "
              f"{pulp_total:.2f} s -> {pulp_total / capra_total:.1f}x faster")
        sys.stdout.flush()

    if not args.skip_rolling:
        print(f"\n== 3. five years, school level ({args.schools} kindergartens and "
              f"{args.schools} schools per district), rolling horizon ==")
        sc5 = nampo(start="2024-08-01", days=1826, warmup=0,
                    schools_per_district=args.schools, seed=args.seed)
        path5, dates5, warm5 = supply(sc5, args.replicates, args.seed)
        t0 = time.perf_counter()
        inputs5 = plan_inputs(sc5, path5, dates5, warm5)
        status, sol5, stats = dispatch_rolling(inputs5, 1.0, window_days=56, step_days=28,
                                               tail_days=308, tail_period_days=7)
        wall = time.perf_counter() - t0
        largest = stats["largest_window"]
        print(f"sites {len(inputs5.net.sites)}, days {len(dates5)}, windows "
              f"{stats['windows']} ({status.status})")
        print(f"  largest window: {largest['columns']:,} columns, {largest['rows']:,} rows, "
              f"{largest['nonzeros']:,} non-zeros")
        print(f"  total {wall:.1f} s (solves {stats['solve_seconds']:.1f} s); coverage "
              f"{sol5['servings'].sum() / max(inputs5.rations.sum(), 1):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
