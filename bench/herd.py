"""Benchmark: speed of the herd simulator, side by side with a per-animal object loop.

Run ``python bench/herd.py [--replicates N] [--quick] [--json] [--profile] [--stages]``.

On the bundled ``nampo`` scenario (five years, daily steps) it measures, in one process:

0. start-up: a fresh process simulating a month, with an empty compile cache (the herd's
   compiled passes, :mod:`capra.herd.kernels`, are compiled: once per machine) in that
   process alone and shared with a second (:func:`capra.compiled.compile_ahead`), and
   with the cache filled;
1. agreement: the mean final head, annual deliverable milk and event counts of Capra's
   vectorized simulator and of a plain-Python object loop (``bench/_object_loop.py``: one
   ``Goat`` object per animal, the rules of ``docs/herd-model.md`` applied goat by goat with
   ``random.random()``), both from the same compiled ``HerdParams`` of the *core* scenario
   (``nampo`` without its health section, transit days and buck policy, every uncertain
   value at its point value: the rules the object loop implements);
2. speed in animal-days per second (the sum over days of the animals alive at the end of
   the day, ``head``): the object loop on a few replicates, Capra serial on a batch of
   replicates simulated together; their ratio and Capra's rate per core; then Capra on
   the full scenario (health, transport, outbreaks, buck rotation) with parameter
   uncertainty off and on (one parameter set drawn and compiled per replicate);
3. the wall time of ``--replicates`` (default 1,000) replicates of the full scenario over
   the full horizon, in the simulator's own batches, with ``engine="processes"`` on all
   cores, with parameter uncertainty on and off; with ``engine="threads"`` (uncertainty
   on); and serial (on; run in full with ``--full-serial``, otherwise extrapolated from a
   200-replicate run).

Each figure is set against the goals of the compiled herd engine (``GOAL_*``).

Everything runs with feed on (the simulator's default: requirements, feeding from the
farms' resources, the feed budget; ``capra.herd.feeding``); with ``--feed both`` (the
default) steps 2 and 3 also run the full scenario with parameter uncertainty on and feed
off (``simulate(..., feed=False)``), side by side. The bundled scenario feeds "as needed",
so feed on and off give the same herd (checked).

Timings are wall-clock (``time.perf_counter``); speeds are the best of ``--repeats`` runs,
because other work on the machine only ever makes a run slower. ``--quick`` uses small
sizes (a smoke test, under a minute) and extrapolates the large run. ``--json`` writes the
figures to stdout as JSON (the table then goes to stderr). ``--profile`` adds a cProfile of
the vectorized simulator on 100 replicates. ``--stages`` measures only where the time of
a batch of 100 replicates of the full scenario (uncertainty and feed on) goes, stage by
stage, from the compiled day's own clock (:data:`capra.herd.day.STAGE_CYCLES`: the
processor's ticks, converted to seconds over the whole run), in nanoseconds per
animal-day.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from _object_loop import simulate_replicate
from refresh_herd_baseline import core_scenario  # nampo without health, transit, bucks

from capra.herd.params import compile_params
from capra.herd.simulate import simulate
from capra.scenario import load_scenario

SCENARIO = "nampo"
# the goals of the compiled herd engine: >= 100 M animal-days/s per core (about 40 x the
# object loop) with feed and parameter uncertainty on; 1,000 replicates x 5 years of the
# full scenario in <= 10 s on 2 cores (compile cached); a cold compile in <= 15 s
GOAL_RATIO = 40.0
GOAL_PER_CORE = 100e6           # animal-days per second per core
GOAL_WALL_S = 10.0              # 1,000 replicates x 5 years, all cores (any engine)
GOAL_COMPILE_S = 15.0           # compiling the herd's code, once per machine
EVENTS = ("births", "deaths", "culls", "sales", "conceptions", "abortions")


def machine() -> dict:
    model = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu_count": os.cpu_count(), "cpus_usable": usable, "cpu_model": model,
            "numpy": np.__version__, "python": platform.python_version(),
            "platform": platform.platform()}


def code_version() -> str:
    """Commit of the checkout, and whether the simulator's sources differ from it."""
    import subprocess
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src/capra/herd",
                                "src/capra/lactation", "src/capra/engines.py"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (herd sources modified)" if dirty else "")


