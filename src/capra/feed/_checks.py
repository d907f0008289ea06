"""Checks of the arguments of the feed functions and of the feed data files.

Two kinds of bad input, two errors:

- an argument of a requirement function out of its range (:class:`FeedInputError`): the
  message names the argument, every offending position of an array (up to a few, then a
  count) with its value, and what was expected;
- a value of a feed data file (:class:`capra.errors.ScenarioError`): the message names the
  file and the key path of every problem, as scenario files do.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ValidationError

from capra.errors import CapraError, ScenarioError

#: Offending positions listed in a message before the rest are counted.
SHOWN_POSITIONS = 5


class FeedInputError(CapraError, ValueError):
    """An argument of a feed function is out of its range or of an unknown kind.

    Attributes
    ----------
    argument
        Name of the argument, e.g. ``"body_weight_kg"``.
    positions
        Indices (tuples for arrays of more than one dimension, ``()`` for a scalar) of every
        offending value.
    values
        The offending values, in the order of ``positions``.
    expected
        What the argument accepts.
    """

    def __init__(self, argument: str, expected: str, *, positions: Sequence = (),
                 values: Sequence = (), reason: str = "invalid value"):
        self.argument = argument
        self.expected = expected
        self.positions = list(positions)
        self.values = list(values)
        super().__init__(_input_message(argument, expected, self.positions, self.values, reason))


def _input_message(argument: str, expected: str, positions: list, values: list,
                   reason: str) -> str:
    n = len(positions)
    if n == 0:
        return f"{argument}: {reason}; expected {expected}"
    if positions == [()]:
        return f"{argument} = {values[0]!r}: {reason}; expected {expected}"
    shown = ", ".join(f"{v!r} at index {_index(p)}" for p, v in
                      zip(positions[:SHOWN_POSITIONS], values[:SHOWN_POSITIONS]))
    more = f" and {n - SHOWN_POSITIONS} more" if n > SHOWN_POSITIONS else ""
    why = "" if reason == "invalid value" else f" ({reason})"
    return (f"{argument}: {n} invalid value{'s' if n > 1 else ''}{why}: {shown}{more}; "
            f"expected {expected}")


def _index(position: tuple) -> str:
    return str(position[0]) if len(position) == 1 else str(tuple(int(i) for i in position))


def _raise_at(mask: np.ndarray, arr: np.ndarray, argument: str, expected: str,
              reason: str = "invalid value") -> None:
    """Raise :class:`FeedInputError` for the positions where ``mask`` is true."""
    if not np.any(mask):
        return
    if arr.ndim == 0:
        raise FeedInputError(argument, expected, positions=[()], values=[arr.item()],
                             reason=reason)
    where = np.argwhere(mask)
    values = [arr[tuple(i)].item() for i in where]
    raise FeedInputError(argument, expected, positions=[tuple(int(j) for j in i) for i in where],
                         values=values, reason=reason)


def numbers(value: Any, argument: str, *, lo: float | None = None, hi: float | None = None,
            lo_open: bool = False, hi_open: bool = False, unit: str = "",
            allow_nan: bool = False) -> np.ndarray:
    """``value`` as a float array, every element finite and in the stated interval.

    With ``allow_nan``, NaN elements pass (for arguments where NaN means "not given").
    """
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise FeedInputError(argument, "numbers", positions=[()], values=[value],
                             reason="not a number") from None
    expected = _interval(lo, hi, lo_open, hi_open, unit)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr)
        if lo is not None:
            bad |= (arr <= lo) if lo_open else (arr < lo)
        if hi is not None:
            bad |= (arr >= hi) if hi_open else (arr > hi)
    if allow_nan:
        bad &= ~np.isnan(arr)
        expected += " or NaN"
    _raise_at(bad, arr, argument, expected)
    return arr


def _interval(lo, hi, lo_open, hi_open, unit) -> str:
    u = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return (f"a finite number in {'(' if lo_open else '['}{lo:g}, {hi:g}"
                f"{')' if hi_open else ']'}{u}")
    if lo is not None:
        return f"a finite number {'>' if lo_open else '>='} {lo:g}{u}"
    if hi is not None:
        return f"a finite number {'<' if hi_open else '<='} {hi:g}{u}"
    return f"a finite number{u}"


def codes(value: Any, argument: str, allowed: Sequence[str]) -> np.ndarray:
    """``value`` (a name or an array of names) as integer codes: the index of each name in
    ``allowed`` (case-sensitive). Unknown names raise :class:`FeedInputError` with the
    nearest valid name. Integer arrays are taken as codes already (the fast path for
    simulators) and checked to lie in ``0 .. len(allowed) - 1``."""
    arr = np.asarray(value)
    expected = "one of " + ", ".join(map(repr, allowed))
    if arr.dtype.kind in "iu" and not isinstance(value, bool):
        _raise_at((arr < 0) | (arr >= len(allowed)), arr, argument,
                  f"{expected}, or its index 0..{len(allowed) - 1}", reason="unknown code")
        return arr.astype(np.int8, copy=False)
    if arr.dtype.kind not in "UO":
        _raise_at(np.ones(arr.shape, bool), arr, argument, expected, reason="not a name")
    out = np.full(arr.shape, -1, dtype=np.int8)
    for i, name in enumerate(allowed):
        out[arr == name] = i
    bad = out < 0
    if np.any(bad):
        hint = suggest(str(arr[bad].flat[0]), allowed)
        _raise_at(bad, arr, argument, expected + (f" (did you mean {hint!r}?)" if hint else ""),
                  reason="unknown value")
    return out


def suggest(word: str, words: Iterable[str]) -> str | None:
    """The closest of ``words`` to ``word``, if close enough to be a likely typo."""
    match = difflib.get_close_matches(str(word), list(words), n=1, cutoff=0.6)
    return match[0] if match else None


def broadcast(arguments: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The arrays broadcast to one shape; an error names the arguments' shapes."""
    try:
        return np.broadcast_arrays(*arguments.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arguments.items() if np.ndim(v))
        raise FeedInputError("arguments", "scalars or arrays of one common (broadcastable) "
                             "shape", reason=f"shapes do not broadcast: {shapes}") from None


