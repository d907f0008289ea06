"""Files behind a scenario: the bundled scenarios and breeds, and reading a TOML file
with errors that name the file, the line and the column.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from capra.errors import ScenarioError
from capra.scenario.fields import Loc, _key_path, _show, _suggest
from capra.scenario.limits import MAX_TOML_DEPTH

# --------------------------------------------------------------------------------------
# Bundled data
# --------------------------------------------------------------------------------------

def _data_dir(kind: str) -> Path:
    return Path(str(resources.files("capra") / "data" / kind))


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with Capra, e.g. ``["nampo"]``."""
    return sorted(p.stem for p in _data_dir("scenarios").glob("*.toml"))


def bundled_scenario_descriptions() -> dict[str, str]:
    """``{name: description}`` of the bundled scenarios (the ``description`` key of each
    file; empty if it has none)."""
    out = {}
    for name in bundled_scenarios():
        doc = _read_toml(bundled_scenario_path(name), name)
        description = doc.get("description", "")
        out[name] = description if isinstance(description, str) else ""
    return out


def bundled_breeds() -> list[str]:
    """Names of the breed files shipped with Capra, e.g. ``["saanen"]``."""
    return sorted(p.stem for p in _data_dir("breeds").glob("*.toml"))


def bundled_scenario_path(name: str) -> Path:
    """Path of the bundled scenario ``name``.

    Raises
    ------
    ScenarioError
        If no bundled scenario has this name; the message lists the bundled names.
    """
    path = _data_dir("scenarios") / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(_unknown_name_message(
            "scenario", name, bundled_scenarios(), "a bundled scenario name"), value=name)
    return path


def _unknown_name_message(what: str, name: str, names: list[str], expected: str) -> str:
    hint = _suggest(name, names)
    return (f"no bundled {what} named {_show(name)}; expected {expected} (bundled {what}s: "
            f"{', '.join(names) or 'none'})" + (f"; did you mean {_show(hint)}?" if hint else ""))


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".toml")


# --------------------------------------------------------------------------------------
# Reading TOML
# --------------------------------------------------------------------------------------

def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file, line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", file=shown) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory; expected a TOML file", file=shown) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text (byte {exc.start}); expected a UTF-8 TOML file",
                            file=shown) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror}", file=shown) from None
    too_deep = (f"arrays or tables nested more than {MAX_TOML_DEPTH} levels deep; expected "
                "the layout of docs/scenario.md (a few levels)")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = _syntax_message(str(exc), text)
        raise ScenarioError(message, file=shown, problems=[message]) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise ScenarioError(too_deep, file=shown, problems=[too_deep]) from None
    deep = _too_deep(doc)
    if deep is not None:
        raise ScenarioError(too_deep, file=shown, path=_key_path(deep),
                            problems=[f"{_key_path(deep)}: {too_deep}"])
    return doc


def _too_deep(doc: object) -> Loc | None:
    """Key path of a value nested deeper than :data:`MAX_TOML_DEPTH` (walked without
    recursion), or None."""
    stack: list[tuple[Loc, object]] = [((), doc)]
    while stack:
        loc, value = stack.pop()
        if len(loc) > MAX_TOML_DEPTH:
            return loc
        if isinstance(value, Mapping):
            stack.extend((loc + (str(k),), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((loc + (i,), v) for i, v in enumerate(value))
    return None


def _syntax_message(error: str, text: str) -> str:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", error)
    lines = text.splitlines()
    if match:
        line, column = int(match[1]), int(match[2])
        reason = error[: match.start()]
    else:
        line, column = max(len(lines), 1), len(lines[-1]) + 1 if lines else 1
        reason = error.replace("(at end of document)", "").strip() + " at the end of the file"
    message = f"TOML syntax error at line {line}, column {column}: {reason}"
    if "date" in reason.lower():
        message += ("; expected a date that exists in the calendar, written YYYY-MM-DD "
                    "(2024-02-30, for example, does not exist)")
    if 1 <= line <= len(lines):
        message += f"\n    {lines[line - 1]}\n    {' ' * (column - 1)}^"
    return message


def _read_breed_table(source: str, base_dir: Path | str | None) -> tuple[dict, Path]:
    """Raw table of a breed given by bundled name or by path (relative to ``base_dir``)."""
    if _looks_like_path(source):
        path = Path(source)
        if not path.is_absolute():
            path = Path(base_dir or ".") / path
        if not path.is_file():
            raise ScenarioError(f"breed file {_show(str(path))} not found; expected a path "
                                "relative to the scenario file, or a bundled breed name ("
                                f"{', '.join(bundled_breeds())})")
        shown = str(path)
    else:
        path = _data_dir("breeds") / f"{source}.toml"
        if not path.is_file():
            raise ScenarioError(_unknown_name_message(
                "breed", source, bundled_breeds(),
                "a bundled breed name or the path of a breed file ending in .toml"))
        shown = str(path)
    return _read_toml(path, shown), path
