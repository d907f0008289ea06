"""Consoles, error reporting and output checks shared by every ``capra`` command.

Domain errors become a message and an exit code in one place, never a traceback. Every
string a command prints that comes from the user (names, paths, codes, values) is shown
as typed, never read as Rich markup.

Outputs follow one rule in every command: a missing folder is created, and the output is
checked (folder writable, known file type, not one of the inputs) before the long work
starts, so that an hour of simulation is never lost to a typing mistake in ``-o``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from capra.errors import CapraError, OutputError

#: Results (tables, JSON) go to standard output ...
out_console = Console()
#: ... messages, progress and errors to standard error.
err_console = Console(stderr=True)


def echo(message: str, console: Console | None = None) -> None:
    """Print a plain message on standard output (or ``console``): its text (names, paths,
    values) is shown as typed, never read as markup."""
    (console or out_console).print(message, markup=False, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print an error message (markup in the message is shown as typed)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_warning(message: str) -> None:
    """Print a warning on standard error (markup in the message is shown as typed)."""
    err_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


@contextmanager
def cli_errors():
    """Turn Capra's errors (and bad values or files) into a message and an exit code."""
    try:
        yield
    except CapraError as exc:
        print_error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except (ValueError, OSError) as exc:
        print_error(str(exc))
        raise typer.Exit(1) from None
    except MemoryError:
        print_error("out of memory; simulate fewer replicates together (--batch-size) or "
                    "fewer replicates, or a smaller herd or horizon")
        raise typer.Exit(1) from None


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------

def _finite(value, key: str, bad: list[str]):
    if isinstance(value, float) and not math.isfinite(value):
        bad.append(key or "(top level)")
        return None
    if isinstance(value, dict):
        return {k: _finite(v, f"{key}.{k}" if key else str(k), bad) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v, f"{key}[{i}]", bad) for i, v in enumerate(value)]
    return value


def json_text(data, *, indent: int | None = None, default=None) -> str:
    """``data`` as JSON text. JSON has no NaN or infinity: such numbers are written as
    ``null``, with a warning on standard error naming their keys."""
    bad: list[str] = []
    clean = _finite(data, "", bad)
    if bad:
        shown = ", ".join(bad[:10]) + (f" and {len(bad) - 10} more" if len(bad) > 10 else "")
        print_warning(f"{len(bad)} value{'s' if len(bad) > 1 else ''} not a finite number, "
                      f"written as null: {shown}")
    return json.dumps(clean, indent=indent, allow_nan=False, default=default)


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------

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