def scalar_or_array(arr: np.ndarray) -> float | np.ndarray:
    """A Python float for a 0-d result, else the array."""
    return float(arr) if np.ndim(arr) == 0 else arr


# --------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------

def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML data file; an unreadable file or a syntax error names the file."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file; expected a TOML file", file=shown) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read: {exc}", file=shown) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"TOML syntax error: {exc}", file=shown) from None


def _drop_misspelt_missing(problems: list[str]) -> list[str]:
    """A misspelt required key is reported once, as the unknown key with its suggestion."""
    suggested = set()
    for p in problems:
        match = re.fullmatch(r"(.*?)([^.\[]+): unknown key; did you mean '([^']+)'\?", p)
        if match:
            suggested.add(match[1] + match[3])
    return [p for p in problems
            if not (p.endswith(": missing required key") and p.split(":")[0] in suggested)]


def key_path(loc: Sequence[str | int]) -> str:
    """``("presets", "intensive", 0)`` -> ``presets.intensive[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


#: First characters of a model validator's message listing located problems (one a line).
CROSS_MARK = "\x00"


def cross_problems(problems: list[str]) -> ValueError:
    """The error a model validator raises for ``problems`` (``"female[3].age_days = 20:
    ages must increase"``), each located by :func:`validate` under the model's key path."""
    return ValueError(CROSS_MARK + "\n".join(problems))


def validate(model: type[BaseModel], data: Any, *, file: str | None = None,
             prefix: Sequence[str | int] = (), what: str = "data", strip: int = 0) -> BaseModel:
    """``model.model_validate(data)``; every problem becomes one located ScenarioError.

    The message lists each problem with its key path (``prefix`` + pydantic's location
    without its first ``strip`` parts), the offending value and what was expected; an
    unknown key suggests the closest valid key.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [p for error in exc.errors()
                    for p in _problems(error, model, tuple(prefix), strip)]
    problems = _drop_misspelt_missing(list(dict.fromkeys(problems)))
    message = (problems[0] if len(problems) == 1 else
               f"{len(problems)} problems in the {what}:\n" +
               "\n".join(f"  - {p}" for p in problems))
    error = ScenarioError(message, file=file, problems=problems)
    if len(problems) == 1:
        error.path = problems[0].split(":", 1)[0].split(" = ", 1)[0] or None
    raise error from None


def _problems(error: dict, model: type[BaseModel], prefix: tuple, strip: int) -> list[str]:
    """The problems of one pydantic error. A model validator reports several problems in
    one ValueError, one per line, each starting with its key path relative to the model."""
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    model_loc, loc = loc, loc[strip:]
    if error["type"] == "value_error" and CROSS_MARK in str(error.get("ctx", {}).get("error")):
        base = key_path(prefix + loc)
        lines = str(error["ctx"]["error"]).replace(CROSS_MARK, "").splitlines()
        return [f"{base}.{line}" if base and not line.startswith("[") else f"{base}{line}"
                for line in lines if line]
    return [_problem(error, model, prefix, loc, model_loc)]


def _problem(error: dict, model: type[BaseModel], prefix: tuple, loc: tuple,
             model_loc: tuple) -> str:
    path = key_path(prefix + loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        keys = _keys_at(model, model_loc[:-1])
        hint = suggest(str(loc[-1]), keys)
        return f"{path}: unknown key; " + (f"did you mean {hint!r}?" if hint else
                                            "valid keys here: " + ", ".join(keys))
    if kind == "missing":
        return f"{path}: missing required key"
    message = error.get("ctx", {}).get("error") or error["msg"]
    message = str(message)
    for start in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(start)
    if message.startswith("Input should be "):
        message = "expected " + message.removeprefix("Input should be ")
    value = error.get("input")
    shown = "" if isinstance(value, (dict, list)) or value is None else f" = {_show(value)}"
    return f"{path}{shown}: {message}"


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Valid keys of the table at ``loc`` (array indices and dict keys skipped)."""
    annotation: Any = model
    for part in loc:
        if typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
            continue
        current = _inner(annotation)
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
    current = _inner(annotation)
    return list(current.model_fields) if current is not None else []


def _inner(annotation: Any) -> Any:
    """The model class inside an annotation (``X | None``, ``tuple[X, ...]``), if any."""
    if typing.get_origin(annotation) is dict:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return None
