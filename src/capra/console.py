"""Consoles and error reporting shared by every ``capra`` command.

Domain errors become a message and an exit code in one place, never a traceback.
"""

from __future__ import annotations

from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from capra.errors import CapraError

#: Results (tables, JSON) go to standard output ...
out_console = Console()
#: ... messages, progress and errors to standard error.
err_console = Console(stderr=True)


def print_error(message: str) -> None:
    """Print an error message (markup in the message is shown as typed)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


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
