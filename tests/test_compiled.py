"""Capra's compiled code where no cache folder can be written: compiled in memory, with
one warning that says how to keep it; a run says when it compiles."""

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


def test_the_notice_comes_once_when_code_is_compiled_and_not_from_the_cache():
    calls = []
    square = numba.njit(lambda x: x * x)            # not compiled yet
    with compiled_module.compile_notice(lambda: calls.append(1)):
        assert square(3) == 9                        # compiled here: the notice
        assert square(2.5) == 6.25                   # a second compile: no second notice
    assert calls == [1]
    with compiled_module.compile_notice(lambda: calls.append(2)):
        assert square(4) == 16                       # compiled already: nothing said
    assert calls == [1]


def test_a_run_says_when_it_compiles(monkeypatch):
    from rich.console import Console

    from capra import console
    from capra.planning import cli

    err = Console(record=True, width=200)
    monkeypatch.setattr(console, "err_console", err)
    cube = numba.njit(lambda x: x * x * x)
    with cli.run_progress("nampo") as progress:
        progress("herd", 0, 10)
        assert cube(2) == 8
    assert cli.COMPILING in err.export_text()
    err = Console(record=True, width=200)
    monkeypatch.setattr(console, "err_console", err)
    with cli.run_progress("nampo") as progress:
        progress("herd", 0, 10)
        assert cube(3) == 27
    assert cli.COMPILING not in err.export_text()
