"""Long lists of a scenario read from a table file instead of TOML tables.

A programme with thousands of schools and kindergartens keeps its sites in a spreadsheet
or a database export, not in thousands of ``[[sites]]`` tables. ``sites_file = "sites.csv"``
in the scenario (and ``routes_file`` in ``[transport]``) reads them from a CSV, XLSX or
Parquet file, relative to the scenario file. One row is one table; a column is one key
(the children by age group are the columns ``age_1_2``, ``age_3_5`` and ``age_6_11``); an
empty cell is a key left out (its default applies). The rows are validated exactly as the
TOML tables are, and every problem names the file, the row (as a spreadsheet numbers it,
the header being row 1) and the column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from capra.errors import ScenarioError
from capra.scenario.fields import Loc

__all__ = ["TABLE_KEYS", "expand_table_files"]

#: Scenario keys that may name a table file: (file key path, list key path, columns
#: that hold numbers, columns nested under a sub-table {column: sub-table}).
TABLE_KEYS: tuple[tuple[Loc, Loc, frozenset[str], Mapping[str, str]], ...] = (
    (("sites_file",), ("sites",),
     frozenset({"latitude", "longitude", "attendance", "cold_storage_kg",
                "age_1_2", "age_3_5", "age_6_11"}),
     {"age_1_2": "children", "age_3_5": "children", "age_6_11": "children"}),
    (("transport", "routes_file"), ("transport", "routes"),
     frozenset({"distance_km", "capacity_kg_per_day"}), {}),
)


def _number(text: str) -> Any:
    """A cell of a numeric column: an int or a float when it reads as one, else the text
    (validation then says what was expected). A whole number written with a decimal
    point (``536.0``, as spreadsheets and pandas export a count column with gaps) is an
    int; a float field takes it as well."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def _rows(path: Path, shown: str, numeric: frozenset[str], nested: Mapping[str, str]
          ) -> tuple[list[dict[str, Any]], list[int], list[dict[str, str]]]:
    """The file's rows as tables, the spreadsheet row number of each, and for each the
    column each key came from (``{"children.age_1_2": "age_1_2"}``)."""
    from capra.store.io.files import read_table  # the records' reader: same file rules

    try:
        df = read_table(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a scenario error
        raise ScenarioError(f"cannot read the table: {exc}", file=shown) from None
    if df.attrs.get("short_rows"):
        row = min(df.attrs["short_rows"]) + 2
        raise ScenarioError(f"row {row} has fewer fields than the header", file=shown)
    columns = [str(c).strip() for c in df.columns]
    blank = [i + 1 for i, c in enumerate(columns) if not c]
    if blank:
        raise ScenarioError(f"column {blank[0]} has no name in the header row", file=shown)
    rows, numbers, sources = [], [], []
    for i, cells in enumerate(df.itertuples(index=False, name=None)):
        if not any(str(c).strip() for c in cells):
            continue  # an empty line of a spreadsheet
        table: dict[str, Any] = {}
        source: dict[str, str] = {}
        for column, cell in zip(columns, cells):
            text = str(cell).strip()
            if not text:
                continue
            value = _number(text) if column in numeric else text
            if column in nested:
                table.setdefault(nested[column], {})[column] = value
                source[f"{nested[column]}.{column}"] = column
            else:
                table[column] = value
                source[column] = column
        rows.append(table)
        numbers.append(i + 2)
        sources.append(source)
    return rows, numbers, sources


def _get(data: Mapping[str, Any], loc: Loc) -> Any:
    for key in loc:
        if not isinstance(data, Mapping) or key not in data:
            return None
        data = data[key]
    return data


def _with(data: Mapping[str, Any], loc: Loc, value: Any, drop: str) -> dict[str, Any]:
    """A copy of ``data`` with ``loc`` set to ``value`` and the key ``drop`` (at the same
    depth) removed."""
    out = dict(data)
    if len(loc) == 1:
        out.pop(drop, None)
        out[loc[0]] = value
    else:
        out[loc[0]] = _with(out.get(loc[0]) or {}, loc[1:], value, drop)
    return out


def expand_table_files(data: Mapping[str, Any], base_dir: str | Path | None,
                       file: str | None):
    """``data`` with every table file read into its list (see the module), and a function
    that turns a key path of the expanded scenario into ``(key path, note)`` naming the
    file, row and column it came from.

    Raises
    ------
    ScenarioError
        If a file key is not a text, names a missing or unreadable file, or the list is
        also given as tables.
    """
    origins: dict[Loc, tuple[str, list[int], list[dict[str, str]]]] = {}
    for file_loc, list_loc, numeric, nested in TABLE_KEYS:
        name = _get(data, file_loc)
        if name is None:
            continue
        key = ".".join(file_loc)
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError(f"{name!r}: expected the path of a CSV, XLSX or "
                                "Parquet file", file=file, path=key, value=name)
        if _get(data, list_loc):
            raise ScenarioError(f"give the {list_loc[-1]} either as tables or as a "
                                "file, not both", file=file, path=key, value=name)
        path = Path(name)
        if not path.is_absolute():
            path = Path(base_dir or ".") / path
        shown = str(path)
        if not path.is_file():
            raise ScenarioError(f"{name!r}: no such file (relative paths are read "
                                "from the scenario file's folder)", file=file, path=key,
                                value=name)
        rows, numbers, sources = _rows(path, shown, numeric, nested)
        data = _with(data, list_loc, rows, file_loc[-1])
        origins[list_loc] = (shown, numbers, sources)

    def origin(loc: Loc) -> tuple[Loc, str]:
        for list_loc, (shown, numbers, sources) in origins.items():
            n = len(list_loc)
            if loc[:n] != list_loc or len(loc) <= n or not isinstance(loc[n], int):
                continue
            i = loc[n]
            if not 0 <= i < len(numbers):
                return loc, f" (in {shown})"
            rest = ".".join(str(p) for p in loc[n + 1:])
            column = sources[i].get(rest) or (rest.split(".")[-1] if rest else "")
            where = f"row {numbers[i]}" + (f", column {column}" if column else "")
            return loc, f" (in {shown}, {where})"
        return loc, ""

    return data, origin
