"""How Capra's compiled code is compiled: numba, kept on disk between processes.

numba keeps the machine code of each compiled function next to its source file, or where
that cannot be written in the user's cache folder, or in the folder ``NUMBA_CACHE_DIR``
names. Where none of them can be written (a read-only installation run by a user without
a home folder, say), the functions are compiled in memory in every process instead (a few
seconds more at each start) and a :class:`CompileCacheWarning` says how to keep them.

While the code is compiled (the first run on a machine: some 35 s for the herd's day),
:func:`compile_notice` lets a command say so. :func:`compile_ahead` shares that first
compile with a second process: the functions a command calls, listed with their
argument types by :func:`record_signatures` (a file in the package), compiled half here
and half there into the cache, before the one that calls them all. Compiled code can time its own parts with
:func:`cycle_counter` (the herd's day does, for ``bench/herd.py --stages``).

numba is told not to use Intel's vector maths library (SVML) where it is installed
(``NUMBA_DISABLE_INTEL_SVML``, unless set otherwise, and if numba was not imported before
Capra): its functions differ from the C library's in the last bit, and the same seed must
give the same numbers on every machine (:mod:`capra.libm`).
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import numba  # after the setting above
from llvmlite import ir as llvm_ir
from numba import njit
from numba.core import cgutils, types
from numba.extending import intrinsic


class CompileCacheWarning(UserWarning):
    """Capra's compiled code cannot be kept on disk: it is compiled in every process."""


_warned = False


def compiled(**options):
    """``numba.njit(cache=True, nogil=True, **options)``, or without the cache (and one
    :class:`CompileCacheWarning`) where no cache folder can be written."""

    def decorate(func):
        global _warned
        try:
            return njit(cache=True, nogil=True, **options)(func)
        except RuntimeError as exc:
            if "cannot cache" not in str(exc):
                raise
            if not _warned:
                _warned = True
                where = os.environ.get("NUMBA_CACHE_DIR")
                warnings.warn(CompileCacheWarning(
                    "no folder can be written to keep Capra's compiled code (the "
                    "package's folder, the user's cache folder"
                    + (f", NUMBA_CACHE_DIR={where}" if where else "") + "): it is compiled "
                    "again in every process, a few seconds at each start; set "
                    "NUMBA_CACHE_DIR to a folder this user can write to keep it"),
                    stacklevel=2)
            return njit(cache=False, nogil=True, **options)(func)

    return decorate


@contextmanager
def compile_notice(notify: Callable[[], None]) -> Iterator[None]:
    """Call ``notify()`` once if, while the block runs, some compiled function is not
    found in the cache and is compiled (in any thread): a command's chance to say why its
    first run on a machine is slow. Nothing is called when everything is cached."""
    from numba.core import event

    class _FirstCompile(event.Listener):
        fired = False

        def on_start(self, ev) -> None:
            if not self.fired:
                self.fired = True
                notify()

        def on_end(self, ev) -> None:
            pass

    with event.install_listener("numba:compile", _FirstCompile()):
        yield


@intrinsic
def cycle_counter(typingctx):
    """In compiled code: the processor's cycle counter now (LLVM's ``readcyclecounter``:
    the time-stamp counter on x86-64, which ticks at a constant rate; nil where the
    processor has none) [ticks]. A few nanoseconds a read; differences of two reads time
    a part of a compiled function."""
    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(
            builder.module, llvm_ir.FunctionType(llvm_ir.IntType(64), []),
            "llvm.readcyclecounter")
        return builder.call(fn, [])

    return types.int64(), codegen


@compiled()
def cycles_now():
    """:func:`cycle_counter` from Python (to convert ticks to seconds). [ticks]"""
    return cycle_counter()


# --------------------------------------------------------------------------------------
# The first compile shared with a second process
# --------------------------------------------------------------------------------------

#: Longest wait for the second process of :func:`compile_ahead` [s]; past it, what that
#: process has not compiled is compiled here when it is called.
HELPER_TIMEOUT_S = 600.0
#: Time a second process takes to start and import what it compiles (Python, numba,
#: Capra's compiled modules), measured 1.2-1.5 s [s].
HELPER_START_S = 1.5


