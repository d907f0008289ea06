"""Loading a scenario: from a bundled name, a TOML file or nested tables, validated in
one pass that reports every problem of the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from capra.errors import ScenarioError
from capra.scenario.fields import Loc
from capra.scenario.files import (
    _looks_like_path,
    _read_breed_table,
    _read_toml,
    _unknown_name_message,
    bundled_breeds,
    bundled_scenario_path,
    bundled_scenarios,
)
from capra.scenario.herd import Breed
from capra.scenario.messages import _collect_problems, _error, _has_path
from capra.scenario.model import Scenario
from capra.scenario.tables import expand_table_files


def scenario_from_dict(data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                       file: str | None = None) -> Scenario:
    """Validate a scenario given as nested tables (the parsed TOML).

    Parameters
    ----------
    data
        The scenario's keys, as in the TOML file; ``breed`` may be a bundled breed name,
        a path relative to ``base_dir``, a table or a :class:`Breed`; ``breed_overrides``
        is merged over the breed; ``sites_file`` and ``transport.routes_file`` name table
        files (:mod:`capra.scenario.tables`).
    base_dir
        Directory against which a relative breed or table file path is resolved
        (default: the current directory).
    file
        File name to show in error messages.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with its key path, value and expectation.
    """
    context: dict[str, Any] = {"base_dir": base_dir}
    if isinstance(data, Mapping):
        data, table_origin = expand_table_files(data, base_dir, file)
    else:
        def table_origin(loc: Loc) -> tuple[Loc, str]:
            return loc, ""
    try:
        return Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        overrides = data.get("breed_overrides") if isinstance(data, Mapping) else None
        breed_file = context.get("breed_file")
        inline_breed = isinstance(data, Mapping) and isinstance(data.get("breed"), Mapping)

        def origin(loc: Loc) -> tuple[Loc, str]:
            if len(loc) > 1 and loc[0] == "breed":
                if isinstance(overrides, Mapping) and _has_path(overrides, loc[1:]):
                    return ("breed_overrides",) + loc[1:], ""
                if breed_file is not None and not inline_breed:
                    return loc, f" (in breed file {breed_file})"
            return table_origin(loc)

        reports = _collect_problems(exc, Scenario, data, origin)
    raise _error(reports, file, "scenario") from None


def load_scenario(source: str | Path) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source
        Path of a TOML scenario file, or the name of a bundled scenario (see
        :func:`bundled_scenarios`), e.g. ``"nampo"``.

    Raises
    ------
    ScenarioError
        If the file is missing or unreadable, is not valid TOML (the message gives line
        and column), or describes an invalid scenario (every problem is listed).
    """
    path = Path(source)
    if path.is_file():
        shown = str(source)
    elif isinstance(source, str) and not _looks_like_path(source) and source in bundled_scenarios():
        path = bundled_scenario_path(source)
        shown = str(path)
    else:
        names = bundled_scenarios()
        if isinstance(source, str) and not _looks_like_path(source):
            raise ScenarioError(_unknown_name_message(
                "scenario", source, names,
                "a bundled scenario name or the path of a scenario file"), value=source)
        raise ScenarioError(
            f"scenario file not found; expected a TOML file or a bundled scenario name "
            f"({', '.join(names)})", file=str(source), value=str(source))
    data = _read_toml(path, shown)
    return scenario_from_dict(data, base_dir=path.parent, file=shown)


def validate_file(path: str | Path) -> Scenario:
    """Validate a scenario file (or bundled scenario name) and return the scenario.

    This is what ``capra scenario validate`` runs: a :class:`~capra.errors.ScenarioError`
    lists every problem; no exception means the scenario is valid.
    """
    return load_scenario(path)


def load_breed(name_or_path: str | Path) -> Breed:
    """Load breed parameters from a bundled breed name (``"saanen"``) or a TOML file.

    Raises
    ------
    ScenarioError
        If the breed is unknown, the file is not valid TOML or a value is invalid.
    """
    source = str(name_or_path)
    if isinstance(name_or_path, Path) or Path(source).is_file():
        path = Path(source)
        if not path.is_file():
            raise ScenarioError("breed file not found; expected a TOML file or a bundled "
                                f"breed name ({', '.join(bundled_breeds())})", file=source)
        table, shown = _read_toml(path, source), source
    else:
        table, path = _read_breed_table(source, None)
        shown = str(path)
    try:
        return Breed.model_validate(table)
    except ValidationError as exc:
        reports = _collect_problems(exc, Breed, table)
    raise _error(reports, shown, "breed file") from None