def mean_se(values) -> tuple[float, float]:
    v = np.asarray(values, float)
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else float("nan")
    return float(v.mean()), se


def capra_summary(data: dict, years: float) -> dict[str, np.ndarray]:
    """Per-replicate figures from Capra's arrays (replicate, day, location)."""
    out = {"final_head": data["head"][:, -1, :].sum(axis=1).astype(float),
           "milk_kg_per_year": data["milk_kg"].sum(axis=(1, 2), dtype=float) / years,
           "mean_head": data["head"].sum(axis=2).mean(axis=1)}
    for name in EVENTS:
        out[name + "_per_year"] = data[name].sum(axis=(1, 2), dtype=float) / years
    return out


def loop_summary(results, years: float) -> dict[str, np.ndarray]:
    out = {"final_head": np.array([r.head[-1].sum() for r in results], float),
           "milk_kg_per_year": np.array([r.milk_kg.sum() / years for r in results]),
           "mean_head": np.array([r.head.sum(axis=1).mean() for r in results])}
    for name in EVENTS:
        out[name + "_per_year"] = np.array([r.totals[name] / years for r in results])
    return out


def compile_seconds() -> tuple[float, float, float]:
    """Wall time of a fresh Python process that simulates one replicate of nampo for 30
    days, with an empty compile cache (``NUMBA_CACHE_DIR``: the herd's compiled passes
    are compiled) in this process alone (``CAPRA_COMPILE_AHEAD=0``) and shared with a
    second process (:func:`capra.compiled.compile_ahead`), and again with that cache
    filled."""
    import subprocess
    import tempfile

    code = ("from capra.scenario import load_scenario; from capra.herd import simulate; "
            f"simulate(load_scenario({SCENARIO!r}).model_copy(update={{'horizon_days': 30}}), 1)")
    seconds = []
    for alone in ("0", "1"):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache, CAPRA_COMPILE_AHEAD=alone)
            for _ in range(1 if alone == "0" else 2):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", code], env=env, check=True)
                seconds.append(time.perf_counter() - start)
    return seconds[0], seconds[1], seconds[2]


def run_capra_serial(scenario, params, replicates, batch, seed, repeats, uncertainty=False,
                     feed=True):
    """Best-of-``repeats`` serial run; returns (seconds, CPU seconds, animal-days, arrays)."""
    best, best_cpu, arrays = math.inf, math.inf, None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        res = simulate(scenario, replicates, seed=seed, batch_size=batch, engine="serial",
                       parameter_uncertainty=uncertainty, feed=feed)
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        arrays = {name: res.data[name].values for name in
                  ("head", "milk_kg") + EVENTS}
        del res
    return best, best_cpu, int(arrays["head"].sum(dtype=np.int64)), arrays


