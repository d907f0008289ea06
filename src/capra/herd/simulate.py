"""Run the daily herd model for many replicates.

Replicates are simulated in batches: all animals of a batch of replicates share one set of
arrays, so each daily process is a single compiled pass over them (the day's stages run
in compiled calls, :mod:`capra.herd.day`). Batches are independent tasks;
because every random number is keyed by (replicate, process, animal, day), the results do
not depend on the batch size or on the engine that runs the batches.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from capra.compiled import compile_ahead
from capra.engines import IN_PROCESS, check_engine, map_tasks
from capra.errors import ArgumentError
from capra.herd import feeding
from capra.herd import processes as pr
from capra.herd.params import HerdParams, compile_params
from capra.herd.result import HerdResult
from capra.herd.rng import replicate_keys
from capra.herd.state import NEVER, HerdState
from capra.herd.uncertainty import ParameterDraws

if TYPE_CHECKING:
    import pandas as pd

#: Drop removed animals from the arrays every this many days: the passes then read a
#: few per cent of rows of removed animals, and the rows are copied less often (nampo,
#: batch of 100: 47.6, 43.8, 43.1, 44.3 and 48.0 ns per animal-day every 16, 32, 64,
#: 128 and 256 days). No number depends on it. [days]
COMPACT_EVERY_DAYS = 64
#: Replicates simulated together in one set of arrays when the caller does not say. The
#: compiled day runs as fast per animal-day from 25 to 100 replicates a batch (its calls
#: from Python, some 145 a batch over 5 years, cost little), and smaller batches share a
#: parallel run's work more evenly at its end: measured on nampo, 1,000 replicates over
#: 5 years on 2 threads in 23.0 s in batches of 100, 22.7 s of 50, 22.0 s of 25 and
#: 22.7 s of 10; on 2 processes 25.7 s in batches of 100 and 25.0 s of 25. [-]
BATCH_SIZE = 25
#: The compiled functions of a simulation and their argument types, for the first compile
#: on a machine to be shared by two processes (:func:`capra.compiled.compile_ahead`;
#: written by ``scripts/record_compiled_signatures.py`` from :func:`record_simulation`).
SIGNATURES = Path(__file__).resolve().parents[1] / "data" / "compiled" / "herd.pkl"
_compiled_ahead = False


def record_simulation() -> None:
    """The simulation whose compiled functions :data:`SIGNATURES` lists: one replicate
    of the bundled scenario for 30 days, all compiled here."""
    from capra.scenario import load_scenario

    global _compiled_ahead
    _compiled_ahead = True
    simulate(load_scenario("nampo").model_copy(update={"horizon_days": 30}), 1)


def _compile_ahead() -> None:
    """:func:`capra.compiled.compile_ahead` for the simulation, once per process."""
    global _compiled_ahead
    if not _compiled_ahead:
        _compiled_ahead = True
        compile_ahead(SIGNATURES)


def simulate_batch(params: HerdParams, replicates: Sequence[int], seed: int,
                   progress: Callable[[int], None] | None = None,
                   recorder: pr.Recorder | None = None,
                   blocks: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> dict[str, np.ndarray]:
    """Simulate the given replicates together; returns arrays (replicate, day, location).

    Parameters
    ----------
    params
        Compiled daily parameters.
    replicates
        Replicate numbers (they select the random streams).
    seed
        The run's seed.
    progress
        Called with the number of days done since the last call.

    ``params`` holds the parameters of these replicates: with parameter uncertainty,
    those of :meth:`ParameterDraws.batch <capra.herd.uncertainty.ParameterDraws.batch>`.
    """
    reps = np.asarray(replicates, dtype=np.int64)
    keys = replicate_keys(seed, reps)
    state = HerdState(reps.size, params.n_locations, n_groups=params.n_groups)
    rec = recorder or pr.Recorder(reps.size, params.n_days, params.n_locations,
                                  health=params.health is not None, blocks=blocks)
    feeding.start(state, params, rec)
    step = max(params.n_days // 100, 1)
    t = 0
    while t < params.n_days:       # days in spans that end at a compaction or a step
        stop = min(params.n_days, (t // COMPACT_EVERY_DAYS + 1) * COMPACT_EVERY_DAYS,
                   (t // step + 1) * step)
        pr.run_days(state, t, stop, params, keys, rec)
        t = stop
        if t % COMPACT_EVERY_DAYS == 0:
            state.compact()
        if progress is not None and t % step == 0:
            progress(step)
    if progress is not None and params.n_days % step:
        progress(params.n_days % step)
    return rec.data


def _run_one(args):
    """One batch of replicates, as a task of :func:`capra.engines.map_tasks`."""
    params, reps, seed, draws, blocks = args
    if draws is not None:
        params = draws.batch(params, reps, seed)
    return simulate_batch(params, reps, seed, blocks=blocks)


def run_batches(params, batches: Sequence[Sequence[int]], seed: int,
                on_part: Callable[[int, dict], None], *, engine: str = "serial",
                workers: int | None = None, scheduler: str | None = None,
                progress: Callable[[int], None] | None = None,
                draws: ParameterDraws | None = None,
                blocks: Sequence[tuple[np.ndarray, np.ndarray]] | None = None) -> None:
    """Simulate each batch of replicates on ``engine``, handing each part (the arrays of
    :func:`simulate_batch`) to ``on_part(batch index, part)`` as soon as it is done, in
    any order, and keeping none.

    ``progress`` is called with replicate-days done; ``draws``, if given, gives each
    replicate its own uncertain parameters; ``blocks``, if given (engines of this process
    only), the recorder's arrays of each batch (:meth:`capra.herd.processes.Recorder.
    blocks`), which the part's arrays then are.
    """
    check_engine(engine)
    if engine != "dask" or scheduler is None:     # not for another machine's workers
        _compile_ahead()
    if blocks is not None and engine not in IN_PROCESS:
        raise ArgumentError(f"engine {engine!r}: the recorders' arrays can only be handed "
                            f"to the engines of this process, {IN_PROCESS}")
    blocks = blocks or [None] * len(batches)
    if engine == "serial":
        for i, reps in enumerate(batches):
            cb = None if progress is None else (lambda d, n=len(reps): progress(d * n))
            p = params if draws is None else draws.batch(params, reps, seed)
            on_part(i, simulate_batch(p, reps, seed, progress=cb, blocks=blocks[i]))
        return
    tasks = [(params, list(reps), seed, draws, b) for reps, b in zip(batches, blocks)]

    def done(i, part):
        on_part(i, part)
        if progress is not None:
            progress(len(tasks[i][1]) * params.n_days)

    map_tasks(_run_one, tasks, engine=engine, workers=workers, scheduler=scheduler,
              on_done=done, keep=False)


def batch_size_for(replicates: int, engine: str = "serial", workers: int | None = None) -> int:
    """Replicates per batch when none is given: :data:`BATCH_SIZE`, or fewer so that each
    worker of a parallel engine gets a batch (``workers``, by default this machine's
    cores, also for a Dask cluster whose size is not given).

    >>> batch_size_for(1000), batch_size_for(30, "processes", workers=2)
    (25, 15)
    """
    size = BATCH_SIZE
    if engine != "serial":
        size = min(size, -(-replicates // max(workers or os.cpu_count() or 1, 1)))
    return max(min(size, replicates), 1)


def simulate(scenario, replicates: int = 100, seed: int = 0, *, batch_size: int | None = None,
             engine: str = "serial", workers: int | None = None, scheduler: str | None = None,
             progress: Callable[[int], None] | None = None,
             parameter_uncertainty: bool = True, feed: bool = True) -> HerdResult:
    """Simulate a scenario's herd, day by day, for many stochastic replicates.

    Parameters
    ----------
    scenario
        A :class:`capra.scenario.Scenario`.
    replicates
        Number of Monte Carlo replicates.
    seed
        Seed of the run; the same seed gives the same result on any engine.
    batch_size
        Replicates simulated together in one set of arrays (memory vs speed; the numbers
        do not depend on it); None: :func:`batch_size_for`.
    engine
        ``"serial"``, ``"threads"`` (threads of this process), ``"processes"`` (local
        processes) or ``"dask"`` (:func:`capra.engines.map_tasks`).
    workers
        Number of threads or local processes.
    scheduler
        Address of a Dask scheduler (``engine="dask"``); None starts a local cluster.
    progress
        Called with the number of replicate-days done, for progress bars.
    parameter_uncertainty
        Each replicate draws its own value of every scenario value given as a
        distribution (:mod:`capra.herd.uncertainty`); False: every replicate uses the
        point values, and the spread across replicates is chance alone.
    feed
        Feed the herd from each farm's resources and apply the responses to a shortage
        (:mod:`capra.herd.feeding`), and record the feed budget; False: every animal eats
        what it needs and no budget is kept (with feed that never runs short, the herd and
        its milk are the same either way).

    Returns
    -------
    HerdResult with an xarray Dataset of dims (replicate, date, farm); with parameter
    uncertainty, also each replicate's drawn values (``parameter_value``, dims
    replicate and parameter).
    """
    if replicates < 1:
        raise ArgumentError(f"replicates: expected at least 1 replicate, got {replicates}")
    if batch_size is not None and batch_size < 1:
        raise ArgumentError(f"batch_size: expected at least 1 replicate per batch, got "
                            f"{batch_size}")
    params = compile_params(scenario)
    if not feed:
        params = dataclasses.replace(params, feeding=None)
    draws = ParameterDraws.of(scenario) if parameter_uncertainty else None
    if batch_size is None:
        batch_size = batch_size_for(replicates, engine, workers)
    batches = [list(range(i, min(i + batch_size, replicates)))
               for i in range(0, replicates, batch_size)]
    # the daily outputs: on the engines of this process, each batch's recorder writes
    # into its replicates' part of the results' arrays; parts from other processes are
    # copied in as they come (while the other batches run), not concatenated at the end
    first = np.cumsum([0] + [len(b) for b in batches])
    whole = pr.Recorder.blocks(replicates, params.n_days, params.n_locations)
    data = dict(pr.Recorder(replicates, params.n_days, params.n_locations,
                            health=params.health is not None, blocks=whole).data)
    blocks = ([(whole[0][:, a:b], whole[1][:, a:b]) for a, b in zip(first[:-1], first[1:])]
              if engine in IN_PROCESS else None)

    def keep(i: int, part: dict) -> None:
        for name, values in part.items():
            if name not in data:
                data[name] = np.zeros((replicates,) + values.shape[1:], values.dtype)
            elif np.may_share_memory(values, data[name]):
                continue                            # written in place by the recorder
            data[name][first[i]:first[i + 1]] = values

    run_batches(params, batches, seed, keep, engine=engine, workers=workers,
                scheduler=scheduler, progress=progress, draws=draws, blocks=blocks)
    result = HerdResult.from_arrays(data, params, scenario=scenario, seed=seed)
    if draws is not None:
        result.add_parameter_draws(draws.parameters, draws.values(seed, replicates))
    return result


def simulate_events(scenario, seed: int = 0, replicate: int = 0, *,
                    parameter_uncertainty: bool = True) -> dict[str, "pd.DataFrame"]:
    """One replicate with its per-animal event log, as farm records would have it.

    Returns ``{event: DataFrame}`` with columns ``date, uid, location`` and the event's own
    fields: ``arrivals`` (sex, birth_date, parity, due_date, kidding_date, lactating, batch),
    ``births`` (sex, dam), ``kiddings`` (litter, parity), ``stillbirths`` (one row per
    stillborn kid, uid = dam), ``conceptions`` (due_date, method), ``abortions``,
    ``dry_offs``, ``deaths``, ``sales``, ``culls``, ``transfers`` (from_location,
    to_location) and ``test_days`` (milk_kg, dim). The numbers are those of replicate
    ``replicate`` of :func:`simulate` with the same seed and ``parameter_uncertainty``
    (with it, the replicate's own draw of the uncertain parameters).
    """
    import pandas as pd

    params = compile_params(scenario)
    draws = ParameterDraws.of(scenario) if parameter_uncertainty else None
    rec = pr.Recorder(1, params.n_days, params.n_locations, log_events=True,
                      health=params.health is not None)
    p = params if draws is None else draws.batch(params, [replicate], seed)
    _compile_ahead()
    simulate_batch(p, [replicate], seed, recorder=rec)
    locs = np.asarray(params.locations, dtype=object)
    dates = params.dates
    frames: dict[str, list] = {}
    for row in rec.events:
        frames.setdefault(row["event"], []).append(row)
    out = {}
    for name, rows in frames.items():
        cols = {k: np.concatenate([np.broadcast_to(r[k], r["uid"].shape) for r in rows])
                for k in rows[0] if k not in ("event", "rep")}
        df = pd.DataFrame(cols)
        df.insert(0, "date", dates[df.pop("day").to_numpy()])
        df["location"] = locs[df.pop("loc").to_numpy()]
        for col in ("birth", "due", "kidded"):
            if col in df:
                day = df.pop(col).to_numpy()
                name_ = {"birth": "birth_date", "due": "due_date", "kidded": "kidding_date"}[col]
                known = {"birth": np.ones(day.size, bool), "due": day >= 0,
                         "kidded": day > NEVER}[col]
                when = pd.Timestamp(params.start_date) + pd.to_timedelta(
                    np.where(known, day, 0), "D")
                df[name_] = when.where(known)
        if "sex" in df:
            df["sex"] = np.where(df["sex"] == 0, "female", "male")
        out[name] = df.sort_values(["date", "uid"], kind="stable").reset_index(drop=True)
    if "transfers_out" in out:
        o, i = out.pop("transfers_out"), out.pop("transfers_in")
        out["transfers"] = o.rename(columns={"location": "from_location"}).assign(
            to_location=i.set_index(["date", "uid"]).loc[
                list(zip(o["date"], o["uid"])), "location"].to_numpy())
    return out
