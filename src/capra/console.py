"""Consoles, error reporting and output checks shared by every ``capra`` command.

Domain errors become a message and an exit code in one place, never a traceback. Every
string a command prints that comes from the user (names, paths, codes, values) is shown
as typed, never read as Rich markup.

Outputs follow one rule in every command (:mod:`capra.outputs`, whose checks are
re-exported here): a missing folder is created, and the output is checked before the
long work starts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from capra.errors import CapraError
from capra.outputs import output_file, output_folder

__all__ = ["cli_errors", "echo", "err_console", "json_text", "out_console", "output_file",
           "output_folder", "print_error", "print_warning", "step_progress"]

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


@contextmanager
def step_progress(labels: Mapping[str, tuple[str, str]], console: Console | None = None):
    """A progress display for long work done in steps: yields ``update(step, done,
    total)``, the callback of :func:`capra.run`. ``labels`` maps each step to the words
    shown and the unit counted (``{"herd": ("simulating nampo", "replicate-days")}``);
    a new step completes the ones before it. The display goes when the work ends."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[unit]}"), TimeRemainingColumn(),
                  console=console or err_console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(step: str, done: int, total: int) -> None:
            if step not in tasks:
                for other in tasks.values():
                    bar.update(other, completed=bar.tasks[other].total)
                words, unit = labels.get(step, (step, ""))
                tasks[step] = bar.add_task(escape(words), total=max(total, 1),
                                           unit=escape(unit))
            bar.update(tasks[step], completed=done, total=max(total, 1))

        yield update


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
