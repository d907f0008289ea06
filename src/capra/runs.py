"""The main job in one call: a scenario, its herd simulated day by day over many replicates,
the supply plan for its sites, and the report.

:func:`run` is what ``capra run`` and ``capra plan`` call; :func:`load_scenario`,
:func:`simulate` and :func:`plan` are its steps on their own. Each takes the scenario as a
bundled name (``"nampo"``), the path of a TOML file, or a :class:`~capra.scenario.Scenario`,
and refuses anything else with a :class:`~capra.errors.CapraError` that says what it
expects. They are exported from the package (``capra.run``)::

    import capra

    run = capra.run("nampo", replicates=20, seed=1)
    print(run.summary())               # headline figures, P10/P50/P90
    run.plan.headline()                # children served every operating day
    run.write_report("capra-out")      # capra-out/report.html

A :class:`Run` holds the scenario, the herd result and the plan; ``to_dict()`` is exactly
what ``capra run --json`` prints.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capra.engines import check_engine
from capra.errors import ArgumentError, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

    from capra.herd.result import HerdResult
    from capra.planning.result import Plan
    from capra.scenario import Scenario

__all__ = ["DEFAULT_REPLICATES", "Progress", "Run", "load_scenario", "plan", "run",
           "simulate"]

#: Monte Carlo replicates of the herd, the same default for every command and function:
#: P10 and P90 are then the 10th and 90th of 100 ordered values, and the herd of the
#: bundled five-year scenario takes seconds (README benchmarks: 1,000 replicates with
#: feed and parameter uncertainty in about 25 to 30 s on 2 cores). [-]
DEFAULT_REPLICATES = 100

#: ``progress(step, done, total)``: called as the work advances. ``step`` is ``"herd"``
#: (``done`` of ``total`` replicate-days simulated) or a step of the plan (``"futures"``,
#: ``"enrolment"``, ``"dispatch"``, ``"programme years"``).
Progress = Callable[[str, int, int], None]


# ---- arguments --------------------------------------------------------------------------

def load_scenario(scenario: str | os.PathLike) -> Scenario:
    """Load and validate a scenario: a bundled name (``"nampo"``, see
    ``capra scenario list``) or the path of a TOML file.

    Raises
    ------
    ScenarioError
        If ``scenario`` is neither, if the file is missing or unreadable, or if the
        scenario is invalid (every problem is listed, with file and key).
    """
    from capra.scenario import load_scenario as load

    if isinstance(scenario, bool) or not isinstance(scenario, (str, os.PathLike)):
        raise ScenarioError(f"expected a bundled scenario name or the path of a scenario "
                            f"file; got {type(scenario).__name__} {scenario!r}",
                            value=scenario)
    return load(scenario)


def as_scenario(scenario: str | os.PathLike | Scenario) -> Scenario:
    """``scenario`` itself if it is a :class:`~capra.scenario.Scenario`, else the scenario
    loaded from a bundled name or a file (:func:`load_scenario`)."""
    from capra.scenario import Scenario

    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, bool) or not isinstance(scenario, (str, os.PathLike)):
        raise ScenarioError(f"expected a bundled scenario name, the path of a scenario file "
                            f"or a Scenario; got {type(scenario).__name__} {scenario!r}",
                            value=scenario)
    return load_scenario(scenario)


def _integer(name: str, value: Any, *, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{name}: expected a whole number; got "
                            f"{type(value).__name__} {value!r}")
    if low is not None and value < low:
        raise ArgumentError(f"{name}: expected a whole number >= {low}; got {value}")
    return value


def _optional_integer(name: str, value: Any, *, low: int) -> int | None:
    return None if value is None else _integer(name, value, low=low)


def _herd_result(herd: Any) -> HerdResult:
    from capra.herd.result import HerdResult

    if isinstance(herd, HerdResult):
        return herd
    if isinstance(herd, (str, os.PathLike)):
        return HerdResult.load(herd)
    raise ArgumentError(f"herd: expected a HerdResult or the path of a saved simulation "
                        f"(.nc); got {type(herd).__name__} {herd!r}")


def _herd_ticks(progress: Progress | None, total: int) -> Callable[[int], None] | None:
    """The herd's progress (days done since the last call) as ``progress("herd", ...)``."""
    if progress is None:
        return None
    done = 0
    progress("herd", 0, total)

    def tick(days: int) -> None:
        nonlocal done
        done += days
        progress("herd", done, total)

    return tick


