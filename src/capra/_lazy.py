"""Public names of a package imported on first use (PEP 562), to keep start-up fast."""

from __future__ import annotations

import pkgutil
import sys
from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__getattr__, __dir__, __all__)`` for a package whose public names live in
    submodules: ``exports`` maps each name to the module that defines it.

    A public name may not be the name of a submodule: once that submodule is imported,
    the package attribute would be the module, not the name (hence the check).
    """
    submodules = {m.name for m in pkgutil.iter_modules(sys.modules[package].__path__)}
    clash = submodules & set(exports)
    if clash:
        raise ImportError(f"{package}: lazy names {sorted(clash)} are also submodules")
    names = sorted(exports)

    def __getattr__(name: str):
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        return getattr(import_module(module), name)

    def __dir__():
        return names

    return __getattr__, __dir__, names
