"""Writing a scenario as TOML that :func:`~capra.scenario.load.load_scenario` reads back
to an equal scenario."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel

from capra.errors import ScenarioError
from capra.scenario.fields import _MISSING, _show
from capra.scenario.files import bundled_breeds
from capra.scenario.herd import Breed
from capra.scenario.load import load_breed
from capra.scenario.model import Scenario
from capra.scenario.uncertain import is_distribution_table


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="python", exclude_none=True)


def _difference(base: Mapping, new: Mapping) -> dict[str, Any]:
    """The values of ``new`` that differ from ``base`` (tables compared key by key)."""
    diff: dict[str, Any] = {}
    for key, value in new.items():
        old = base.get(key, _MISSING)
        if is_distribution_table(value) or is_distribution_table(old):
            if old != value:
                diff[key] = value          # a distribution is written as a whole
        elif isinstance(value, Mapping) and isinstance(old, Mapping):
            sub = _difference(old, value)
            if sub:
                diff[key] = sub
        elif old != value or type(old) is not type(value):
            diff[key] = value
    return diff


def _breed_entry(breed: Breed) -> tuple[Any, dict[str, Any] | None]:
    """``breed`` as written in a scenario: bundled name plus overrides, or a table."""
    for name in bundled_breeds():
        try:
            bundled = load_breed(name)
        except ScenarioError:
            continue
        if bundled.name == breed.name:
            diff = _difference(_dump(bundled), _dump(breed))
            return name, diff or None
    return _dump(breed), None


def _toml_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):        # an inline table (a distribution)
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


def _is_table_array(value: Any) -> bool:
    """An array of tables, written ``[[key]]`` (an array of distributions is written
    inline, as the values it stands for)."""
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, Mapping) and not is_distribution_table(v) for v in value)


def _emit(table: Mapping[str, Any], prefix: str, lines: list[str],
          header: str | None = None) -> None:
    """Append ``table`` as TOML lines: its values, then its tables and arrays of tables."""
    values = [(k, v) for k, v in table.items() if is_distribution_table(v)
              or not isinstance(v, Mapping) and not _is_table_array(v)]
    if header is not None and (values or len(values) == len(table) or header.startswith("[[")):
        lines.extend(["", header])  # a table holding only tables needs no header line
    lines.extend(f"{key} = {_toml_value(value)}" for key, value in values)
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and not is_distribution_table(value):
            _emit(value, name, lines, f"[{name}]")
        elif _is_table_array(value):
            for item in value:
                _emit(item, name, lines, f"[[{name}]]")


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text that :func:`load_scenario` reads back to an equal scenario.

    A breed equal to a bundled breed is written by name, with the values that differ in
    ``[breed_overrides]``; any other breed is written as an inline ``[breed]`` table.
    """
    data = _dump(scenario)
    breed, overrides = _breed_entry(scenario.breed)
    data["breed"] = breed
    if overrides:
        data["breed_overrides"] = overrides
    lines = [f"# Capra scenario {_show(scenario.name)}.", ""]
    _emit(data, "", lines)
    if len(lines) > 2 and lines[2] == "":
        del lines[2]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # the writer only produces valid TOML; fail loudly otherwise
    return text


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write the scenario as TOML to ``path``; returns the path."""
    path = Path(path)
    try:
        path.write_text(scenario_to_toml(scenario), encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot write: {exc.strerror}", file=str(path)) from None
    return path
