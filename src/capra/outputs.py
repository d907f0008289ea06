"""Output files and folders, checked before the work that fills them.

One rule for every command and library function that writes: a missing folder is
created, and the output is checked (folder writable, known file type, not one of the
inputs) before the long work starts, so that an hour of simulation is never lost to a
typing mistake in ``-o``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from capra.errors import OutputError

__all__ = ["output_file", "output_folder"]


def _writable_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing and check that files can be made in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError("is a file; expected a folder", path=folder) from None
    except OSError as exc:
        raise OutputError(f"cannot create the folder: {exc.strerror}", path=folder) from None
    if not folder.is_dir():
        raise OutputError("is not a folder; expected a folder", path=folder)
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in this folder: {exc.strerror}", path=folder) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def output_file(path: str | os.PathLike, *, suffixes: Iterable[str] | None = None,
                inputs: Sequence[str | os.PathLike] = ()) -> Path:
    """Check an output file before the work that fills it.

    Its type (``suffixes``, e.g. ``(".csv", ".xlsx")``) must be known, it may not be one of
    the ``inputs``, it may not be a folder, and its folder is created if missing and must
    be writable. An existing file is not touched here (it is replaced when written).

    Raises
    ------
    OutputError
        Naming the path and what was expected.
    """
    path = Path(path)
    if suffixes is not None:
        allowed = tuple(s.lower() for s in suffixes)
        if path.suffix.lower() not in allowed:
            raise OutputError(f"unknown file type {path.suffix or '(none)'!r}; expected "
                              f"{', '.join(allowed)}", path=path)
    for source in inputs:
        if _same_file(path, Path(source)):
            raise OutputError("is the input file; choose another output file (it would be "
                              "overwritten)", path=path)
    if path.is_dir():
        raise OutputError("is a folder; expected a file name", path=path)
    _writable_folder(path.parent)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError("the file exists and cannot be replaced (read-only)", path=path)
    return path


def output_folder(path: str | os.PathLike) -> Path:
    """Create an output folder (and its parents) if missing and check that it is writable,
    before the work that fills it.

    Raises
    ------
    OutputError
        Naming the path and what was expected.
    """
    path = Path(path)
    _writable_folder(path)
    return path
