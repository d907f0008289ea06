"""How Capra's compiled code is compiled: numba, kept on disk between processes.

numba keeps the machine code of each compiled function next to its source file, or where
that cannot be written in the user's cache folder, or in the folder ``NUMBA_CACHE_DIR``
names. Where none of them can be written (a read-only installation run by a user without
a home folder, say), the functions are compiled in memory in every process instead (a few
seconds more at each start) and a :class:`CompileCacheWarning` says how to keep them.

While the code is compiled (the first run on a machine: some 35 s for the herd's day),
:func:`compile_notice` lets a command say so. Compiled code can time its own parts with
:func:`cycle_counter` (the herd's day does, for ``bench/herd.py --stages``).

numba is told not to use Intel's vector maths library (SVML) where it is installed
(``NUMBA_DISABLE_INTEL_SVML``, unless set otherwise, and if numba was not imported before
Capra): its functions differ from the C library's in the last bit, and the same seed must
give the same numbers on every machine (:mod:`capra.libm`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

from numba import njit  # after the setting above
from llvmlite import ir as llvm_ir
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