def profile_capra(scenario, replicates: int, batch: int, seed: int, top: int = 25) -> str:
    prof = cProfile.Profile()
    prof.enable()
    simulate(scenario, replicates, seed=seed, batch_size=batch, engine="serial",
             parameter_uncertainty=True)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def stage_times(scenario, replicates: int, seed: int) -> dict[str, float]:
    """Nanoseconds per animal-day in each compiled stage of the day
    (:data:`capra.herd.day.TIMED_STAGES`) and outside them (the Python stages, the
    compaction, the parameter draws and the results), for one batch of ``replicates``
    of ``scenario`` with uncertainty and feed on. Empty where the processor has no
    cycle counter."""
    from capra.compiled import cycles_now
    from capra.herd import day

    simulate(scenario.model_copy(update={"horizon_days": 30}), 1, engine="serial")
    day.STAGE_CYCLES[:] = 0
    start, ticks0 = time.perf_counter(), cycles_now()
    res = simulate(scenario, replicates, seed=seed, batch_size=replicates, engine="serial",
                   parameter_uncertainty=True)
    seconds, ticks = time.perf_counter() - start, cycles_now() - ticks0
    if ticks <= 0:
        return {}
    ns_per_ad = seconds / int(res.data["head"].values.sum(dtype=np.int64)) * 1e9
    out = {name: float(c) / ticks * ns_per_ad
           for name, c in zip(day.TIMED_STAGES, day.STAGE_CYCLES)}
    out["outside the compiled stages"] = ns_per_ad - sum(out.values())
    out["total"] = ns_per_ad
    return out


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicates", type=int, default=None,
                    help="replicates of the large run (default 1000; 40 with --quick)")
    ap.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    ap.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile the vectorized simulator (100 replicates)")
    ap.add_argument("--stages", action="store_true",
                    help="only time the day's compiled stages (100 replicates)")
    ap.add_argument("--full-serial", action="store_true",
                    help="run the large run serially in full instead of extrapolating")
    ap.add_argument("--baseline-replicates", type=int, default=None,
                    help="replicates of the object loop (default 4; 1 with --quick)")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="replicates per batch for Capra (default 100, 20 with --quick; "
                         "the large runs: the simulator's own)")
    ap.add_argument("--repeats", type=int, default=None,
                    help="timing repeats of the serial runs, best taken (default 2; 1 quick)")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: all CPUs)")
    ap.add_argument("--seed", type=int, default=20240820)
    ap.add_argument("--feed", choices=("both", "on"), default="both",
                    help="also run the full scenario with feed off (default both)")
    a = ap.parse_args(argv)
    quick = a.quick
    big_n = a.replicates or (40 if quick else 1000)
    base_n = a.baseline_replicates or (1 if quick else 4)
    batch = a.batch_size or (20 if quick else 100)
    repeats = a.repeats or (1 if quick else 2)
    serial_n = batch if quick else 200
    mach = machine()
    workers = a.workers or mach["cpus_usable"] or 1
    out = sys.stderr if a.json else sys.stdout

    def say(*parts):
        print(*parts, file=out, flush=True)

    scenario = load_scenario(SCENARIO)
    core = core_scenario()
    params = compile_params(core)
    years = params.n_days / 365.25
    say(f"Capra herd benchmark: scenario {SCENARIO}, {params.n_days} days "
        f"({years:.2f} y), {params.n_locations} locations")
    say(f"machine: {mach['cpu_count']} CPUs ({mach['cpus_usable']} usable), {mach['cpu_model']}; "
        f"numpy {mach['numpy']}, Python {mach['python']}")
    version = code_version()
    say(f"code: {version}; load average {os.getloadavg()[0]:.2f} at start")
    say()

    if a.stages:      # only where the time goes
        say("Where the time goes: 100 replicates of the full scenario (uncertainty and feed "
            "on) in one batch, ns per animal-day, from the compiled day's clock")
        times = stage_times(scenario, 100, a.seed)
        for name, ns in times.items():
            say(f"    {name:28s} {ns:6.2f}")
        if not times:
            say("    (this processor has no cycle counter)")
        figures = {"scenario": SCENARIO, "machine": mach, "code": version,
                   "stages_ns_per_animal_day": times}
        if a.json:
            json.dump(figures, sys.stdout, indent=2)
            print()
        return figures

    # -- baseline: object loop ----------------------------------------------------------
    loop_results, loop_rates, loop_cpu_rates, loop_time, loop_ad = [], [], [], 0.0, 0
    for i in range(base_n):
        start, start_cpu = time.perf_counter(), time.process_time()
        r = simulate_replicate(params, a.seed * 1000 + i)
        elapsed = time.perf_counter() - start
        loop_cpu_rates.append(r.animal_days / (time.process_time() - start_cpu))
        loop_results.append(r)
        loop_rates.append(r.animal_days / elapsed)
        loop_time += elapsed
        loop_ad += r.animal_days
    loop_rate, loop_cpu_rate = max(loop_rates), max(loop_cpu_rates)

    # -- compiling the herd's passes: once per machine -------------------------------------
    alone, cold, warm = compile_seconds()
    say(f"Start-up of a simulation (separate processes): with an empty compile cache "
        f"{alone:.1f} s compiled in one process, {cold:.1f} s shared with a second "
        f"({alone / cold:.2f}x); with the cache {warm:.1f} s; compiling costs "
        f"{cold - warm:.1f} s once per machine   goal <= {GOAL_COMPILE_S:.0f} s: "
        f"{verdict(cold - warm <= GOAL_COMPILE_S)}")
    say()

    # -- Capra serial ---------------------------------------------------------------------
    simulate(scenario, 2, seed=a.seed, batch_size=2)          # warm-up (imports, caches)
    cap_time, cap_cpu, cap_ad, cap_arrays = run_capra_serial(core, params, batch, batch, a.seed,
                                                    repeats)
    cap_rate = cap_ad / cap_time
    ratio = cap_rate / loop_rate
    cap_cpu_rate = cap_ad / cap_cpu

    # -- agreement ----------------------------------------------------------------------
    lsum = loop_summary(loop_results, years)
    csum = capra_summary(cap_arrays, years)
    del cap_arrays
    agreement = {}
    say(f"Agreement (mean ± s.e. over replicates; object loop {base_n}, Capra {batch})")
    say(f"  {'quantity':<24}{'object loop':>22}{'Capra':>22}{'diff/s.e.':>11}")
    for name in lsum:
        lm, ls = mean_se(lsum[name])
        cm, cs = mean_se(csum[name])
        # two-sample z under the hypothesis that both simulate the same model, so the
        # replicate-to-replicate spread of the larger sample (Capra) stands for both
        sd = cs * math.sqrt(csum[name].size)
        se = sd * math.sqrt(1 / lsum[name].size + 1 / csum[name].size)
        z = (lm - cm) / se if se > 0 else float("nan")
        agreement[name] = {"object_loop": [lm, ls], "capra": [cm, cs], "z": z}
        fmt = (lambda m, s: f"{m:,.0f} ± {s:,.0f}") if abs(cm) >= 1000 else \
              (lambda m, s: f"{m:,.1f} ± {s:,.1f}")
        say(f"  {name:<24}{fmt(lm, ls):>22}{fmt(cm, cs):>22}{z:>11.2f}")
    say("  diff/s.e.: (object loop - Capra) / s.e. of the difference, using Capra's spread"
        " between replicates for both; |diff/s.e.| < 2 is within sampling error")
    say()

    # -- speed ----------------------------------------------------------------------------
    say("Speed, animal-days per second (best run)")
    say(f"  object loop, {base_n} replicate(s), 1 core      {loop_rate / 1e6:10.2f} M/s"
        f"   ({loop_ad:,} animal-days in {loop_time:.1f} s)")
    say(f"  Capra serial, batch of {batch}, 1 core{'':<{8 - len(str(batch))}}"
        f"{cap_rate / 1e6:10.2f} M/s   ({cap_ad:,} animal-days in {cap_time:.1f} s)")
    say(f"  ratio Capra / object loop              {ratio:10.1f} x"
        f"     goal >= {GOAL_RATIO:.0f} x: {verdict(ratio >= GOAL_RATIO)}")
    say(f"  Capra per core                         {cap_rate / 1e6:10.2f} M/s"
        f"   goal >= {GOAL_PER_CORE / 1e6:.0f} M/s: {verdict(cap_rate >= GOAL_PER_CORE)}")
    say(f"  per CPU second (less sensitive to other work): object loop "
        f"{loop_cpu_rate / 1e6:.2f} M, Capra {cap_cpu_rate / 1e6:.2f} M, ratio "
        f"{cap_cpu_rate / loop_cpu_rate:.1f} x")
    say()

    # -- the full scenario: health, transport, bucks; parameter uncertainty off and on ---
    full = {}
    say(f"Full {SCENARIO} (health, transport, outbreaks, buck rotation), Capra serial, "
        f"batch of {batch}, 1 core")
    herds = {}
    for on in (False, True):
        t, c, ad, herds[on] = run_capra_serial(scenario, None, batch, batch, a.seed, repeats,
                                               uncertainty=on)
        full[on] = {"seconds": t, "cpu_seconds": c, "animal_days": ad,
                    "animal_days_per_s": ad / t, "animal_days_per_cpu_s": ad / c}
        say(f"  parameter uncertainty {'on ' if on else 'off'}{'':<17}{ad / t / 1e6:10.2f} M/s"
            f"   ({ad:,} animal-days in {t:.1f} s; {ad / c / 1e6:.2f} M per CPU second)"
            f"   goal >= {GOAL_PER_CORE / 1e6:.0f} M/s: {verdict(ad / t >= GOAL_PER_CORE)}")
    say(f"  core model {cap_rate / 1e6:.2f} M/s: full / core "
        f"{full[False]['animal_days_per_s'] / cap_rate:.2f} (off), "
        f"{full[True]['animal_days_per_s'] / cap_rate:.2f} (on)")
    feed_off, same_herd = None, None
    if a.feed == "both":
        t, c, ad, arrays = run_capra_serial(scenario, None, batch, batch, a.seed, repeats,
                                            uncertainty=True, feed=False)
        feed_off = {"seconds": t, "cpu_seconds": c, "animal_days": ad,
                    "animal_days_per_s": ad / t, "animal_days_per_cpu_s": ad / c}
        same_herd = all(np.array_equal(arrays[k], herds[True][k]) for k in arrays)
        say(f"  uncertainty on, feed off{'':<16}{ad / t / 1e6:10.2f} M/s"
            f"   ({ad:,} animal-days in {t:.1f} s; {ad / c / 1e6:.2f} M per CPU second)")
        say(f"  feed on / feed off: {full[True]['seconds'] / t:.2f} x the wall time, "
            f"{full[True]['cpu_seconds'] / c:.2f} x the CPU time; the same herd and milk, "
            f"day by day: {'yes' if same_herd else 'NO'}")
    del herds
    say()

    # -- the large run --------------------------------------------------------------------
    def large_run(on: bool, feed: bool = True, engine: str = "processes") -> dict:
        load_before = os.getloadavg()[0]
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        res = simulate(scenario, big_n, seed=a.seed, batch_size=a.batch_size, engine=engine,
                       workers=workers, parameter_uncertainty=on, feed=feed)
        proc_time = time.perf_counter() - start
        # CPU seconds of the workers (processes, or this process's threads) per wall
        # second: the cores actually obtained
        who = resource.RUSAGE_CHILDREN if engine == "processes" else resource.RUSAGE_SELF
        after, before = resource.getrusage(who), (children_before if engine == "processes"
                                                  else self_before)
        proc_cores = ((after.ru_utime - before.ru_utime)
                      + (after.ru_stime - before.ru_stime)) / proc_time
        proc_ad = int(res.data["head"].values.sum(dtype=np.int64))
        del res
        # wall time of 1,000 replicates, extrapolated if fewer were run: the start-up of
        # the worker processes is a fixed cost, the rest scales with the replicates per
        # worker
        per_rep = (full[on] if feed else feed_off)["seconds"] / batch
        startup = max(proc_time - per_rep * big_n / workers, 0.0)
        proc_1000 = proc_time if big_n == 1000 else startup + per_rep * 1000 / workers
        label = ("on" if on else "off") + ("" if feed else ", feed off")
        say(f"  {engine}, {workers} workers, uncertainty {label:<3}{'':<4}{proc_time:8.1f} s"
            f"   ({proc_ad / proc_time / 1e6:.1f} M animal-days/s,"
            f" {proc_ad / proc_time / workers / 1e6:.1f} M/s per core; worker CPU "
            f"{proc_cores * proc_time:.1f} s, {proc_cores:.2f} cores used; load average "
            f"{load_before:.2f} before)")
        if big_n != 1000:
            say(f"    1,000 replicates (estimated) {proc_1000:8.1f} s"
                f"   (start-up {startup:.1f} s + serial speed / {workers} workers)")
        return {"replicates": big_n, "workers": workers, "parameter_uncertainty": on,
                "feed": feed, "engine": engine,
                "load_average_before": load_before, "worker_cores_used": proc_cores,
                "worker_cpu_s": proc_cores * proc_time, "processes_s": proc_time,
                "processes_animal_days_per_s": proc_ad / proc_time,
                "processes_s_for_1000": proc_1000, "processes_1000_estimated": big_n != 1000}

    say(f"{big_n:,} replicates x {years:.0f} years of the full {SCENARIO}, wall time")
    runs = {on: large_run(on) for on in (True, False)}
    run_feed_off = large_run(True, feed=False) if feed_off is not None else None
    run_threads = large_run(True, engine="threads")
    if a.full_serial:
        start = time.perf_counter()
        res = simulate(scenario, big_n, seed=a.seed, batch_size=batch, engine="serial")
        serial_time = time.perf_counter() - start
        serial_note = "measured"
        del res
    elif quick:
        serial_time = full[True]["seconds"] * big_n / batch
        serial_note = f"estimated from {batch} replicates"
    else:
        start = time.perf_counter()
        res = simulate(scenario, serial_n, seed=a.seed, batch_size=batch, engine="serial")
        serial_time = (time.perf_counter() - start) * big_n / serial_n
        serial_note = f"estimated from {serial_n} replicates"
        del res
    serial_1000 = serial_time * 1000 / big_n
    say(f"  serial, 1 core, uncertainty on{'':<10}{serial_time:8.1f} s   ({serial_note})")
    say(f"  (load average above 0 before a run means other work shared the "
        f"{mach['cpus_usable']} CPUs)")
    proc_1000 = runs[True]["processes_s_for_1000"]
    best_1000 = min(proc_1000, run_threads["processes_s_for_1000"])
    say(f"  goal for 1,000 replicates, all cores, uncertainty on: <= {GOAL_WALL_S:.0f} s: "
        f"{verdict(best_1000 <= GOAL_WALL_S)}")

    figures = {
        "scenario": SCENARIO, "n_days": params.n_days, "machine": mach, "code": version,
        "quick": quick, "start_up_s": {"empty_compile_cache_one_process": alone,
                       "empty_compile_cache": cold, "with_cache": warm},
        "object_loop": {"replicates": base_n, "seconds": loop_time, "animal_days": loop_ad,
                        "animal_days_per_s": loop_rate},
        "capra_serial": {"scenario": "core", "replicates": batch, "batch_size": batch,
                         "seconds": cap_time, "animal_days": cap_ad,
                         "animal_days_per_s": cap_rate, "animal_days_per_s_per_core": cap_rate},
        "capra_serial_full": {"uncertainty_off": full[False], "uncertainty_on": full[True],
                              "uncertainty_on_feed_off": feed_off,
                              "same_herd_feed_on_and_off": same_herd},
        "ratio": ratio,
        "per_cpu_second": {"object_loop": loop_cpu_rate, "capra_serial": cap_cpu_rate,
                           "ratio": cap_cpu_rate / loop_cpu_rate},
        "large_run": {"uncertainty_on": runs[True], "uncertainty_off": runs[False],
                      "uncertainty_on_feed_off": run_feed_off,
                      "uncertainty_on_threads": run_threads,
                      "serial_s": serial_time, "serial_note": serial_note,
                      "serial_s_for_1000": serial_1000},
        "agreement": agreement,
        "goals": {"ratio": GOAL_RATIO, "per_core": GOAL_PER_CORE, "wall_1000_s": GOAL_WALL_S,
                  "compile_s": GOAL_COMPILE_S,
                  "ratio_met": ratio >= GOAL_RATIO,
                  "per_core_met": full[True]["animal_days_per_s"] >= GOAL_PER_CORE,
                  "wall_met": best_1000 <= GOAL_WALL_S,
                  "compile_met": cold - warm <= GOAL_COMPILE_S},
    }

    if a.profile:
        say()
        say("cProfile of Capra serial, 100 replicates (batch of 100)")
        say(profile_capra(scenario, 100, 100, a.seed))

    if a.json:
        json.dump(figures, sys.stdout, indent=2)
        print()
    return figures


if __name__ == "__main__":
    main()
