"""Validation errors in plain words: pydantic's error list becomes key paths
(``batches[1].animals[0].count``), the value as written in TOML, and what was expected,
all problems of a file in one :class:`~capra.errors.ScenarioError`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from capra.errors import ScenarioError
from capra.scenario.fields import (
    _ABSOLUTE_TYPE,
    _CROSS_TYPE,
    _ERROR_TYPE,
    _MISSING,
    Loc,
    _key_path,
    _show,
    _suggest,
    _toml_type,
)
from capra.scenario.model import Scenario


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the key at the end of ``loc``."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string (in quotes)",
    "date_type": "a date written YYYY-MM-DD", "date_parsing": "a date written YYYY-MM-DD",
    "tuple_type": "an array [ ... ]", "list_type": "an array [ ... ]",
    "model_type": "a table", "model_attributes_type": "a table", "dict_type": "a table",
}


def _keys_at(root: type[BaseModel], loc: Loc) -> list[str]:
    """Valid keys of the table at ``loc``."""
    model = _model_at(root, loc)
    keys = list(model.model_fields) if model else []
    if model is Scenario:
        keys.append("breed_overrides")
    return keys


def _summary(description: str) -> str:
    """First sentence and unit of a field description, without reST markup."""
    text = " ".join(description.replace("``", "").split())
    unit = re.search(r"\[[^\]]*\]$", text)
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    if unit and not sentence.endswith(unit[0]):
        sentence += " " + unit[0]
    return sentence


def _describe(error: dict, root: type[BaseModel], loc: Loc) -> tuple[Any, str]:
    """Value to show (or ``_MISSING``) and plain message for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        keys = _keys_at(root, loc[:-1])
        hint = _suggest(str(loc[-1]), keys)
        if hint:
            return _MISSING, f"unknown key; did you mean {hint!r}?"
        return _MISSING, "unknown key; valid keys here: " + ", ".join(keys)
    if kind == "missing":
        model = _model_at(root, loc[:-1])
        field = model.model_fields.get(str(loc[-1])) if model else None
        about = _summary(field.description) if field and field.description else ""
        return _MISSING, "missing required key" + (f" ({about})" if about else "")
    if kind == _ERROR_TYPE:
        return value, ctx.get("msg", error["msg"])
    if kind in ("tuple_type", "list_type") and isinstance(value, Mapping) and loc:
        header = ".".join(str(p) for p in loc if isinstance(p, str))
        return value, (f"wrong type (a table); expected an array of tables, each written "
                       f"[[{header}]]")
    if kind in _EXPECTED:
        return value, f"wrong type ({_toml_type(value)}); expected {_EXPECTED[kind]}"
    if kind == "literal_error":
        return value, f"not allowed; expected {ctx.get('expected', error['msg'])}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length", ctx.get("max_length"))
        return value, (f"has {ctx.get('actual_length', '?')} items; expected "
                       f"{'at least' if kind == 'too_short' else 'at most'} {bound}")
    message = error["msg"]
    if message.startswith("Input should be "):
        message = "expected " + message.removeprefix("Input should be ")
    return value, message


def _has_path(table: object, path: Sequence[str | int]) -> bool:
    for part in path:
        in_array = isinstance(part, int) and isinstance(table, (list, tuple)) \
            and part < len(table)
        in_table = isinstance(part, str) and isinstance(table, Mapping) and part in table
        if not (in_array or in_table):
            return False
        table = table[part]
    return True


class _Report:
    """One problem: key path, value (or ``_MISSING``), message, and a note on its origin."""

    def __init__(self, loc: Loc, value: Any, message: str, note: str = ""):
        self.loc, self.value, self.message, self.note = loc, value, message, note
        self.hint: str | None = None  # suggested key, for an unknown key
        self.missing = False  # a missing required key

    @property
    def path(self) -> str:
        return _key_path(self.loc)

    def detail(self) -> str:
        """The message with the value, without the key path."""
        shown = "" if self.value is _MISSING else f"{_show(self.value)}: "
        return f"{shown}{self.message}{self.note}"

    def __str__(self) -> str:
        path = self.path
        if not path:
            return self.detail()
        if self.value is _MISSING:
            return f"{path}: {self.message}{self.note}"
        return f"{path} = {_show(self.value)}: {self.message}{self.note}"


