"""Benchmark: the herd's mean path against 100 stochastic replicates of the same herd.

Run ``python bench/mean_path.py [--days N ...] [--replicates R] [--repeats K] [--json]``.

On the bundled ``nampo`` scenario cut to ``--days`` (default: 800 days and the full
horizon) it times, in one process:

1. :func:`capra.herd.project_mean`, the expected-value path (compiling the parameters
   excluded);
2. :func:`capra.herd.simulate` with ``--replicates`` (default 100) replicates, serially:
   the baseline of issue 9, which found the mean path slower than 100 replicates (14 s
   for 800 days);

and prints both and their ratio (replicates / mean path: above 1, the mean path is the
faster). Each time is the best of ``--repeats`` runs, wall-clock and CPU, because other
work on the machine only ever makes a run slower; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from capra.herd import project_mean, simulate
from capra.herd.params import compile_params
from capra.scenario import load_scenario

SCENARIO = "nampo"


def best_of(repeats: int, run) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeats`` calls of ``run``."""
    wall, cpu = math.inf, math.inf
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, nargs="*", default=None,
                    help="horizons to time [days] (default: 800 and the full horizon)")
    ap.add_argument("--replicates", type=int, default=100,
                    help="stochastic replicates of the baseline (default 100)")
    ap.add_argument("--repeats", type=int, default=2, help="runs of each, best taken")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    a = ap.parse_args(argv)
    out = sys.stderr if a.json else sys.stdout
    scenario = load_scenario(SCENARIO)
    horizons = a.days or [800, scenario.horizon_days]
    print(f"mean path vs {a.replicates} replicates, scenario {SCENARIO}; best of "
          f"{a.repeats}; load average {os.getloadavg()[0]:.2f} at start", file=out)
    print(f"{'days':>6} {'mean path s':>12} {'(cpu)':>7} {'replicates s':>13} {'(cpu)':>7} "
          f"{'ratio':>6}", file=out)
    rows = []
    for days in horizons:
        sc = scenario.model_copy(update={"horizon_days": days})
        params = compile_params(sc)
        mean_wall, mean_cpu = best_of(a.repeats, lambda: project_mean(params))
        sim_wall, sim_cpu = best_of(a.repeats, lambda: simulate(
            sc, replicates=a.replicates, seed=a.seed, engine="serial"))
        rows.append({"days": days, "mean_path_s": mean_wall, "mean_path_cpu_s": mean_cpu,
                     "replicates_s": sim_wall, "replicates_cpu_s": sim_cpu,
                     "ratio": sim_wall / mean_wall})
        print(f"{days:6d} {mean_wall:12.2f} {mean_cpu:7.2f} {sim_wall:13.2f} {sim_cpu:7.2f} "
              f"{sim_wall / mean_wall:6.1f}", file=out, flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end", file=out)
    result = {"scenario": SCENARIO, "replicates": a.replicates, "repeats": a.repeats,
              "rows": rows}
    if a.json:
        print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
