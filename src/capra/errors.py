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
        self.reason = message
        self._where = (row, field)
        super().__init__(self._text())

    def _text(self) -> str:
        row, field = self._where
        parts = [self.file and f"file {self.file}", row is not None and f"row {row}",
                 field and f"field {field!r}"]
        where = ", ".join(p for p in parts if p)
        return f"{where}: {self.reason}" if where else self.reason

    def in_file(self, file: str | None) -> DataError:
        """This error, located in ``file`` if it names no file yet (the error of a function
        that read a table, raised again by the command that read the file)."""
        if file is not None and self.file is None:
            self.file = file
            self.args = (self._text(),)
        return self


class InvalidValuesError(DataError):
    """Some values of one or more fields are invalid (bad code, wrong type).

    Every offending row is reported, not just the first.

    Parameters
    ----------
    message
        What is wrong and what was expected; the per-field details are appended.
    problems
        ``{field: [(row, value), ...]}`` with every offending row (1-based position in the
        data, i.e. the data row of a CSV file) and its raw value.
    expected
        ``{field: "description of the accepted values"}``.
    file
        The data file, if the data came from a file.
    """

    def __init__(self, message: str, *, problems: dict[str, list[tuple[int, object]]],
                 expected: dict[str, str] | None = None, file: str | None = None):
        self.problems = problems
        self.expected = expected or {}
        details = [_describe_field(f, rows, self.expected.get(f)) for f, rows in problems.items()]
        fields = list(problems)
        super().__init__(message + ("\n" + "\n".join(details) if details else ""), file=file)
        self.field = fields[0] if len(fields) == 1 else None

    @property
    def rows(self) -> dict[str, list[int]]:
        """``{field: [row, ...]}``: every offending row number per field."""
        return {f: [r for r, _ in items] for f, items in self.problems.items()}


def _ranges(rows: list[int]) -> str:
    """'3, 5-9, 12' for rows [3, 5, 6, 7, 8, 9, 12]."""
    parts: list[str] = []
    start = prev = None
    for r in rows:
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = r
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def _describe_field(field: str, items: list[tuple[int, object]], expected: str | None) -> str:
    by_value: dict[str, list[int]] = {}
    for row, value in items:
        by_value.setdefault(repr(value), []).append(row)
    values = "; ".join(f"{v} at row{'s' if len(rows) > 1 else ''} {_ranges(sorted(rows))}"
                       for v, rows in by_value.items())
    exp = f" (expected {expected})" if expected else ""
    return f"  field {field!r}: {len(items)} invalid value{'s' if len(items) > 1 else ''}{exp}: {values}"


class OutputError(CapraError):
    """An output file or folder cannot be written (checked before the work starts)."""

    def __init__(self, message: str, *, path: object = None):
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if path is not None else message)


class UsageError(CapraError):
    """A command needs an option that was not given, or options contradict each other."""

    exit_code = 2


class ArgumentError(CapraError, ValueError):
    """A function was called with an argument it does not accept (wrong type, shape or
    value); the message names the argument, what it got and what it expects. It is also a
    :class:`ValueError`, as Python's own functions raise for a bad value."""

    exit_code = 2
