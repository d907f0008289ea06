"""Where independent tasks run: in this process, in threads of this process, in local
processes, or on a Dask cluster.

:func:`map_tasks` runs one picklable function over a list of tasks and returns the
results in task order, whatever the engine, so that the numbers do not depend on where
they were computed. The herd's replicate batches (:func:`capra.herd.simulate.run_batches`)
and the planner's supply futures use it. This module knows nothing of what the tasks do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from capra.errors import ArgumentError

ENGINES = ("serial", "threads", "processes", "dask")
#: The engines that run the tasks in this process: a task may write into the caller's
#: arrays.
IN_PROCESS = ("serial", "threads")


def check_engine(engine: str) -> str:
    """``engine`` if it is one of :data:`ENGINES`, else an
    :class:`~capra.errors.ArgumentError` naming them."""
    if engine not in ENGINES:
        raise ArgumentError(f"engine: unknown engine {engine!r}; expected one of "
                            f"{', '.join(ENGINES)}")
    return engine


def _finished(results: list, i: int, result, on_done, keep: bool) -> None:
    """Task ``i`` finished with ``result``: hand it to ``on_done``, keep it if asked."""
    if on_done is not None:
        on_done(i, result)
    if keep:
        results[i] = result


def map_tasks(func: Callable, tasks: Sequence, *, engine: str = "serial",
              workers: int | None = None, scheduler: str | None = None,
              on_done: Callable[[int, object], None] | None = None,
              keep: bool = True) -> list:
    """``[func(task) for task in tasks]``, computed by ``engine``.

    Parameters
    ----------
    func
        A module-level function (it is sent to other processes by reference).
    tasks
        Its arguments, one per call.
    engine
        ``"serial"`` (this process), ``"threads"`` (threads of this process: nothing is
        copied or pickled, and no script needs a ``__main__`` guard; the tasks run side by
        side while they are in code that releases the GIL, such as the herd's compiled
        passes), ``"processes"`` (local processes, started with *spawn*) or ``"dask"``
        (a Dask cluster: ``scheduler``'s address, or a local one).
    workers
        Threads, local processes or Dask workers (default: the number of cores).
    on_done
        Called with (task index, result) as each task finishes (in any order).
    keep
        Keep the results and return them; False: only hand each to ``on_done`` (the
        memory of a result is freed once ``on_done`` has used it), and return Nones.

    Returns
    -------
    list
        The results, in the order of ``tasks``.
    """
    check_engine(engine)
    results: list = [None] * len(tasks)
    if engine == "serial" or not tasks:
        for i, task in enumerate(tasks):
            _finished(results, i, func(task), on_done, keep)
        return results
    if engine in ("threads", "processes"):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed

        from concurrent.futures.process import BrokenProcessPool

        n = min(workers or os.cpu_count() or 1, len(tasks))
        pool = (ThreadPoolExecutor(max_workers=n) if engine == "threads" else
                ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn")))
        try:
            with pool:
                futures = {pool.submit(func, task): i for i, task in enumerate(tasks)}
                for fut in as_completed(futures):
                    _finished(results, futures.pop(fut), fut.result(), on_done, keep)
        except BrokenProcessPool as exc:
            from capra.errors import CapraError

            raise CapraError(
                "a local process of engine 'processes' stopped: each process starts "
                "Python afresh and runs the calling script's top level again, so a script "
                "that uses it must hold its work under `if __name__ == \"__main__\":` "
                "(or use engine 'threads'); or the machine ran out of memory (fewer "
                "workers, or engine 'serial')"
            ) from exc
        return results
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise ArgumentError("engine: the dask engine needs the 'dask' extra: "
                            "pip install 'capra[dask]'") from exc
    cluster = None if scheduler else LocalCluster(n_workers=workers or os.cpu_count(),
                                                  threads_per_worker=1, processes=True)
    try:
        with Client(scheduler or cluster) as client:
            futures = [client.submit(func, task, pure=False) for task in tasks]
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in dask_completed(futures):
                _finished(results, index[fut.key], fut.result(), on_done, keep)
                fut.release()
    finally:
        if cluster is not None:
            cluster.close()
    return results