def _collect_problems(exc: ValidationError, root: type[BaseModel], raw: object,
                      origin: Callable[[Loc], tuple[Loc, str]] | None = None
                      ) -> list[_Report]:
    """Every problem of ``raw``, from pydantic's errors and the cross-field checks.

    Cross-field checks of a model only run when all its fields are valid; for models
    whose fields failed they are run here on the raw table, so that one report lists all
    the problems of the file.
    """
    reports: list[_Report] = []
    failed: list[Loc] = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        failed.append(loc)
        kind = error["type"]
        if kind in (_CROSS_TYPE, _ABSOLUTE_TYPE):
            for sub, value, message in error["ctx"]["problems"]:
                full = tuple(sub) if kind == _ABSOLUTE_TYPE else loc + tuple(sub)
                reports.append(_Report(full, value, message))
        elif kind == "too_short" and len(error.get("input") or ()) >= error["ctx"]["min_length"]:
            continue  # pydantic counts only the valid items; the invalid ones are reported
        else:
            report = _Report(loc, *_describe(error, root, loc))
            if kind == "extra_forbidden":
                report.hint = _suggest(str(loc[-1]), _keys_at(root, loc[:-1]))
            report.missing = kind == "missing"
            reports.append(report)
    # models holding a failed field: the proper prefixes of the failed key paths
    holding = {loc[:k] for loc in failed for k in range(len(loc))}
    for model_loc, model, table in _walk(root, raw, ()):
        if model_loc in holding:
            for sub, value, message in model._cross_problems(table):
                reports.append(_Report(model_loc + tuple(sub), value, message))
    # A misspelt required key is reported once, as the unknown key with its suggestion.
    suggested = {r.loc[:-1] + (r.hint,) for r in reports if r.hint}
    reports = [r for r in reports if not (r.missing and r.loc in suggested)]
    reports.sort(key=lambda r: _sort_key(root, r.loc))
    unique: dict[str, _Report] = {}
    for report in reports:
        if origin is not None:
            report.loc, report.note = origin(report.loc)
        unique.setdefault(str(report), report)
    return list(unique.values())


def _sort_key(root: type[BaseModel], loc: Loc) -> tuple[int, ...]:
    """Order of a key path in the file: fields in model order, array items by index."""
    key: list[int] = []
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            key.append(part)
            continue
        fields = list(model.model_fields) if model else []
        key.append(fields.index(part) if part in fields else len(fields))
        field = model.model_fields.get(part) if model else None
        model = _inner_model(field.annotation) if field else None
    return tuple(key)


def _walk(model: type[BaseModel], table: object, loc: Loc):
    """Yield (loc, model class, raw table) for every model table in ``table``."""
    if not isinstance(table, Mapping):
        return
    yield loc, model, table
    for name, field in model.model_fields.items():
        inner = _inner_model(field.annotation)
        if inner is None or name not in table:
            continue
        value = table[name]
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                yield from _walk(inner, item, loc + (name, i))
        else:
            yield from _walk(inner, value, loc + (name,))


def _error(reports: list[_Report], file: str | None, what: str) -> ScenarioError:
    """One ScenarioError listing every problem."""
    problems = [str(r) for r in reports]
    if len(reports) == 1:
        message = problems[0]
    else:
        listing = "\n".join(f"  - {p}" for p in problems)
        message = f"{len(problems)} problems in the {what}:\n{listing}"
    error = ScenarioError(message, file=file, problems=problems)
    if len(reports) == 1:
        error.path = reports[0].path or None
        error.value = None if reports[0].value is _MISSING else reports[0].value
    return error
