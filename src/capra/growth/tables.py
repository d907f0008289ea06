"""WHO LMS tables: loading (cached) and vectorized look-up.

The tables are the WHO Child Growth Standards (2006/2007, 0–5 years) and the WHO Reference 2007
(5–19 years), shipped in ``capra/data/who/`` (see the ``README.md`` there for sources, licences
and attribution). Each table gives, per sex, the Box-Cox power ``L``, the median ``M`` and the
coefficient of variation ``S`` of a measurement at a key ``x``.

Three kinds of key exist, and each has its own look-up rule (the rules of WHO's R packages
``anthro`` and ``anthroplus``):

* ``"day"`` — age in whole days [days]; the row is taken as is (no interpolation);
* ``"cm"`` — recumbent length or standing height [cm], rows every 0.1 cm; L, M and S are
  interpolated linearly between ``trunc(x·10)/10`` and the next row;
* ``"month"`` — age in months [months], rows every month; L, M and S are interpolated linearly
  between ``trunc(x)`` and ``trunc(x) + 1``.

Sex is coded 1 = male, 2 = female; anything else gives NaN.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from capra.errors import DataError
from capra.rates import DAYS_PER_MONTH

__all__ = ["LMSTable", "TABLES", "table", "lms", "lookup", "tables_digest", "DAYS_PER_MONTH"]

@dataclass(frozen=True)
class _Spec:
    """Where a table is and how it is read."""

    file: str
    """CSV file in ``capra/data/who``."""
    key: str
    """``"day"``, ``"cm"`` or ``"month"``."""
    unit: str
    """Unit of the measurement."""
    restricted: bool
    """Scored with the restricted LMS method."""
    description: str


_SPECS: dict[str, _Spec] = {
    "wfa": _Spec("gs_wfa_day.csv", "day", "kg", True, "weight-for-age 0-5 y (WHO 2006)"),
    "lhfa": _Spec("gs_lhfa_day.csv", "day", "cm", False,
                  "length/height-for-age 0-5 y (WHO 2006)"),
    "bfa": _Spec("gs_bfa_day.csv", "day", "kg/m2", True, "BMI-for-age 0-5 y (WHO 2006)"),
    "hcfa": _Spec("gs_hcfa_day.csv", "day", "cm", False,
                  "head circumference-for-age 0-5 y (WHO 2007)"),
    "acfa": _Spec("gs_acfa_day.csv", "day", "cm", True,
                  "arm circumference-for-age 0-5 y (WHO 2007)"),
    "tsfa": _Spec("gs_tsfa_day.csv", "day", "mm", True,
                  "triceps skinfold-for-age 0-5 y (WHO 2007)"),
    "ssfa": _Spec("gs_ssfa_day.csv", "day", "mm", True,
                  "subscapular skinfold-for-age 0-5 y (WHO 2007)"),
    "wfl": _Spec("gs_wfl_cm.csv", "cm", "kg", True, "weight-for-length 45-110 cm (WHO 2006)"),
    "wfh": _Spec("gs_wfh_cm.csv", "cm", "kg", True, "weight-for-height 65-120 cm (WHO 2006)"),
    "hfa2007": _Spec("ref2007_hfa_month.csv", "month", "cm", False,
                     "height-for-age 5-19 y (WHO Reference 2007)"),
    "bfa2007": _Spec("ref2007_bfa_month.csv", "month", "kg/m2", True,
                     "BMI-for-age 5-19 y (WHO Reference 2007)"),
    "wfa2007": _Spec("ref2007_wfa_month.csv", "month", "kg", True,
                     "weight-for-age 5-10 y (WHO Reference 2007)"),
}

#: Names of all tables, e.g. ``"wfa"``, ``"wfl"``, ``"hfa2007"``.
TABLES: tuple[str, ...] = tuple(_SPECS)


@dataclass(frozen=True, eq=False)
class LMSTable:
    """One LMS table, as arrays of shape ``(2, n)`` (row 0 = boys, row 1 = girls).

    Attributes
    ----------
    name, file, description
        Table name (a key of :data:`TABLES`), CSV file name and a readable description.
    key
        ``"day"`` [days], ``"cm"`` [cm] or ``"month"`` [months].
    unit
        Unit of the measurement (``"kg"``, ``"cm"``, ``"kg/m2"``, ``"mm"``).
    restricted
        True if WHO scores this indicator with the restricted ("adjusted") LMS method, which is
        linear beyond ±3 SD.
    x0, step, n
        First key, key step (1 or 0.1) and rows per sex.
    x
        The keys, shape ``(n,)``.
    l, m, s
        Box-Cox power, median [unit] and coefficient of variation, shape ``(2, n)``.
    """

    name: str
    file: str
    description: str
    key: str
    unit: str
    restricted: bool
    x0: float
    step: float
    n: int
    x: np.ndarray
    l: np.ndarray
    m: np.ndarray
    s: np.ndarray

    @property
    def x_max(self) -> float:
        """Last key of the table (same unit as ``x``)."""
        return float(self.x[-1])

    @property
    def l_is_one(self) -> bool:
        """True when L = 1 everywhere (then z = (y/M − 1)/S)."""
        return bool(np.all(self.l == 1.0))


def _read(name: str) -> LMSTable:
    spec = _SPECS[name]
    file, key = spec.file, spec.key
    text = resources.files("capra").joinpath("data", "who", file).read_text(encoding="utf-8")
    lines = text.splitlines()
    if lines[0].strip() != "sex,x,l,m,s":
        raise DataError(f"unexpected header {lines[0]!r}, expected 'sex,x,l,m,s'", file=file)
    data = np.array([[float(v) for v in line.split(",")] for line in lines[1:] if line.strip()])
    sex, x = data[:, 0], data[:, 1]
    boys, girls = data[sex == 1], data[sex == 2]
    if len(boys) != len(girls) or len(boys) + len(girls) != len(data):
        raise DataError("expected the same keys for sex 1 and sex 2 and nothing else",
                        file=file)
    if not np.array_equal(boys[:, 1], girls[:, 1]):
        raise DataError("keys differ between boys and girls", file=file)
    step = 0.1 if key == "cm" else 1.0
    xs = boys[:, 1]
    expected = np.round(xs[0] + step * np.arange(len(xs)), 1)
    if not np.allclose(xs, expected, rtol=0, atol=1e-9):
        raise DataError(f"keys are not consecutive in steps of {step}", file=file)
    del x

    def both(col: int) -> np.ndarray:
        arr = np.ascontiguousarray(np.stack([boys[:, col], girls[:, col]]))
        arr.setflags(write=False)
        return arr

    xs = xs.copy()
    xs.setflags(write=False)
    return LMSTable(name=name, file=file, description=spec.description, key=key, unit=spec.unit,
                    restricted=spec.restricted, x0=float(xs[0]), step=step, n=len(xs), x=xs,
                    l=both(2), m=both(3), s=both(4))


@cache
def table(name: str) -> LMSTable:
    """Return the LMS table ``name`` (one of :data:`TABLES`), loaded once and cached.

    >>> table("wfa").key, table("wfa").n
    ('day', 1857)
    """
    if name not in _SPECS:
        raise KeyError(f"unknown LMS table {name!r}; expected one of {', '.join(TABLES)}")
    return _read(name)


@cache
def tables_digest() -> str:
    """SHA-256 over the packaged ``SHA256SUMS`` file: identifies the table version in outputs."""
    data = resources.files("capra").joinpath("data", "who", "SHA256SUMS").read_bytes()
    return hashlib.sha256(data).hexdigest()


def _sex_row(sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row index (0/1) and validity mask for a sex array coded 1/2 (anything else invalid)."""
    sex = np.asarray(sex)
    if sex.dtype.kind in "iub":
        ok = (sex == 1) | (sex == 2)
        row = sex.astype(np.intp) - 1
    else:
        sexf = sex.astype(np.float64)
        ok = (sexf == 1.0) | (sexf == 2.0)
        row = np.where(ok, sexf, 1.0).astype(np.intp) - 1
    return row, ok


