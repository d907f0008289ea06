"""Command line for children's growth: ``capra growth zscores`` (and the prevalence commands).

Domain errors (:class:`capra.errors.CapraError`) are printed as one clear message on standard
error by :func:`capra.console.cli_errors` and end the command with the error's exit code;
they never show a traceback.
"""

from __future__ import annotations

import json
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.markup import escape

from capra.console import cli_errors, echo, json_text, output_file, print_warning
from capra.errors import DataError, InvalidValuesError, UsageError

app = typer.Typer(
    help="Children's growth: WHO z-scores for 0-19 years and survey prevalence.\n\n"
         "Example: capra growth zscores survey.csv -o survey_z.csv --oedema-codes y/n",
    no_args_is_help=True, rich_markup_mode=None, add_completion=False,
)

_ZSCORES_HELP = """\
Compute WHO z-scores and flags for every child of a CSV file.

Children under 60 months are scored against the WHO Child Growth Standards (as WHO's R package
anthro: zlen, zwei, zwfl, zbmi, zhc, zac, zts, zss), children of 60-228 months against the WHO
Reference 2007 (as anthroplus: zhfa, zwfa, zbfa). Columns are found by WHO's names (sex, age,
weight, lenhei, measure, oedema, headc, armc, triskin, subskin) and the usual names with their
unit (gender; age_days, age_months, agemons; weight_kg; height, length, height_cm, length_cm;
muac_cm), in any letter case; map other names with --map or --mapping. A file without a sex,
an age or any measurement column is an error that lists its columns. Sex: 1/2, m/f or
male/female. Units: age in days or months (--age-unit; implied by age_days or age_months; asked
for when every age is at most 240, which may be months), weight [kg], lenhei, headc, armc
[cm], triskin, subskin [mm]. A value that is not finite (inf) is missing, with a warning.

If the file has an oedema column, its coding must be stated with --oedema-codes: 'y/n',
'1/2' (1 = oedema, 2 = none, as anthro), '2/1' (2 = oedema), or 'who' (y, Y, 1 = oedema;
n, N, 2 = none). Blank always means no oedema, as in WHO's software.

Invalid codes or non-numbers are reported with every row (data rows numbered from 1; file
line = row + 1) and nothing is written. The output may not be the input file; its folder is
created if missing. The output chains into capra growth prevalence.

Example:

\b
  capra growth zscores survey.csv -o survey_z.csv --map sex=GENDER
      --map age=AGE --age-unit months --oedema-codes y/n --json
"""


