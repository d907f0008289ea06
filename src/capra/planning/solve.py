"""Solve planning LPs with HiGHS (``highspy``); outcomes are data, never exceptions.

:func:`solve` runs one objective; :func:`solve_lexicographic` runs several in order, each
later one restricted to solutions within a small tolerance of the earlier optima.
:class:`Solver` keeps one HiGHS instance so that right-hand sides can be changed and the
model re-solved from the previous basis (used to evaluate one plan on many supply
futures).

Row duals are HiGHS's: for a minimisation, the change of the objective per unit increase
of a row bound that is active (a marginal value, valid only near the optimum, while the
optimal basis stays the same).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np

from capra.errors import ArgumentError
from capra.planning.lp import LinearModel

__all__ = ["LPResult", "Solver", "solve", "solve_lexicographic"]

#: Relative and absolute slack allowed on an earlier objective in a lexicographic solve.
LEX_RELATIVE_TOLERANCE = 1e-7
LEX_ABSOLUTE_TOLERANCE = 1e-6

_STATUS = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kUnboundedOrInfeasible": "infeasible_or_unbounded",
    "kModelEmpty": "optimal",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "iteration_limit",
}


@dataclass
class LPResult:
    """Outcome of one LP solve.

    Attributes
    ----------
    status
        ``"optimal"``, ``"infeasible"``, ``"unbounded"``, ``"infeasible_or_unbounded"``,
        ``"time_limit"``, ``"iteration_limit"`` or ``"error"``. [-]
    message
        What happened, in words. [-]
    x
        Column values (None unless a solution exists). [model units]
    row_dual, col_dual
        Row duals and reduced costs (None unless optimal). [objective units per unit]
    objective
        Objective value (NaN unless optimal). [objective units]
    seconds
        Wall time of the solve. [s]
    """

    status: str
    message: str
    x: np.ndarray | None = None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    objective: float = float("nan")
    seconds: float = 0.0
    objectives: dict | None = None

    @property
    def success(self) -> bool:
        return self.status == "optimal"


def _messages(status: str) -> str:
    return {
        "optimal": "optimal solution found",
        "infeasible": "no plan satisfies all constraints (e.g. no milk or no plant can "
                      "reach a site that must be served)",
        "unbounded": "the objective is unbounded (e.g. no operating day to serve, so any "
                     "enrolment is served)",
        "infeasible_or_unbounded": "the problem is infeasible or unbounded",
        "time_limit": "the solver stopped at its time limit",
        "iteration_limit": "the solver stopped at its iteration limit",
    }.get(status, "the solver failed")


_QUIET = {"done": False}


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance. The first one prints a banner straight to the process's
    standard output (not through Python), which would corrupt JSON output; it is sent to
    the null device."""
    if _QUIET["done"]:
        return highspy.Highs()
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1: nothing to protect
        _QUIET["done"] = True
        return highspy.Highs()
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    _QUIET["done"] = True
    return h