def _gather(t: LMSTable, flat_idx: np.ndarray, ok: np.ndarray):
    idx = np.where(ok, flat_idx, 0)
    out = []
    for arr in (t.l, t.m, t.s):
        v = arr.ravel().take(idx)
        v[~ok] = np.nan
        out.append(v)
    return out


def lookup_day(t: LMSTable, sex_row: np.ndarray, sex_ok: np.ndarray, day: np.ndarray):
    """L, M, S at whole days ``day`` [days]; NaN outside the table.

    ``day`` may be float (NaN allowed; non-whole days are outside the table) or an integer
    array (negative = unknown).
    """
    d = np.asarray(day)
    if d.dtype.kind in "iu":
        pos = d - int(t.x0) if t.x0 else d
        ok = sex_ok & (pos >= 0) & (pos < t.n)
    else:
        posf = d.astype(np.float64) - t.x0
        with np.errstate(invalid="ignore"):
            ok = sex_ok & (posf >= 0) & (posf < t.n) & (posf == np.floor(posf))
        pos = np.where(ok, posf, 0).astype(np.intp)
    flat = sex_row * t.n + pos
    return _gather(t, flat, ok)


def _interpolated(t: LMSTable, sex_row, sex_ok, lo_pos: np.ndarray, up_pos: np.ndarray,
                  d: np.ndarray):
    """L, M, S interpolated between rows ``lo_pos`` and ``up_pos`` with weight ``d``.

    Follows WHO: when ``d > 0`` the value is ``lo + d·(up − lo)``; otherwise the ``lo`` row.
    A needed row that is not in the table gives NaN. The upper row is computed by the caller
    exactly as WHO computes it (``trunc(x·10 + 1)``, ``trunc(age + 1)``), which in floating
    point is occasionally two rows above the lower one.
    """
    ok_lo = sex_ok & (lo_pos >= 0) & (lo_pos < t.n)
    interp = ok_lo & (d > 0)
    ok_up = interp & (up_pos >= 0) & (up_pos < t.n)
    base = sex_row * t.n
    lo_flat = base + np.where(ok_lo, lo_pos, 0).astype(np.intp)
    up_flat = base + np.where(ok_up, up_pos, 0).astype(np.intp)
    any_interp = bool(interp.any())
    out = []
    for arr in (t.l, t.m, t.s):
        flat = arr.ravel()
        lo_v = flat.take(lo_flat)
        if any_interp:
            up_v = flat.take(up_flat)
            up_v[interp & ~ok_up] = np.nan
            v = np.where(interp, lo_v + d * (up_v - lo_v), lo_v)
        else:
            v = lo_v
        v[~ok_lo] = np.nan
        out.append(v)
    return out