def record_signatures(path: Path, action: Callable[[], object]) -> dict:
    """Run ``action`` with nothing in the compile cache (``NUMBA_CACHE_DIR`` set to an
    empty folder before numba is imported: the caller's duty) and write to ``path`` each
    cached compiled function it compiled, in the order they were compiled (callees
    first): its module, name, argument types and the seconds its own compile took
    (without its callees'). The one that took longest with its callees is the *entry*,
    the function that calls the others. Returns what was written."""
    from numba.core import event

    stack: list[list] = []
    done: list[tuple] = []

    class _Record(event.Listener):
        def on_start(self, ev) -> None:
            stack.append([ev.data["dispatcher"], tuple(ev.data["args"]),
                          time.perf_counter(), 0.0])

        def on_end(self, ev) -> None:
            disp, args, start, inner = stack.pop()
            seconds = time.perf_counter() - start
            if stack:
                stack[-1][3] += seconds
            if type(disp._cache).__name__ != "NullCache":     # cached: one of Capra's
                done.append((disp, args, seconds - inner, seconds))

    with event.install_listener("numba:compile", _Record()):
        action()
    if not done:
        raise RuntimeError("nothing was compiled: is the compile cache empty?")
    entry = max(done, key=lambda d: d[3])
    record = {"numba": numba.__version__, "entry": _name(entry[0]) + (entry[1],),
              "functions": [_name(d) + (args, own) for d, args, own, _ in done
                            if d is not entry[0] or args != entry[1]]}
    path.write_bytes(pickle.dumps(record))
    return record


def compile_ahead(path: Path) -> str:
    """Compile the functions listed in ``path`` (:func:`record_signatures`) into the
    cache, half in this process and half at once in a second one, when the list's entry
    is not in the cache yet; the entry itself is then compiled at its first call, with
    all it calls found in the cache. Returns ``"cached"`` (nothing to do), ``"shared"``
    (compiled in two processes), or ``"skipped"``: one processor only, no cache on disk
    (:class:`CompileCacheWarning`), a list this numba cannot read, or
    ``CAPRA_COMPILE_AHEAD=0`` in the environment (no second process wanted); the
    functions are then compiled one after the other at their first call. What the
    second process fails to compile is compiled here when it is called; a list out of
    date costs time, never a wrong result (types no call uses are compiled for nothing).

    Measured on nampo (2 cores, alternating): the first simulation's start 46.0 and
    45.6 s alone, 35.7 and 37.2 s with the second process.
    """
    if _warned or _cores() < 2 or os.environ.get("CAPRA_COMPILE_AHEAD") == "0":
        return "skipped"
    try:
        record = pickle.loads(path.read_bytes())
        entry, args = _dispatcher(record["entry"]), record["entry"][2]
        if (entry.overloads.get(args) is not None
                or entry._cache.load_overload(args, entry.targetctx) is not None):
            return "cached"
    except Exception:             # a list from another numba, or a function renamed
        return "skipped"
    here, there = _halves(record["functions"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    helper = subprocess.Popen([sys.executable, "-m", "capra.compiled", str(path),
                               ",".join(str(k) for k in there)], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _compile_all([record["functions"][k] for k in here])
        helper.wait(timeout=HELPER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if helper.poll() is None:
            helper.kill()
            helper.wait()
    return "shared"


def _halves(functions: list) -> tuple[list, list]:
    """The listed functions in two parts (this process's, the second process's) of about
    the same time, the second process's start (:data:`HELPER_START_S`) counted in its
    part; the longest first to the lighter part. Each part: indices in the list, in its
    order (callees first)."""
    parts: tuple[list, list] = ([], [])
    load = [0.0, HELPER_START_S]
    for k in sorted(range(len(functions)), key=lambda k: -functions[k][3]):
        side = 0 if load[0] <= load[1] else 1
        parts[side].append(k)
        load[side] += functions[k][3]
    return sorted(parts[0]), sorted(parts[1])


def _compile_all(functions: list) -> None:
    for module, name, args, _ in functions:
        try:
            _dispatcher((module, name)).compile(args)
        except Exception:         # not the types of today's code: compiled when called
            continue


def _dispatcher(name: tuple):
    obj = importlib.import_module(name[0])
    for part in name[1].split("."):
        obj = getattr(obj, part)
    return obj


def _name(dispatcher) -> tuple[str, str]:
    return dispatcher.py_func.__module__, dispatcher.py_func.__qualname__


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:        # not on every system
        return os.cpu_count() or 1


if __name__ == "__main__":       # the second process of compile_ahead: list, indices
    _listed = pickle.loads(Path(sys.argv[1]).read_bytes())["functions"]
    _compile_all([_listed[int(k)] for k in sys.argv[2].split(",") if k])
