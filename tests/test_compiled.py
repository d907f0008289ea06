"""Capra's compiled code where no cache folder can be written: compiled in memory, with
one warning that says how to keep it; a run says when it compiles."""

import pickle
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


# --------------------------------------------------------------------------------------
# The first compile shared with a second process
# --------------------------------------------------------------------------------------

def _run_python(code: str, cache, tmp_path) -> str:
    """``code`` in a fresh Python process with the compile cache ``cache``; its output."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


_RECORD = """
from pathlib import Path
import numpy as np
from capra.compiled import record_signatures
from capra.herd import rng
def action():       # functions that call no other compiled function: each compiled apart
    rng.normal_quantile(0.3)
    rng.exponential_of(0.5)
    rng.lognormal_of(0.1, 0.2)
    rng.geometric_wait(0.5, 0.1)
    rng._fmix(np.uint64(7))
rec = record_signatures(Path("list.pkl"), action)
print(len(rec["functions"]))
"""

# compiled ahead: which of the listed functions this process compiled itself (their
# machine code in memory), and which it left to the second process
_AHEAD = """
import pickle
from pathlib import Path
from capra import compiled
compiled.HELPER_START_S = 0.0          # these functions take some 0.1 s each
print(compiled.compile_ahead(Path("list.pkl")))
listed = pickle.loads(Path("list.pkl").read_bytes())["functions"]
for part, name in zip(compiled._halves(listed), ("here", "there")):
    print(name, *sorted({bool(compiled._dispatcher(listed[k][:2]).overloads) for k in part}))
"""

_IN_CACHE = """
import pickle
from capra.compiled import _dispatcher
rec = pickle.loads(open("list.pkl", "rb").read())
for module, name, args, _ in rec["functions"]:
    d = _dispatcher((module, name))
    print(name, d._cache.load_overload(args, d.targetctx) is not None)
"""


def test_the_listed_functions_are_compiled_in_two_processes_into_the_cache(tmp_path):
    first, second = tmp_path / "cache-1", tmp_path / "cache-2"
    n = int(_run_python(_RECORD, first, tmp_path))
    assert n == 4                                 # five functions, the longest the entry
    # a machine with nothing compiled: half here, half in the second process
    said = _run_python(_AHEAD, second, tmp_path).splitlines()
    assert said == ["shared", "here True", "there False"]
    found = dict(line.split() for line in _run_python(_IN_CACHE, second, tmp_path)
                 .splitlines())
    assert len(found) == n and set(found.values()) == {"True"}
    # the entry is compiled at its first call, not ahead: until then, nothing is cached
    assert _run_python(_AHEAD, second, tmp_path).splitlines()[0] == "shared"


def test_the_halves_take_about_the_same_time_and_keep_the_order():
    functions = [("m", f"f{k}", (), s) for k, s in enumerate([5.0, 1.0, 4.0, 2.0, 3.0, 0.5])]
    here, there = compiled_module._halves(functions)
    assert sorted(here + there) == list(range(len(functions)))
    assert here == sorted(here) and there == sorted(there)    # callees first, as listed
    # the second process's start counts in its half
    load = [sum(functions[k][3] for k in here),
            sum(functions[k][3] for k in there) + compiled_module.HELPER_START_S]
    assert abs(load[0] - load[1]) <= max(f[3] for f in functions)


def test_nothing_is_done_ahead_when_the_entry_is_compiled_or_the_list_unreadable(
        tmp_path, monkeypatch):
    from capra.herd.simulate import SIGNATURES, simulate
    from capra.scenario import load_scenario

    simulate(load_scenario("nampo").model_copy(update={"horizon_days": 3}), 1)
    assert compiled_module.compile_ahead(SIGNATURES) == "cached"
    monkeypatch.setenv("CAPRA_COMPILE_AHEAD", "0")                # no second process wanted
    assert compiled_module.compile_ahead(SIGNATURES) == "skipped"
    monkeypatch.delenv("CAPRA_COMPILE_AHEAD")
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a list")
    assert compiled_module.compile_ahead(bad) == "skipped"
    renamed = pickle.loads(SIGNATURES.read_bytes())
    renamed["entry"] = ("capra.herd.day", "no_such_function", ())
    bad.write_bytes(pickle.dumps(renamed))
    assert compiled_module.compile_ahead(bad) == "skipped"


def test_the_package_list_is_that_of_todays_simulation():
    """The list's entry takes the types the simulation gives it (else: run
    scripts/record_compiled_signatures.py), and every listed function exists."""
    from capra.herd import day
    from capra.herd.simulate import SIGNATURES, simulate
    from capra.scenario import load_scenario

    record = pickle.loads(SIGNATURES.read_bytes())
    simulate(load_scenario("nampo").model_copy(update={"horizon_days": 3}), 1)
    assert record["entry"][:2] == ("capra.herd.day", "run")
    assert record["entry"][2] in day.run.signatures, \
        "the types of the herd's day changed: run scripts/record_compiled_signatures.py"
    for module, name, args, seconds in record["functions"]:
        assert hasattr(compiled_module._dispatcher((module, name)), "compile")
        assert seconds > 0
