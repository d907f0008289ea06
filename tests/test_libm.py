"""capra.libm: the C library's functions, as Python's math module calls them, on arrays
shaped as NumPy's."""

import math

import numpy as np
import pytest

from capra import libm

G = np.random.default_rng(3)
X = np.concatenate([G.normal(0, 3, 3000), G.uniform(-700, 700, 1000), [0.0, -0.0, 1e-300]])
POSITIVE = np.concatenate([np.exp(G.uniform(-50, 50, 4000)), [1.0, 5e-324]])


@pytest.mark.parametrize("name, args", [
    ("exp", X), ("expm1", X), ("log", POSITIVE), ("log1p", POSITIVE - 0.999),
])
def test_each_value_is_the_c_librarys(name, args):
    got = getattr(libm, name)(args)
    want = np.array([getattr(math, name)(v) for v in args])
    np.testing.assert_array_equal(got, want)
    # and within a unit in the last place of NumPy's (its own code differs in that bit)
    np.testing.assert_array_max_ulp(got, getattr(np, name)(args), maxulp=1)


def test_power_broadcasts_and_is_the_c_librarys():
    x, y = POSITIVE[:400].reshape(20, 20), G.uniform(-3, 3, 20)
    got = libm.power(x, y)
    assert got.shape == (20, 20)
    np.testing.assert_array_equal(got, [[a ** b for a, b in zip(row, y)] for row in x])
    np.testing.assert_array_max_ulp(got, np.power(x, y), maxulp=1)
    assert libm.power(10.0, [2.0, 0.5])[0] == 100.0 and np.isnan(libm.power(-8.0, 1 / 3))


def test_shapes_scalars_and_edges_are_numpys():
    a = G.normal(size=(3, 4))
    assert libm.exp(a).shape == (3, 4) and libm.exp(a[:, ::2]).shape == (3, 2)
    s = libm.log1p(0.5)
    assert isinstance(s, np.float64) and s == math.log1p(0.5)
    assert libm.exp(np.float32(1.0)) == math.exp(1.0)          # float64, as the C library
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for name, edge in (("log", [0.0, -1.0, np.inf, np.nan]),
                           ("log1p", [-1.0, -2.0, np.inf, np.nan]),
                           ("exp", [-np.inf, np.inf, np.nan, 1000.0])):
            np.testing.assert_array_equal(getattr(libm, name)(edge), getattr(np, name)(edge))