def lookup_cm(t: LMSTable, sex_row, sex_ok, x: np.ndarray):
    """L, M, S at length/height ``x`` [cm], interpolated between 0.1 cm rows as WHO does."""
    x = np.asarray(x, dtype=np.float64)
    offset = round(t.x0 * 10)
    with np.errstate(invalid="ignore"):
        x10 = x * 10
        lo10 = np.trunc(x10)
        up10 = np.trunc(x10 + 1)
        d = (x - lo10 / 10) / 0.1
    finite = np.isfinite(lo10)
    lo_pos = np.where(finite, lo10 - offset, -1.0)
    up_pos = np.where(finite, up10 - offset, -1.0)
    return _interpolated(t, sex_row, sex_ok, lo_pos, up_pos, d)


def lookup_month(t: LMSTable, sex_row, sex_ok, age_months: np.ndarray):
    """L, M, S at age ``age_months`` [months], interpolated between whole months as WHO does."""
    a = np.asarray(age_months, dtype=np.float64)
    lo = np.trunc(a)
    up = np.trunc(a + 1)
    d = a - lo
    finite = np.isfinite(lo)
    lo_pos = np.where(finite, lo - t.x0, -1.0)
    up_pos = np.where(finite, up - t.x0, -1.0)
    return _interpolated(t, sex_row, sex_ok, lo_pos, up_pos, d)


def lookup(t: LMSTable, sex_row: np.ndarray, sex_ok: np.ndarray, x: np.ndarray):
    """Dispatch to the look-up rule of the table's key kind (internal, pre-validated sex)."""
    if t.key == "day":
        return lookup_day(t, sex_row, sex_ok, x)
    if t.key == "cm":
        return lookup_cm(t, sex_row, sex_ok, x)
    return lookup_month(t, sex_row, sex_ok, x)


def lms(name: str, sex, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """L, M and S of table ``name`` for each (sex, x) pair.

    Parameters
    ----------
    name
        Table name, one of :data:`TABLES`.
    sex
        1 = male, 2 = female (array-like; other values give NaN).
    x
        Key, array-like: age [days] for the day tables (rounded half up to whole days, as WHO
        does), length/height [cm] for ``wfl``/``wfh``, age [months] for the ``*2007`` tables.

    Returns
    -------
    (L, M, S)
        Float arrays broadcast to the common shape; NaN where the key is outside the table.
    """
    t = table(name)
    sex_a, x_a = np.broadcast_arrays(np.asarray(sex, dtype=np.float64),
                                     np.asarray(x, dtype=np.float64))
    shape = sex_a.shape
    sex_a, x_a = sex_a.ravel(), x_a.ravel()
    row, ok = _sex_row(sex_a)
    if t.key == "day":
        with np.errstate(invalid="ignore"):
            fl = np.floor(x_a)
            x_a = fl + ((x_a - fl) >= 0.5)
    out = lookup(t, row, ok, x_a)
    return tuple(v.reshape(shape) for v in out)  # type: ignore[return-value]
