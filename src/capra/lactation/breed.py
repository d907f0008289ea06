"""The breed's lactation curves by parity class, as the daily herd simulation reads them.

:class:`LactationCurves` holds the Wood parameters of parity 1, 2 and 3+ and the
extended-lactation rebound of a breed (section ``[lactation]`` of
``capra/data/breeds/*.toml``, research note ``herd.md`` §3), with a precomputed table of
daily yields by parity class and day in milk, so that a day of the simulation looks up
the milk of every doe at once. The curves themselves are :mod:`capra.lactation.curves`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from capra.errors import ArgumentError
from capra.lactation.curves import wood, wood_extended, wood_extended_total, wood_total

__all__ = ["N_PARITY_CLASSES", "LactationCurves", "parity_class"]

#: Number of parity classes of the breed curves: parity 1, parity 2, parity 3 and later.
N_PARITY_CLASSES = 3


def parity_class(parity: ArrayLike) -> NDArray[np.intp]:
    """Parity class used to index the breed curves.

    Parameters
    ----------
    parity
        Number of kiddings of the doe (0 for a doe that has not kidded). [-]

    Returns
    -------
    numpy.ndarray
        0 for parity 1, 1 for parity 2, 2 for parity 3 and later, -1 for parity 0 (or
        below): no lactation. [-]
    """
    p = np.asarray(parity).astype(np.intp, copy=False)
    return np.clip(p, 0, N_PARITY_CLASSES) - 1


def _per_class(name: str, value: Any) -> NDArray[np.float64]:
    """Parameter as a float array of one value per parity class, validated."""
    arr = np.array(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(N_PARITY_CLASSES, float(arr))
    if arr.shape != (N_PARITY_CLASSES,):
        raise ArgumentError(f"{name} must be a number or {N_PARITY_CLASSES} values (parity 1, "
                            f"2, 3+), got shape {arr.shape}: {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ArgumentError(f"{name} must be finite, got {value!r}")
    return arr


@dataclass(frozen=True, eq=False)
class LactationCurves:
    """Breed lactation curves by parity class, with a lookup table for the simulation.

    Parameters are one value per parity class (parity 1, 2, 3+) or one value for all.
    The constructor only stores and checks them; the table of daily yields for days in
    milk 0..``max_dim_days`` is built once after construction.

    Parameters
    ----------
    wood_a
        Wood scale per parity class. [kg/day]
    wood_b
        Wood shape per parity class; above -1. [-]
    wood_c
        Wood decline per parity class; above 0. [1/d]
    rebound_day
        Extended lactation: day in milk at which yield turns upward. [d]
    rebound_rate_per_day
        Extended lactation: rise per day as a fraction of the turning-day yield. [1/d]
    rebound_max_ratio
        Extended lactation: cap of the rise as a multiple of the turning-day yield. [-]
    max_dim_days
        Last day in milk held in the lookup table; later days are computed from the
        formula. [d]
    """

    wood_a: Any
    wood_b: Any
    wood_c: Any
    rebound_day: Any
    rebound_rate_per_day: Any
    rebound_max_ratio: Any
    max_dim_days: int = 1500
    _params: NDArray[np.float64] = field(init=False, repr=False)
    _table_extended: NDArray[np.float64] = field(init=False, repr=False)
    _table_wood: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = ("wood_a", "wood_b", "wood_c", "rebound_day", "rebound_rate_per_day",
                 "rebound_max_ratio")
        cols = [_per_class(n, getattr(self, n)) for n in names]
        for n, arr in zip(names, cols):
            object.__setattr__(self, n, arr)
            arr.setflags(write=False)
        checks = (("wood_a", cols[0] >= 0.0, ">= 0"), ("wood_b", cols[1] > -1.0, "> -1"),
                  ("wood_c", cols[2] > 0.0, "> 0"), ("rebound_day", cols[3] >= 0.0, ">= 0"),
                  ("rebound_rate_per_day", cols[4] >= 0.0, ">= 0"),
                  ("rebound_max_ratio", cols[5] >= 1.0, ">= 1"))
        for n, ok, rule in checks:
            if not np.all(ok):
                raise ArgumentError(f"{n} must be {rule}, got {getattr(self, n).tolist()}")
        max_dim = int(self.max_dim_days)
        if max_dim < 1:
            raise ArgumentError(f"max_dim_days must be >= 1, got {self.max_dim_days!r}")
        object.__setattr__(self, "max_dim_days", max_dim)
        # Rows 0..2: parity classes; row 3: "no lactation" (a = 0), reached by index -1.
        params = np.zeros((N_PARITY_CLASSES + 1, 6))
        params[:N_PARITY_CLASSES] = np.column_stack(cols)
        params[N_PARITY_CLASSES] = (0.0, 1.0, 1.0, 0.0, 0.0, 1.0)
        params.setflags(write=False)
        object.__setattr__(self, "_params", params)
        # Columns 0..max_dim: days in milk; the last column is 0 kg and is reached by the
        # index -1 (days before kidding) and max_dim + 1 (beyond the table, recomputed).
        dim = np.arange(max_dim + 1, dtype=float)
        p = [params[:, i, None] for i in range(6)]
        # A curve without a rise (b < 0) is infinite at t = 0: its kidding day gets the
        # mean of the curve over that first day, finite for b > -1.
        first_day = wood_total(p[0][:, 0], p[1][:, 0], p[2][:, 0], 1.0, 0.0)
        for name, values in (("_table_extended", wood_extended(dim, *p)),
                             ("_table_wood", wood(dim, *p[:3]))):
            values[:, 0] = np.where(np.isfinite(values[:, 0]), values[:, 0], first_day)
            table = np.zeros((N_PARITY_CLASSES + 1, max_dim + 2))
            table[:, : max_dim + 1] = values
            table[N_PARITY_CLASSES] = 0.0
            table.setflags(write=False)
            object.__setattr__(self, name, table)

    @classmethod
    def from_breed(cls, breed_lactation: Any, *, max_dim_days: int = 1500) -> "LactationCurves":
        """Curves from a breed's ``[lactation]`` parameters.

        Parameters
        ----------
        breed_lactation
            Any object with attributes ``wood_a``, ``wood_b``, ``wood_c`` (one value per
            parity class: 1, 2, 3+) [kg/day], [-], [1/d], and ``rebound_day`` [d],
            ``rebound_rate_per_day`` [1/d], ``rebound_max_ratio`` [-].
        max_dim_days
            Last day in milk held in the lookup table. [d]

        Returns
        -------
        LactationCurves
        """
        return cls(
            wood_a=breed_lactation.wood_a,
            wood_b=breed_lactation.wood_b,
            wood_c=breed_lactation.wood_c,
            rebound_day=breed_lactation.rebound_day,
            rebound_rate_per_day=breed_lactation.rebound_rate_per_day,
            rebound_max_ratio=breed_lactation.rebound_max_ratio,
            max_dim_days=max_dim_days,
        )

    def daily_kg(self, dim_days: ArrayLike, parity: ArrayLike, effect: ArrayLike = 1.0,
                 extended: bool = True) -> NDArray[np.float64]:
        """Daily milk yield of each doe.

        Integer days in milk are looked up in the precomputed table (the fast path used
        by the daily simulation); floating-point days are evaluated from the formula.
        Both give the same values.

        Parameters
        ----------
        dim_days
            Days in milk of each doe; below 0 gives 0. [d]
        parity
            Number of kiddings of each doe: 1 → first class, 2 → second, 3 or more →
            third; 0 gives 0. Broadcast against ``dim_days``. [-]
        effect
            Multiplicative animal effect (1 for the breed curve). [-]
        extended
            If True, the extended-lactation rebound applies after the rebound day;
            if False, the plain Wood curve. [-]

        Returns
        -------
        numpy.ndarray
            Milk yield of each doe. [kg/day]
        """
        dim = np.asarray(dim_days)
        row = parity_class(parity)
        if dim.dtype.kind in "iu":
            table = self._table_extended if extended else self._table_wood
            col = np.clip(dim, -1, self.max_dim_days + 1)
            out = table[row, col]
            beyond = dim > self.max_dim_days
            if np.any(beyond):
                row_b, dim_b, beyond_b = np.broadcast_arrays(row, dim, beyond)
                out = np.array(out, copy=True)
                out[beyond_b] = self._formula(dim_b[beyond_b], row_b[beyond_b], extended)
        else:
            out = self._formula(dim, row, extended)
        if np.ndim(effect) == 0 and float(effect) == 1.0:
            return out
        return out * np.asarray(effect, dtype=float)

    def _formula(self, dim: NDArray, row: NDArray, extended: bool) -> NDArray[np.float64]:
        """Daily yield from the curve formula for parity-class rows. [kg/day]"""
        p = self._params[row]
        cols = [p[..., i] for i in range(6)]
        if extended:
            return wood_extended(dim, *cols)
        return wood(dim, *cols[:3])

    def total_kg(self, parity: ArrayLike, length_days: ArrayLike, extended: bool = True,
                 effect: ArrayLike = 1.0) -> NDArray[np.float64]:
        """Milk produced by each doe from kidding to a lactation length, exact integral.

        Parameters
        ----------
        parity
            Number of kiddings of each doe (class as in :meth:`daily_kg`). [-]
        length_days
            Lactation length, days in milk at dry-off. [d]
        extended
            If True, include the extended-lactation rebound. [-]
        effect
            Multiplicative animal effect. [-]

        Returns
        -------
        numpy.ndarray
            Total milk of the lactation; 0 for parity 0. [kg]
        """
        p = self._params[parity_class(parity)]
        cols = [p[..., i] for i in range(6)]
        if extended:
            total = wood_extended_total(*cols, t_end=length_days)
        else:
            total = wood_total(*cols[:3], t_end=length_days)
        return total * np.asarray(effect, dtype=float)

    def table(self, extended: bool = True) -> NDArray[np.float64]:
        """Read-only table of daily yields, ``table[parity_class, dim]``.

        Rows are the parity classes 1, 2, 3+; columns are days in milk
        0..``max_dim_days``. [kg/day]
        """
        t = self._table_extended if extended else self._table_wood
        return t[:N_PARITY_CLASSES, : self.max_dim_days + 1]
