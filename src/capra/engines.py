"""Where replicate batches run: in this process, in local processes, or on a Dask cluster.

All engines run the same task, :func:`capra.herd.simulate.simulate_batch`, on the same
batches and return the parts in batch order, so the results are identical.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

ENGINES = ("serial", "processes", "dask")


def _run_one(args):
    from capra.herd.simulate import simulate_batch
    params, reps, seed = args
    return simulate_batch(params, reps, seed)


def run_batches(params, batches: Sequence[Sequence[int]], seed: int, *, engine: str = "serial",
                workers: int | None = None, scheduler: str | None = None,
                progress: Callable[[int], None] | None = None) -> list[dict]:
    """Simulate each batch of replicates; returns the parts in batch order.

    ``progress`` is called with replicate-days done.
    """
    from capra.herd.simulate import simulate_batch

    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "serial":
        parts = []
        for reps in batches:
            cb = None if progress is None else (lambda d, n=len(reps): progress(d * n))
            parts.append(simulate_batch(params, reps, seed, progress=cb))
        return parts
    tasks = [(params, list(reps), seed) for reps in batches]
    if engine == "processes":
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing as mp
        n = workers or os.cpu_count() or 1
        parts = [None] * len(tasks)
        with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(_run_one, task): i for i, task in enumerate(tasks)}
            from concurrent.futures import as_completed
            for fut in as_completed(futures):
                i = futures[fut]
                parts[i] = fut.result()
                if progress is not None:
                    progress(len(tasks[i][1]) * params.n_days)
        return parts
    try:
        from dask.distributed import Client, LocalCluster, as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("the dask engine needs the 'dask' extra: pip install 'capra[dask]'") from exc
    cluster = None if scheduler else LocalCluster(n_workers=workers or os.cpu_count(),
                                                  threads_per_worker=1, processes=True)
    with Client(scheduler or cluster) as client:
        futures = [client.submit(_run_one, task, pure=False) for task in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        parts = [None] * len(tasks)
        for fut in dask_completed(futures):
            i = index[fut.key]
            parts[i] = fut.result()
            if progress is not None:
                progress(len(tasks[i][1]) * params.n_days)
    if cluster is not None:
        cluster.close()
    return parts
