"""A linear programme as sparse matrices, and the builder that collects it.

``min c·x  s.t.  row_lo <= A x <= row_hi, col_lo <= x <= col_hi``: :class:`LinearModel`
holds the matrix, the bounds, the objective vectors and the index arrays that name each
family of variables and constraints; :class:`LPBuilder` adds whole families at once
(NumPy index arrays, no Python object per variable) and the coefficient triplets between
them. :func:`capra.planning.model.build_model` builds the planning LP with it;
:class:`capra.planning.solve.Solver` solves it on HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from capra.planning.problem import PlanInputs

__all__ = ["INF", "LPBuilder", "LinearModel"]

INF = np.inf


@dataclass
class LinearModel:
    """A linear programme ``min c·x  s.t.  row_lo <= A x <= row_hi, col_lo <= x <= col_hi``.

    ``blocks[name]`` is an index array of the columns of one variable family, shaped like
    the family (``-1`` where a variable does not exist); ``rows[name]`` the same for a
    constraint family. ``costs`` holds the objective vectors by name (for a lexicographic
    solve); ``c`` is the one in use. ``levers`` lists the fixed columns that carry a limit
    (``constraint``, ``item``, ``unit``, ``column``, ``value``).
    """

    A: sp.csc_matrix
    c: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    blocks: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    question: str
    inputs: PlanInputs
    scale: float | None = None
    costs: dict[str, np.ndarray] = field(default_factory=dict)
    cost_units: dict[str, float] = field(default_factory=dict)
    levers: list[dict] = field(default_factory=list)
    farm_group: np.ndarray | None = None

    def supply_rows(self, supply_kg: np.ndarray) -> np.ndarray:
        """The right-hand sides of the milk-supply rows for ``supply_kg`` per farm and
        period of the original farms, (F, T): pooled where farms were merged."""
        supply_kg = np.asarray(supply_kg, float)
        if self.farm_group is None:
            return supply_kg
        out = np.zeros((int(self.farm_group.max()) + 1,) + supply_kg.shape[1:])
        np.add.at(out, self.farm_group, supply_kg)
        return out

    @property
    def n_cols(self) -> int:
        return self.A.shape[1]

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    @property
    def nnz(self) -> int:
        return self.A.nnz

    def values(self, name: str, x: np.ndarray, kind: str = "col") -> np.ndarray:
        """Values of a variable (or row) family from a solution vector, 0 where absent."""
        idx = (self.blocks if kind == "col" else self.rows)[name]
        return np.where(idx >= 0, x[np.maximum(idx, 0)], 0.0) if idx.size else np.zeros(idx.shape)

    def size(self) -> dict[str, int]:
        """Columns, rows and non-zeros."""
        return {"columns": self.n_cols, "rows": self.n_rows, "nonzeros": self.nnz}


class LPBuilder:
    """Collects variable families, constraint families and coefficient triplets."""

    def __init__(self):
        self.n = 0
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.blocks: dict[str, np.ndarray] = {}
        self.m = 0
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.rows: dict[str, np.ndarray] = {}
        self.tr: list[np.ndarray] = []
        self.tc: list[np.ndarray] = []
        self.tv: list[np.ndarray] = []

    def var(self, name, shape, hi=INF, mask=None, lo=0.0) -> np.ndarray:
        mask = np.ones(shape, bool) if mask is None else np.broadcast_to(mask, shape)
        idx = np.full(shape, -1, dtype=np.int64)
        k = int(mask.sum())
        idx[mask] = self.n + np.arange(k)
        self.lo.append(np.broadcast_to(np.asarray(lo, float), shape)[mask].astype(float))
        self.hi.append(np.broadcast_to(np.asarray(hi, float), shape)[mask].astype(float))
        self.n += k
        self.blocks[name] = idx
        return idx

    def fixed(self, name, values, mask=None) -> np.ndarray:
        """Columns fixed at ``values`` (the limits carried by levers)."""
        values = np.asarray(values, float)
        return self.var(name, values.shape, hi=values, lo=values, mask=mask)

    def row(self, name, shape, lo=-INF, hi=INF, mask=None) -> np.ndarray:
        mask = np.ones(shape, bool) if mask is None else np.broadcast_to(mask, shape)
        idx = np.full(shape, -1, dtype=np.int64)
        k = int(mask.sum())
        idx[mask] = self.m + np.arange(k)
        self.rlo.append(np.broadcast_to(np.asarray(lo, float), shape)[mask].astype(float))
        self.rhi.append(np.broadcast_to(np.asarray(hi, float), shape)[mask].astype(float))
        self.m += k
        self.rows[name] = idx
        return idx

    def coef(self, rows, cols, vals=1.0):
        rows, cols, vals = np.broadcast_arrays(rows, cols, np.asarray(vals, float))
        keep = (rows >= 0) & (cols >= 0) & (vals != 0)
        self.tr.append(rows[keep])
        self.tc.append(cols[keep])
        self.tv.append(vals[keep])

    def matrix(self) -> sp.csc_matrix:
        r = np.concatenate(self.tr) if self.tr else np.zeros(0, np.int64)
        c = np.concatenate(self.tc) if self.tc else np.zeros(0, np.int64)
        v = np.concatenate(self.tv) if self.tv else np.zeros(0)
        A = sp.csc_matrix((v, (r, c)), shape=(self.m, self.n))
        A.eliminate_zeros()
        return A

    def cost(self, terms) -> np.ndarray:
        c = np.zeros(self.n)
        for idx, w in terms:
            idx, w = np.broadcast_arrays(idx, np.asarray(w, float))
            keep = idx >= 0
            np.add.at(c, idx[keep], w[keep])
        return c
