"""Compiled passes over the herd's rows: the end-of-day census and the feed requirements.

The daily processes are NumPy functions over the whole batch (:mod:`capra.herd.processes`);
the two passes that read every row every day and once cost half of a simulated day, the
census of :func:`~capra.herd.processes.record_day` and the requirement sums of
:func:`~capra.herd.feeding.feed_day`, are compiled here (numba, cached on disk) as one loop
over the rows each, so the herd's arrays are read once instead of through some twenty
temporary arrays.

Each pass does exactly the arithmetic of the NumPy expressions it replaced, in the same
order and the same precision (float32 where NumPy computed in float32), and sums in the
order ``np.bincount`` did (row order, the requirements a chunk of
:data:`~capra.herd.feeding.CHUNK_ROWS` rows at a time): the herd and its milk are the same
to the bit; ``tests/herd/test_kernels.py`` checks them against those expressions.

The compiled code is kept in numba's on-disk cache (next to this file, or in
``NUMBA_CACHE_DIR`` where the package's folder cannot be written), so it is compiled once
per machine and Python version; :func:`warm_up` compiles it ahead of a timed run.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def census(t, sex, parity, lactating, birth, alive, due, cell, weaning_age_days,
           buck_age_days, colostrum_days, class_lut, n_cells):
    """Class code of every row and the rows counted by (cell, class code).

    Returns ``c16`` (class * 2 + pregnant, :func:`capra.herd.processes._class_lut`) per
    row, ``counts`` (n_cells * 16,) [head] (removed animals counted too, as code 12 or 13)
    and ``lactating_rows``, the rows of the does in milk, in row order.
    """
    n = sex.size
    c16 = np.empty(n, np.int64)
    counts = np.zeros(n_cells * 16, np.int64)
    rows = np.empty(n, np.int64)
    n_lact = 0
    for i in range(n):
        age = t - birth[i]
        bits = sex[i]
        if parity[i] > 0:
            bits |= 2
        if lactating[i]:
            bits |= 4
        if age >= weaning_age_days:
            bits |= 8
        if age >= buck_age_days:
            bits |= 16
        if not alive[i]:
            bits |= 32
        elif lactating[i]:
            rows[n_lact] = i
            n_lact += 1
        if due[i] >= 0:
            bits |= 64
        if age < colostrum_days:
            bits |= 128
        c = class_lut[bits]
        c16[i] = c
        counts[cell[i] * 16 + c] += 1
    return c16, counts, rows[:n_lact]


@njit(**_JIT)
def potential_milk(t, rows, parity, kidded, effect, rep, cell, table, factor_of_cell):
    """Milk of the does in milk ``rows`` today before any shortage of feed [kg/day]: the
    lactation table of each doe's parity class (1, 2, 3+) and day in milk (``table``
    (replicates or 1, 3, days), each replicate's own when it has a first axis > 1), times
    her animal effect and her cell's factor (heat stress, outbreaks)."""
    own = table.shape[0] > 1
    kg = np.empty(rows.size)
    for j in range(rows.size):
        i = rows[j]
        k = min(parity[i], 3) - 1
        r = rep[i] if own else 0
        v = table[r, k, t - kidded[i]]
        v *= np.float64(effect[i])
        v *= factor_of_cell[cell[i]]
        kg[j] = v
    return kg


@njit(**_JIT)
def requirement_sums(t, age, c16, cell, loc, due, parity, lag, lost_kg, row_of_code, oldest,
                     graze_of_loc, me_tab, dmi_tab, cp_tab, mature, gestation_days,
                     preg_first_day, preg_me, preg_mp, mean_litter, ration_me, mp_per_kg_dmi,
                     cp_per_mp, max_regain_kg, tissue_me_mj_per_kg, n_cells, chunk_rows):
    """Daily ME [MJ], DM intake [kg] and CP [g] needed without the milk, summed by
    (cell, class code): (3, n_cells * 16).

    Per row: the table value at the row's key and age less its missed days of growth
    (``lag``, empty: none), the grazing table where its location grazes today; plus the
    conceptus of females in the last part of gestation, and the ME of the tissue being
    regained (``lost_kg``, empty: none; float32 arithmetic, as the NumPy expression).
    """
    nbins = n_cells * 16
    sums = np.zeros((3, nbins))
    part = np.zeros((3, nbins))
    n = age.size
    has_lag = lag.size > 0
    has_regain = lost_kg.size > 0
    last_gday = preg_me.size - 1
    late_days = gestation_days - preg_first_day
    max_regain32 = np.float32(max_regain_kg)
    tissue32 = np.float32(tissue_me_mj_per_kg)
    ration32 = np.float32(ration_me)
    for start in range(0, n, chunk_rows):
        part[:] = 0.0
        for i in range(start, min(start + chunk_rows, n)):
            a = np.int64(age[i])
            if has_lag:
                a -= np.int64(lag[i])
            a = min(max(a, 0), oldest)
            fk = row_of_code[c16[i]] + a
            g = 1 if graze_of_loc[loc[i]] else 0
            me = me_tab[g, fk]
            dmi = dmi_tab[g, fk]
            cp = cp_tab[g, fk]
            left = due[i] - t
            if 0 <= left <= late_days:
                gday = min(gestation_days - left, last_gday)
                litter = mean_litter[1 if parity[i] > 0 else 0]
                pme = preg_me[gday] * litter
                pdmi = pme / ration_me
                pcp = (preg_mp[gday] * litter + mp_per_kg_dmi * (1.0 if mature[fk] else 0.0)
                       * pdmi) * cp_per_mp
                me += pme
                dmi += pdmi
                cp += pcp
            if has_regain:
                r = min(lost_kg[i], max_regain32) * tissue32
                me += np.float64(r)
                dmi += np.float64(r / ration32)
            b = cell[i] * 16 + c16[i]
            part[0, b] += me
            part[1, b] += dmi
            part[2, b] += cp
        sums += part
    return sums


def warm_up() -> None:
    """Compile (or load from the cache) every pass, on tiny inputs."""
    i8, f8 = np.zeros(1, np.int64), np.zeros(1)
    lut = np.zeros(256, np.int64)
    c16, _, rows = census(0, np.zeros(1, np.int8), np.zeros(1, np.int16), np.zeros(1, bool),
                          np.zeros(1, np.int32), np.ones(1, bool), np.full(1, -1, np.int32),
                          i8, 60, 200, 3, lut, 1)
    potential_milk(0, rows, np.zeros(1, np.int16), np.zeros(1, np.int32),
                   np.ones(1, np.float32), np.zeros(1, np.int32), i8, np.zeros((1, 3, 1)), f8)
    requirement_sums(0, np.zeros(1, np.int32), c16, i8, np.zeros(1, np.int16),
                     np.full(1, -1, np.int32), np.zeros(1, np.int16), np.zeros(0, np.float32),
                     np.zeros(0, np.float32), np.zeros(16, np.int64), 0, np.zeros(1, bool),
                     np.zeros((2, 1)), np.zeros((2, 1)), np.zeros((2, 1)), np.zeros(1, bool),
                     150, 100, f8, f8, np.ones(2), 10.0, 1.0, 1.0, 0.1, 20.0, 1, 4)