def _read_mapping(path: Path) -> dict[str, str]:
    """Column mapping from a TOML or JSON file: ``{field: column}`` (optionally under
    ``columns``)."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            doc = tomllib.loads(text)
    except (OSError, ValueError) as err:
        raise DataError(f"cannot read the column mapping: {err}", file=str(path)) from err
    doc = doc.get("columns", doc) if isinstance(doc, dict) else doc
    if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
        raise DataError("the column mapping must be a table of field = \"column name\" pairs",
                        file=str(path))
    return dict(doc)


def _parse_map(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise typer.BadParameter(f"{item!r}: expected FIELD=COLUMN, e.g. sex=GENDER",
                                     param_hint="--map")
        out[field.strip()] = column.strip()
    return out


@app.command("zscores", help=_ZSCORES_HELP, no_args_is_help=True)
def zscores_command(
    input_csv: Annotated[Path, typer.Argument(metavar="IN.csv",
                                              help="Input CSV, one row per child.")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="OUT.csv",
                                         help="Output CSV (input columns + results).")],
    map_: Annotated[Optional[list[str]], typer.Option(
        "--map", metavar="FIELD=COLUMN",
        help="Column for a field, e.g. --map sex=GENDER --map age=AGE_D (repeatable).")] = None,
    mapping: Annotated[Optional[Path], typer.Option(
        "--mapping", metavar="FILE.toml|json",
        help="File with field = \"column\" pairs (top level or under [columns]).")] = None,
    age_unit: Annotated[Optional[str], typer.Option(
        "--age-unit", help="Unit of age: days or months (default days; months for an "
                           "age_in_months column). Map age_unit=COLUMN for a per-row unit."
    )] = None,
    oedema_codes: Annotated[Optional[str], typer.Option(
        "--oedema-codes", metavar="YES/NO",
        help="Oedema coding: y/n, 1/2, 2/1, who, or lists such as 'y,1/n,2'. Required when "
             "there is an oedema column.")] = None,
    rules: Annotated[str, typer.Option(
        help="anthro (WHO's current R packages) or macro (WHO's older igrowup/who2007 "
             "macros' age limits).")] = "anthro",
    flags: Annotated[str, typer.Option(
        help="who (WHO's fixed flag limits) or smart (3 SD from the observed mean).")] = "who",
    strict_wfl: Annotated[bool, typer.Option(
        "--strict-wfl", help="Treat weight <= 0 as missing for zwfl (WHO scores it).")] = False,
    plausibility: Annotated[bool, typer.Option(
        "--plausibility", help="Set weight outside 0.5-40 kg and length/height outside "
                               "35-140 cm to missing for 0-5 y (adds cweight).")] = False,
    results_only: Annotated[bool, typer.Option(
        "--results-only", help="Write only the result columns, not the input columns.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the summary (scored, flagged, missing per indicator) as JSON."
    )] = False,
) -> None:
    from capra.growth.inputs import find_column, parse_oedema_codes
    from capra.growth.zscore import zscore_summary, zscores
    from capra.spreadsheet import restore, write_csv

    with cli_errors():
        columns = _read_mapping(mapping) if mapping else {}
        columns.update(_parse_map(map_ or []))
        output_file(output, suffixes=(".csv",), inputs=[input_csv])
        try:
            data = restore(pd.read_csv(input_csv, dtype=str, keep_default_na=False))
        except FileNotFoundError:
            raise DataError("no such file", file=str(input_csv)) from None
        except (OSError, ValueError, pd.errors.ParserError) as err:
            raise DataError(f"cannot read the CSV: {err}", file=str(input_csv)) from None

        oedema_col = columns.get("oedema") or find_column(data, "oedema")
        if oedema_col is not None and oedema_col in data.columns and oedema_codes is None:
            raise UsageError(f"{input_csv}: column {oedema_col!r} holds oedema; state its "
                             "coding with --oedema-codes (e.g. 'y/n', '1/2' for 1 = oedema, "
                             "'2/1' for 2 = oedema, or 'who')")
        try:
            parse_oedema_codes(oedema_codes or "who")
        except ValueError as err:
            raise typer.BadParameter(str(err), param_hint="--oedema-codes") from err
        for name, value, allowed in (("--rules", rules, ("anthro", "macro")),
                                     ("--flags", flags, ("who", "smart"))):
            if value not in allowed:
                raise typer.BadParameter(f"{value!r}: expected {' or '.join(allowed)}",
                                         param_hint=name)
        if age_unit is not None and age_unit.strip().lower() not in ("days", "months"):
            raise typer.BadParameter(f"{age_unit!r}: expected days or months",
                                     param_hint="--age-unit")

        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = zscores(data, columns=columns, age_unit=age_unit,
                                 oedema_codes=oedema_codes or "who", rules=rules, flags=flags,
                                 strict_wfl=strict_wfl, plausibility=plausibility,
                                 keep_inputs=not results_only)
        except DataError as err:
            if isinstance(err, InvalidValuesError):
                err.reason += "\n(data rows are numbered from 1; file line = row + 1)"
            raise err.in_file(str(input_csv)) from None
        for w in caught:
            print_warning(f"{input_csv}: {w.message}")
        summary = zscore_summary(result)
        write_csv(result, output)

        if as_json:
            doc = {
                "input": str(input_csv), "output": str(output), "rows": len(result),
                "indicators": json.loads(summary.to_json(orient="index")),
                "cleaning": summary.attrs.get("cleaning", {}),
                "options": summary.attrs.get("options", {}),
            }
            typer.echo(json_text(doc, indent=2))
        else:
            _print_summary(summary, len(result), output)


def _print_summary(summary: pd.DataFrame, rows: int, output: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{rows} rows scored -> {escape(str(output))}")
    for col in ("indicator", "reference", "in range", "scored", "flagged", "missing"):
        table.add_column(col, justify="left" if col in ("indicator", "reference") else "right")
    for ind, r in summary.iterrows():
        table.add_row(str(ind), str(r["reference"]), str(r["in_age_range"]), str(r["scored"]),
                      str(r["flagged"]), str(r["missing"]))
    console = Console(file=sys.stdout, width=100)
    console.print(table)
    cleaning = {k: v for k, v in summary.attrs.get("cleaning", {}).items() if v}
    if cleaning:
        echo("cleaning: " + ", ".join(f"{k} = {v}" for k, v in cleaning.items()), console)


from capra.growth.cli_prevalence import register as _register_prevalence  # noqa: E402

_register_prevalence(app)
