"""Capra's compiled code where no cache folder can be written: compiled in memory, with
one warning that says how to keep it."""

import warnings

import numba
import pytest

from capra import compiled as compiled_module


def _no_cache_folder(**options):
    """numba's njit as it behaves where no cache folder can be written."""
    if options.get("cache"):
        def fail(func):
            raise RuntimeError(f"cannot cache function {func.__name__!r}: no locator "
                               "available for file 'x.py'")
        return fail
    return numba.njit(**options)


def test_without_a_cache_folder_the_code_compiles_in_memory_and_warns_once(monkeypatch):
    monkeypatch.setattr(compiled_module, "njit", _no_cache_folder)
    monkeypatch.setattr(compiled_module, "_warned", False)
    monkeypatch.setenv("NUMBA_CACHE_DIR", "/read-only/cache")
    with pytest.warns(compiled_module.CompileCacheWarning,
                      match="NUMBA_CACHE_DIR=/read-only/cache.*compiled again"):
        twice = compiled_module.compiled()(lambda x: 2 * x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                   # the second function: no warning
        thrice = compiled_module.compiled()(lambda x: 3 * x)
    assert twice(4) == 8 and thrice(4) == 12


def test_other_compile_errors_are_not_hidden(monkeypatch):
    def broken(**options):
        def fail(func):
            raise RuntimeError("something else")
        return fail
    monkeypatch.setattr(compiled_module, "njit", broken)
    with pytest.raises(RuntimeError, match="something else"):
        compiled_module.compiled()(lambda x: x)
