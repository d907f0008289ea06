"""The compiled loops of :mod:`capra.libm`: each value by the C library's function, as
Python's :mod:`math` module calls it (numba calls the C library for these)."""

from __future__ import annotations

import math

from capra.compiled import compiled


@compiled()
def exp(x, out):
    for i in range(x.size):
        out[i] = math.exp(x[i])


@compiled()
def expm1(x, out):
    for i in range(x.size):
        out[i] = math.expm1(x[i])


@compiled()
def log(x, out):
    for i in range(x.size):
        out[i] = math.log(x[i]) if x[i] > 0.0 else (-math.inf if x[i] == 0.0 else math.nan)


@compiled()
def log1p(x, out):
    for i in range(x.size):
        v = x[i]
        out[i] = math.log1p(v) if v > -1.0 else (-math.inf if v == -1.0 else math.nan)


@compiled()
def power(x, y, out):
    for i in range(x.size):
        out[i] = x[i] ** y[i]