# ---- the steps --------------------------------------------------------------------------

def simulate(scenario: str | os.PathLike | Scenario, replicates: int = DEFAULT_REPLICATES,
             seed: int = 0, *, engine: str = "serial", workers: int | None = None,
             scheduler: str | None = None, batch_size: int | None = None,
             progress: Progress | None = None,
             parameter_uncertainty: bool = True) -> HerdResult:
    """Simulate a scenario's herd, day by day, for many stochastic replicates.

    Parameters
    ----------
    scenario
        A bundled scenario name, the path of a scenario file, or a
        :class:`~capra.scenario.Scenario`.
    replicates
        Monte Carlo replicates. [-]
    seed
        Seed of the run: the same seed gives the same numbers on any engine. [-]
    engine
        Where replicates run: ``"serial"``, ``"threads"``, ``"processes"`` or ``"dask"``.
    workers
        Threads or local processes (or the workers of a local Dask cluster). [-]
    scheduler
        Address of a Dask scheduler (``engine="dask"``); None starts a local cluster.
    batch_size
        Replicates simulated together in one set of arrays (the numbers do not depend on
        it); None: :func:`capra.herd.simulate.batch_size_for`. [-]
    progress
        See :data:`Progress` (step ``"herd"``).
    parameter_uncertainty
        Each replicate draws its own value of every scenario value given as a
        distribution (``docs/scenario.md``); False: the point values, so that the spread
        across replicates is chance alone.

    Returns
    -------
    HerdResult
        Daily herd and milk per replicate, date and location
        (:class:`capra.herd.result.HerdResult`).
    """
    from capra.herd.simulate import simulate as simulate_herd

    sc = as_scenario(scenario)
    replicates = _integer("replicates", replicates, low=1)
    seed = _integer("seed", seed)
    batch_size = _optional_integer("batch_size", batch_size, low=1)
    workers = _optional_integer("workers", workers, low=1)
    if not isinstance(parameter_uncertainty, bool):
        raise ArgumentError(f"parameter_uncertainty: expected True or False; got "
                            f"{parameter_uncertainty!r}")
    return simulate_herd(sc, replicates=replicates, seed=seed, engine=check_engine(engine),
                         workers=workers, scheduler=scheduler, batch_size=batch_size,
                         progress=_herd_ticks(progress, replicates * sc.horizon_days),
                         parameter_uncertainty=parameter_uncertainty)


def _planning_scenario(sc: Scenario, from_stock: Any, opening_stock: Any, quantile: Any,
                       enrolment: Any) -> Scenario:
    """The scenario to plan (``planning.year = "from_stock"`` with ``from_stock``), after
    the planning arguments are checked."""
    if not isinstance(from_stock, bool):
        raise ArgumentError(f"from_stock: expected True or False; got {from_stock!r}")
    if quantile is not None and not 0.0 <= quantile <= 1.0:
        raise ArgumentError(f"quantile: expected a share from 0 to 1; got {quantile!r}")
    if enrolment is not None and not enrolment >= 0:
        raise ArgumentError(f"enrolment: expected a number of children >= 0; got "
                            f"{enrolment!r}")
    if opening_stock is not None and not from_stock:
        raise ArgumentError("opening_stock is the stock of a plan from today's stock; "
                            "give from_stock=True with it")
    if not from_stock:
        return sc
    from capra.planning.inputs import from_stock as planned_from_stock

    return planned_from_stock(sc)


def _herd(sc: Scenario, herd: Any, replicates: int, seed: int, engine: str,
          workers: int | None, scheduler: str | None, batch_size: int | None,
          progress: Progress | None, parameter_uncertainty: bool = True) -> HerdResult:
    """The herd to plan on: ``herd`` (given or read from a file, with the scenario), or
    the scenario simulated."""
    if herd is None:
        return simulate(sc, replicates, seed, engine=engine, workers=workers,
                        scheduler=scheduler, batch_size=batch_size, progress=progress,
                        parameter_uncertainty=parameter_uncertainty)
    result = _herd_result(herd)
    return result if result.scenario is not None else dataclasses.replace(result, scenario=sc)