class Solver:
    """One HiGHS instance holding a :class:`~capra.planning.lp.LinearModel`.

    Parameters
    ----------
    model
        The LP.
    threads
        HiGHS threads (1 keeps runs reproducible and leaves cores to other work).
    time_limit
        Seconds per solve; None: none. [s]
    cold
        Algorithm of the first solve: ``"ipm"`` (interior point, then crossover),
        ``"simplex"`` (dual simplex) or ``"auto"`` (by size, see :attr:`IPM_COLUMNS`).
    """

    def __init__(self, model: LinearModel, *, threads: int = 1,
                 time_limit: float | None = None, cold: str = "auto"):
        if cold not in ("auto", "ipm", "simplex"):
            raise ArgumentError(f"cold {cold!r}; expected 'auto', 'ipm' or 'simplex'")
        self.model = model
        self.cold = cold
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", int(threads))
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        lp = highspy.HighsLp()
        A = model.A.tocsc()
        lp.num_col_ = A.shape[1]
        lp.num_row_ = A.shape[0]
        lp.col_cost_ = np.asarray(model.c, float)
        inf = highspy.kHighsInf
        lp.col_lower_ = np.where(np.isfinite(model.col_lo), model.col_lo, -inf)
        lp.col_upper_ = np.where(np.isfinite(model.col_hi), model.col_hi, inf)
        lp.row_lower_ = np.where(np.isfinite(model.row_lo), model.row_lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(model.row_hi), model.row_hi, inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data.astype(float)
        h.passModel(lp)
        self.highs = h
        self.n_rows = A.shape[0]
        self._solved = False
        self._warm = "simplex"  # the simplex variant for the next warm solve

    #: With ``cold="auto"``, models with more columns than this start with the
    #: interior-point method (then crossover to a basis), smaller ones with the dual
    #: simplex. Later solves of the same instance start from the previous basis: with
    #: the primal simplex after a change of costs or an added row that the previous
    #: solution satisfies (the basis stays primal feasible), with the dual simplex after
    #: a change of row bounds (it stays dual feasible).
    IPM_COLUMNS = 10000
    #: Interior-point iterations after which a first solve goes on with the dual simplex:
    #: the method converges in tens of iterations on these LPs, but it was seen to stall
    #: (dual residual stuck near 1e-5 for 10,000 iterations) on a degenerate dispatch
    #: whose optimum is a large face at zero waste.
    IPM_ITERATIONS = 400
    #: Relative gap at which the interior-point method hands over to crossover (HiGHS's
    #: default is 1e-8). The answer is the basis that crossover finds, made optimal by the
    #: simplex to its own tolerances, so this only decides where crossover starts. At
    #: 1e-8 the method was seen to end with "no progress" on an in-full dispatch whose
    #: waste optimum is zero (the dual objective stuck at -1.5e-7 kg, a relative gap of
    #: 1.5e-7); HiGHS then drops the interior point and runs the dual simplex from
    #: scratch: 8.9 s instead of 1.3 s for the dispatch of `capra run` on three nampo
    #: districts. [-]
    IPM_GAP = 1e-6

    def set_cost(self, c: np.ndarray) -> None:
        idx = np.arange(len(c), dtype=np.int32)
        self.highs.changeColsCost(len(c), idx, np.asarray(c, float))
        self._warm = "primal"

    def set_row_bounds(self, rows: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        self.highs.changeRowsBounds(len(rows), rows, np.asarray(lo, float),
                                    np.asarray(hi, float))
        self._warm = "dual"

    def set_col_bounds(self, cols: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Change column bounds (e.g. a lever's fixed level); the next solve starts from the
        previous basis with the dual simplex."""
        cols = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsBounds(len(cols), cols, np.asarray(lo, float),
                                    np.asarray(hi, float))
        self._warm = "dual"

    def column_ranging(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For nonbasic columns ``cols`` of the last optimal solve: the lowest and the
        highest value their bound can take with the same optimal basis (so that their
        reduced cost stays their marginal value). NaN when HiGHS gives no ranging."""
        cols = np.asarray(cols, dtype=np.int64)
        nan = np.full(len(cols), np.nan)
        try:
            status, rng = self.highs.getRanging()
        except Exception:  # noqa: BLE001 - no ranging is an answer, not a failure
            return nan, nan.copy()
        if status != highspy.HighsStatus.kOk or not getattr(rng, "valid", True):
            return nan, nan.copy()
        lo = np.asarray(rng.col_bound_dn.value_, float)[cols]
        hi = np.asarray(rng.col_bound_up.value_, float)[cols]
        return lo, hi

    def add_row(self, coefs: np.ndarray, hi: float) -> None:
        """Add the row ``coefs · x <= hi`` (one that the last solution satisfies)."""
        idx = np.flatnonzero(coefs).astype(np.int32)
        self.highs.addRow(-highspy.kHighsInf, float(hi), len(idx), idx, coefs[idx])

    def run(self) -> LPResult:
        h = self.highs
        t0 = time.perf_counter()
        ipm = False
        if not self._solved:
            ipm = self.cold == "ipm" or (self.cold == "auto"
                                         and self.model.n_cols > self.IPM_COLUMNS)
            h.setOptionValue("solver", "ipm" if ipm else "simplex")
            h.setOptionValue("simplex_strategy", 1)
            h.setOptionValue("ipm_iteration_limit", self.IPM_ITERATIONS)
            h.setOptionValue("ipm_optimality_tolerance", self.IPM_GAP)
        else:
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("simplex_strategy", 4 if self._warm == "primal" else 1)
        try:
            h.run()
            name = h.getModelStatus().name
            if ipm and name == "kIterationLimit":  # a stalled interior point: the simplex
                h.setOptionValue("solver", "simplex")
                h.run()
                name = h.getModelStatus().name
        except Exception as exc:  # noqa: BLE001 - a solver failure is a status
            return LPResult("error", f"HiGHS failed: {exc}", seconds=time.perf_counter() - t0)
        seconds = time.perf_counter() - t0
        status = _STATUS.get(name, "error")
        message = _messages(status) + ("" if status != "error" else f" ({name})")
        if status != "optimal":
            return LPResult(status, message, seconds=seconds)
        self._solved = True
        sol = h.getSolution()
        n = self.model.n_cols
        return LPResult(status, message, x=np.asarray(sol.col_value)[:n],
                        row_dual=np.asarray(sol.row_dual)[: self.n_rows],
                        col_dual=np.asarray(sol.col_dual)[:n],
                        objective=float(h.getInfo().objective_function_value),
                        seconds=seconds)


def solve(model: LinearModel, *, threads: int = 1, time_limit: float | None = None,
          cold: str = "auto") -> LPResult:
    """Solve ``model`` with its current cost vector ``model.c`` (``cold``: see
    :class:`Solver`)."""
    return Solver(model, threads=threads, time_limit=time_limit, cold=cold).run()


def solve_lexicographic(model: LinearModel, order: tuple[str, ...], *, threads: int = 1,
                        time_limit: float | None = None) -> LPResult:
    """Optimise the objectives ``model.costs[name]`` for ``name`` in ``order``, each one
    within a small tolerance of the optima of those before it.

    Returns the last stage's result; ``objectives`` holds every stage's optimum (divided
    by ``model.cost_units[name]``). A stage that is not optimal ends the sequence with its
    status.
    """
    solver = Solver(model, threads=threads, time_limit=time_limit)
    values: dict[str, float] = {}
    result = LPResult("error", "no objective given")
    total = 0.0
    for name in order:
        c = model.costs[name]
        slack = LEX_ABSOLUTE_TOLERANCE
        if result.success and result.x is not None and (c >= 0).all() \
                and float(c @ result.x) <= slack:
            # a non-negative objective already at zero: the previous solution is optimal
            values[name] = float(c @ result.x)
            solver.add_row(c, slack)
            continue
        solver.set_cost(c)
        result = solver.run()
        total += result.seconds
        if not result.success:
            result.message = f"stage {name!r}: {result.message}"
            break
        values[name] = result.objective
        slack = LEX_ABSOLUTE_TOLERANCE + LEX_RELATIVE_TOLERANCE * abs(result.objective)
        solver.add_row(c, result.objective + slack)
    result.objectives = {k: v / model.cost_units.get(k, 1.0) for k, v in values.items()}
    result.seconds = total
    return result
