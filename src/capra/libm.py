"""The C library's elementary functions on arrays: the same numbers on every processor.

Where the processor has vector instructions (AVX2, AVX-512), NumPy computes ``exp``,
``expm1``, ``log``, ``log1p``, ``power`` and others with vector code of its own, which
differs from the C library in the last bit for some arguments (measured on a million
random arguments: ``exp`` 4.6 %, ``expm1`` 6.8 %, ``log1p`` 8.3 %, ``power`` 5.3 %,
``log`` 0.03 %); without it NumPy calls the C library. The herd's parameters and daily
rules end in sums and in comparisons with random numbers, so that one bit can change a
count: computed here, element by element by the C library (compiled loops of
:mod:`math`'s functions), they are the same on every kind of processor with the same C
library, as the workers of a cluster need (``tests/herd/test_processor_independence.py``).

Each function takes numbers or arrays (``power`` broadcasts its two) and returns float64
like its NumPy namesake: an array, or a NumPy scalar for numbers.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np


def _apply(loop: str, *args):
    """The compiled ``loop`` of :mod:`capra._libm_loops` over the float64 values of
    ``args`` broadcast together (numba imported at the first call, not with this module:
    the commands that never call these start faster)."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    out = np.empty(arrays[0].shape)
    kernel = getattr(import_module("capra._libm_loops"), loop)
    kernel(*(np.ascontiguousarray(a).reshape(-1) for a in arrays), out.reshape(-1))
    return out if out.ndim else out[()]


def exp(x):
    """``e ** x``, as ``np.exp``."""
    return _apply("exp", x)


def expm1(x):
    """``e ** x - 1``, exact near 0, as ``np.expm1``."""
    return _apply("expm1", x)


def log(x):
    """Natural logarithm, as ``np.log`` (``-inf`` at 0, NaN below)."""
    return _apply("log", x)


def log1p(x):
    """``log(1 + x)``, exact near 0, as ``np.log1p`` (``-inf`` at -1, NaN below)."""
    return _apply("log1p", x)


def power(x, y):
    """``x ** y`` element by element, as ``np.power`` on floats."""
    return _apply("power", x, y)