def plan(scenario: str | os.PathLike | Scenario,
         herd: HerdResult | str | os.PathLike | None = None, *,
         replicates: int = DEFAULT_REPLICATES, seed: int = 0, quantile: float | None = None,
         futures: int | None = None, enrolment: float | None = None,
         from_stock: bool = False, opening_stock: pd.DataFrame | None = None,
         engine: str = "serial", workers: int | None = None, scheduler: str | None = None,
         batch_size: int | None = None, decompose: bool | None = None,
         progress: Progress | None = None, parameter_uncertainty: bool = True) -> Plan:
    """Plan what to make of a scenario's milk and where to send it: the children served
    on every operating day of a repeatable year across the simulated futures, year by
    year from the first arrival, and what binds (:func:`capra.planning.plan_from_herd`).

    ``herd`` is the herd simulation to plan on (a :class:`~capra.herd.result.HerdResult`
    or the path of one saved as ``.nc``); without it the herd is simulated first. The
    other parameters are those of :func:`run`. A scenario without sites, or milk that
    cannot serve anyone, gives a plan whose ``status`` says so, not an error.
    """
    sc = _planning_scenario(as_scenario(scenario), from_stock, opening_stock, quantile,
                            enrolment)
    engine = check_engine(engine)
    futures = _optional_integer("futures", futures, low=1)
    result = _herd(sc, herd, replicates, seed, engine, workers, scheduler, batch_size,
                   progress, parameter_uncertainty)
    return _plan(sc, result, quantile=quantile, futures=futures, enrolment=enrolment,
                 opening_stock=opening_stock, engine=engine, workers=workers,
                 scheduler=scheduler, decompose=decompose, progress=progress)


def _plan(sc: Scenario, result: HerdResult, **options) -> Plan:
    from capra.planning.planner import plan_from_herd

    return plan_from_herd(sc, result, **options)


def run(scenario: str | os.PathLike | Scenario, *, replicates: int = DEFAULT_REPLICATES,
        seed: int = 0, plan: bool = True, herd: HerdResult | str | os.PathLike | None = None,
        quantile: float | None = None, futures: int | None = None,
        enrolment: float | None = None, from_stock: bool = False,
        opening_stock: pd.DataFrame | None = None, engine: str = "serial",
        workers: int | None = None, scheduler: str | None = None,
        batch_size: int | None = None, decompose: bool | None = None,
        progress: Progress | None = None, parameter_uncertainty: bool = True) -> Run:
    """Simulate a scenario's herd and milk and plan products and deliveries to its sites.

    Parameters
    ----------
    scenario
        A bundled scenario name (``"nampo"``), the path of a scenario file (TOML), or a
        :class:`~capra.scenario.Scenario`.
    replicates
        Monte Carlo replicates of the herd (the simulated futures of the plan). [-]
    seed
        Seed: the same seed gives the same numbers on any engine. [-]
    plan
        Plan the supply of the scenario's sites (a scenario without sites has no plan);
        False: the herd only.
    herd
        A herd simulation to plan on instead of simulating (a
        :class:`~capra.herd.result.HerdResult`, or the path of one saved as ``.nc``);
        ``replicates``, ``seed`` and ``batch_size`` are then not used.
    quantile
        Share of futures the plan may fail in; default the scenario's
        ``planning.quantile``. [fraction]
    futures
        Solve each of this many futures and take the robust order statistic, instead of
        planning on the supply quantile. [-]
    enrolment
        Children enrolled, for the dispatch at full enrolment; default all the sites'
        children. [children]
    from_stock
        Plan this year from today's stock (``opening_stock``, or the scenario's
        ``planning.opening_stock``) instead of a repeatable year.
    opening_stock
        Stock on the day before the first planned day: columns ``plant``, ``product``,
        ``kg``, ``made`` (with ``from_stock``).
    engine, workers, scheduler, batch_size
        Where the replicates, the futures and the groups of sites run (see
        :func:`simulate`).
    decompose
        Solve the daily dispatch by classes and groups of sites (exact, or with a
        measured gap) or as one LP; default: by classes from 40 sites.
    progress
        See :data:`Progress`.
    parameter_uncertainty
        Each replicate draws its own uncertain parameters (see :func:`simulate`).

    Returns
    -------
    Run
        The scenario, the herd result and the plan (None without sites or with
        ``plan=False``). An infeasible plan is a result (``run.plan.status``), not an
        error.

    Raises
    ------
    ScenarioError
        If the scenario cannot be loaded or is invalid.
    ArgumentError
        If an argument is not of the documented form.
    """
    if not isinstance(plan, bool):
        raise ArgumentError(f"plan: expected True or False; got {plan!r}")
    sc = _planning_scenario(as_scenario(scenario), from_stock, opening_stock, quantile,
                            enrolment)
    engine = check_engine(engine)
    futures = _optional_integer("futures", futures, low=1)
    result = _herd(sc, herd, replicates, seed, engine, workers, scheduler, batch_size,
                   progress, parameter_uncertainty)
    planned = None
    if plan and sc.sites:
        planned = _plan(sc, result, quantile=quantile, futures=futures, enrolment=enrolment,
                        opening_stock=opening_stock, engine=engine, workers=workers,
                        scheduler=scheduler, decompose=decompose, progress=progress)
    return Run(sc, result, planned)


