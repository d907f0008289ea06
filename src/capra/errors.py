"""Exceptions raised by Capra.

Every error names *what* went wrong, *where* (file, row, key path, field) and *what was
expected*. The command line turns any :class:`CapraError` into a message and an exit code,
never a traceback.
"""

from __future__ import annotations


class CapraError(Exception):
    """Base class of every error Capra raises on purpose."""

    exit_code = 1


class ScenarioError(CapraError):
    """A scenario file or value is invalid.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    file
        The scenario file, if the scenario came from a file.
    path
        Key path inside the scenario, e.g. ``batches[0].farms``.
    value
        The offending value.
    """

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None,
                 value: object = None, problems: list[str] | None = None):
        self.file = file
        self.path = path
        self.value = value
        self.problems = problems or []
        where = ", ".join(p for p in (file and f"file {file}", path and f"key {path}") if p)
        super().__init__(f"{where}: {message}" if where else message)


class DataError(CapraError):
    """A data file (CSV, XLSX, records) has a bad row or field."""

    exit_code = 3

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None, value: object = None):
        self.file = file
        self.row = row
        self.field = field
        self.value = value
        parts = [file and f"file {file}", row is not None and f"row {row}",
                 field and f"field {field!r}"]
        where = ", ".join(p for p in parts if p)
        super().__init__(f"{where}: {message}" if where else message)
