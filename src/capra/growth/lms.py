"""The LMS method of the WHO growth references: a measurement's z-score in an LMS table, and
the measurement at a given z-score.

With the Box-Cox power ``L``, the median ``M`` and the coefficient of variation ``S`` of the
table at the child's key (:func:`capra.growth.tables.lms`), ``z = ((y/M)^L - 1) / (S L)``
(WHO Technical Report 2006, chapter 7). Tables that WHO scores with the *restricted* method
are linear beyond ±3 SD, in the distance between the 2 and 3 SD curves.
"""

from __future__ import annotations

import numpy as np

from capra.growth.tables import lms, table

__all__ = ["lms_z", "lms_zscore", "measurement_at_z"]


def lms_z(y, l, m, s, *, restricted: bool, l_is_one: bool = False) -> np.ndarray:
    """Unrounded z of measurement ``y`` given L, M, S (WHO TR 2006 ch. 7; order of operations
    as in WHO's code)."""
    with np.errstate(all="ignore"):
        if l_is_one:
            z = (y / m - 1) / s
        else:
            z = ((y / m) ** l - 1) / (s * l)
        if restricted:
            hi = z > 3
            if hi.any():
                i = np.flatnonzero(hi)
                li, mi, si, yi = l[i], m[i], s[i], y[i]
                sd3 = mi * ((1 + li * si * 3) ** (1 / li))
                sd2 = mi * ((1 + li * si * 2) ** (1 / li))
                z[i] = 3 + ((yi - sd3) / (sd3 - sd2))
            lo = z < -3
            if lo.any():
                i = np.flatnonzero(lo)
                li, mi, si, yi = l[i], m[i], s[i], y[i]
                sd3n = mi * ((1 + li * si * -3) ** (1 / li))
                sd2n = mi * ((1 + li * si * -2) ** (1 / li))
                z[i] = -3 + ((yi - sd3n) / (sd2n - sd3n))
    return z


def lms_zscore(name: str, sex, x, y) -> np.ndarray:
    """Unrounded z-score of measurement ``y`` in LMS table ``name``.

    Parameters
    ----------
    name
        Table name from :data:`capra.growth.tables.TABLES` (``"wfa"``, ``"lhfa"``, ``"wfl"``,
        ``"hfa2007"``, ...). Tables that WHO scores with the restricted LMS method (linear
        beyond ±3 SD) are scored that way here too.
    sex
        1 = male, 2 = female.
    x
        Key: age [days] (day tables), length/height [cm] (``wfl``, ``wfh``) or age [months]
        (``*2007`` tables).
    y
        Measurement in the table's unit: [kg], [cm], [kg/m²] or [mm].

    Returns
    -------
    numpy.ndarray
        z, NaN where the key is outside the table or sex is not 1/2. No age limits, oedema or
        measurement checks are applied here; :func:`zscores` does that.
    """
    t = table(name)
    sex, x, y = np.broadcast_arrays(np.asarray(sex, dtype=np.float64),
                                    np.asarray(x, dtype=np.float64),
                                    np.asarray(y, dtype=np.float64))
    l, m, s = lms(name, sex, x)
    z = lms_z(y.ravel(), l.ravel(), m.ravel(), s.ravel(), restricted=t.restricted,
               l_is_one=t.l_is_one)
    return z.reshape(l.shape)


def measurement_at_z(name: str, sex, x, z) -> np.ndarray:
    """Measurement at z-score ``z`` in LMS table ``name``: the inverse of :func:`lms_zscore`.

    Parameters are as for :func:`lms_zscore`, with ``z`` in SD units. For restricted tables the
    inverse is linear beyond ±3 SD, as the forward method. Returns the measurement in the
    table's unit ([kg], [cm], [kg/m²] or [mm]); NaN outside the table, and NaN where ``z`` is so
    low that no positive measurement has it (below the lowest value the Box-Cox curve reaches,
    or where the linear tail of a restricted table crosses zero).
    """
    t = table(name)
    sex, x, z = np.broadcast_arrays(np.asarray(sex, dtype=np.float64),
                                    np.asarray(x, dtype=np.float64),
                                    np.asarray(z, dtype=np.float64))
    l, m, s = lms(name, sex, x)

    def sd(k):
        with np.errstate(all="ignore"):
            return m * ((1 + l * s * k) ** (1 / l))

    y = sd(z)
    if t.restricted:
        sd3, sd2, sd3n, sd2n = sd(3.0), sd(2.0), sd(-3.0), sd(-2.0)
        y = np.where(z > 3, sd3 + (z - 3) * (sd3 - sd2), y)
        y = np.where(z < -3, sd3n + (z + 3) * (sd2n - sd3n), y)
    with np.errstate(invalid="ignore"):
        return np.where(y > 0, y, np.nan)