# ---- the result ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Run:
    """A scenario, its herd simulation and its plan.

    Attributes
    ----------
    scenario
        The :class:`~capra.scenario.Scenario` run (with ``planning.year = "from_stock"``
        when planned from today's stock).
    herd
        Daily herd and milk per replicate, date and location
        (:class:`~capra.herd.result.HerdResult`).
    plan
        The supply plan (:class:`~capra.planning.result.Plan`), or None when the
        scenario has no sites or planning was not asked for.
    """

    scenario: Scenario
    herd: HerdResult
    plan: Plan | None = None

    def to_dict(self) -> dict:
        """Plain data for JSON, exactly what ``capra run --json`` prints: the herd's
        summary (:meth:`~capra.herd.result.HerdResult.summary_dict`, with
        ``sensitivity``, ``health`` and ``breeding``) and, with a plan, ``plan``
        (:meth:`~capra.planning.result.Plan.to_dict`)."""
        data = self.herd.summary_dict()
        if self.plan is not None:
            data["plan"] = self.plan.to_dict()
        return data

    def summary(self) -> str:
        """The headline figures as text for the terminal: the herd's with their
        P10/P50/P90 across replicates, then the plan's headline and figures
        (:meth:`HerdResult.summary <capra.herd.result.HerdResult.summary>`,
        :meth:`Plan.summary <capra.planning.result.Plan.summary>`)."""
        if self.plan is None:
            return self.herd.summary()
        return f"{self.herd.summary()}\n\n{self.plan.summary()}"

    def summary_table(self) -> pd.DataFrame:
        """The headline figures as one table, one row per metric (units in the name): the
        herd's with their P10/P50/P90 across replicates (columns ``p10``, ``p50``,
        ``p90``), then the plan's (column ``value``)."""
        import pandas as pd

        herd = self.herd.summary_table()
        if self.plan is None:
            return herd
        return pd.concat([herd, self.plan.summary_table()])

    def write_report(self, folder: str | os.PathLike, *, title: str | None = None) -> Path:
        """Write the HTML report (the plan's answer first, the herd, the plan's details)
        as ``folder/report.html``, creating the folder; returns the file
        (:func:`capra.report.write_report`)."""
        from capra.report import write_report

        return write_report(self.herd, folder, plan=self.plan, title=title)

    def write(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write what ``capra run --out`` writes into ``folder`` (created if missing):
        ``summary.json`` (:meth:`to_dict`), ``herd.nc`` (every daily result) and
        ``report.html``. Returns the files by name."""
        from capra.console import json_text
        from capra.outputs import output_folder

        out = output_folder(folder)
        summary = out / "summary.json"
        summary.write_text(json_text(self.to_dict(), indent=2))
        herd = self.herd.to_netcdf(out / "herd.nc")
        return {"summary": summary, "herd": herd, "report": self.write_report(out)}
