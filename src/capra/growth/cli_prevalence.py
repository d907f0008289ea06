"""Command-line commands for survey prevalence and the growth report.

``register(app)`` adds two commands to the growth Typer app:

* ``prevalence IN.csv``: WHO's prevalence table (Rich table on screen, CSV/XLSX file, JSON);
* ``report IN.csv -o report.html``: a self-contained HTML report with figures.

The commands only parse options, read the file and format results; the computation is in
:mod:`capra.growth.prevalence` and :mod:`capra.growth.report`. Domain errors
(:class:`capra.errors.CapraError`) become a message on stderr and the error's exit code
(:func:`capra.console.cli_errors`).
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from capra.console import cli_errors, echo, json_text, output_file, print_warning
from capra.errors import DataError

ROLES = ("age", "sex", "oedema", "weights", "cluster", "strata", "typeres", "gregion",
         "wealthq", "mothered", "othergr")

_EXAMPLE_PREVALENCE = """
Example:

\b
    capra growth prevalence survey.csv --map sex=GENDER --map age=agemons
        --age-unit months --weights SW --cluster PSU --strata STRATUM
        --region region -o prevalence.xlsx
"""

_EXAMPLE_REPORT = """
Example:

\b
    capra growth report survey.csv --map sex=GENDER --map age=agemons
        --age-unit months --weights SW -o report.html
"""

InputArg = Annotated[Path, typer.Argument(help="Input table, CSV or XLSX, one row per child.",
                                          show_default=False)]
Reference = Annotated[str, typer.Option(
    "--reference", "-r",
    help="anthro (0-5 years, WHO standards 2006) or anthroplus (5-19 years, WHO 2007).")]
Weights = Annotated[Optional[str], typer.Option(help="Column of sampling weights (>= 0).")]
Cluster = Annotated[Optional[str], typer.Option(help="Column of cluster (PSU) labels.")]
Strata = Annotated[Optional[str], typer.Option(help="Column of stratum labels.")]
Area = Annotated[Optional[str], typer.Option("--area", "--typeres",
                                             help="Grouping column: area (type of residence).")]
Region = Annotated[Optional[str], typer.Option("--region", "--gregion",
                                               help="Grouping column: geographical region.")]
Wealth = Annotated[Optional[str], typer.Option(
    "--wealth", "--wealthq", help="Grouping column: wealth quintile (1-5 or Q1-Q5).")]
MotherEd = Annotated[Optional[str], typer.Option(
    "--mother-education", "--mothered", help="Grouping column: maternal education.")]
OtherGr = Annotated[Optional[str], typer.Option("--other-group", "--othergr",
                                                help="Grouping column: any other grouping.")]
MapOpt = Annotated[Optional[list[str]], typer.Option(
    "--map", help="Column mapping ROLE=COLUMN, repeatable. Roles: " + ", ".join(ROLES)
    + "; a z-score, flag or measurement name (e.g. zlen=HAZ) renames that column.")]
AgeUnit = Annotated[Optional[str], typer.Option(
    help="Unit of the age column: days or months (default: days for anthro, "
         "months for anthroplus).")]
OedemaCodes = Annotated[Optional[str], typer.Option(
    help="Oedema coding: 'who' (default: y, Y, 1 = oedema; n, N, 2 = none; blank = none), "
         "YES/NO such as 'y/n', '1/2' or '2/1', or CODE=y|n pairs such as '1=n,2=y'. "
         "Values outside the coding are an error.")]


def _read_table(path: Path) -> pd.DataFrame:
    from capra.spreadsheet import restore

    if not path.exists():
        raise DataError("input file not found", file=str(path))
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return restore(pd.read_excel(path))
        return restore(pd.read_csv(path))
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the table: {exc}", file=str(path)) from None


def _parse_oedema_codes(text: Optional[str]) -> Optional[dict[str, bool]]:
    """``who`` (default), ``YES/NO`` (e.g. ``y/n``, ``1/2``, ``2/1``) or ``CODE=y|n,...``."""
    if not text or text.strip().lower() == "who":
        return None
    text = text.strip()
    if "=" not in text and text.count("/") == 1:
        yes, no = (c.strip().lower() for c in text.split("/"))
        if yes and no and yes != no:
            return {yes: True, no: False}
        raise typer.BadParameter(f"{text!r}: expected YES/NO, e.g. y/n or 2/1",
                                 param_hint="--oedema-codes")
    out: dict[str, bool] = {}
    for item in text.split(","):
        code, sep, value = item.partition("=")
        value = value.strip().lower()
        if not sep or not code.strip() or value not in ("y", "yes", "n", "no"):
            raise typer.BadParameter(f"{item!r}: expected CODE=y or CODE=n, or YES/NO",
                                     param_hint="--oedema-codes")
        out[code.strip().lower()] = value in ("y", "yes")
    return out


def _build_arguments(data: pd.DataFrame, *, reference: str, mapping: Optional[list[str]],
                     age_unit: Optional[str], oedema_codes: Optional[str],
                     options: dict[str, Optional[str]], source: str
                     ) -> tuple[pd.DataFrame, dict]:
    if reference not in ("anthro", "anthroplus"):
        raise typer.BadParameter("must be anthro or anthroplus", param_hint="--reference")
    if age_unit is not None and age_unit not in ("days", "months"):
        raise typer.BadParameter("must be days or months", param_hint="--age-unit")
    kwargs: dict = {k: v for k, v in options.items() if v is not None}
    renames: dict[str, str] = {}
    for item in mapping or []:
        key, sep, col = item.partition("=")
        key, col = key.strip(), col.strip()
        if not sep or not key or not col:
            raise typer.BadParameter(f"{item!r}: expected ROLE=COLUMN", param_hint="--map")
        if key in ROLES:
            if key in kwargs and kwargs[key] != col:
                raise typer.BadParameter(f"{key} is given twice ({kwargs[key]!r} and {col!r})",
                                         param_hint="--map")
            kwargs[key] = col
        else:
            renames[col] = key
    if renames:
        missing = [c for c in renames if c not in data.columns]
        if missing:
            raise DataError(f"--map names column(s) {missing} not in the input; columns are "
                            f"{list(data.columns)}", file=source)
        data = data.drop(columns=[k for k in renames.values() if k in data.columns
                                  and k not in renames])
        data = data.rename(columns=renames)
    if "oedema" not in kwargs and "oedema" not in data.columns:
        kwargs["oedema"] = None
    kwargs["age_unit"] = age_unit
    kwargs["oedema_codes"] = _parse_oedema_codes(oedema_codes)
    kwargs["file"] = source
    return data, kwargs


def _run(input_file: Path, reference: str, mapping, age_unit, oedema_codes, options):
    from capra.growth.prevalence import DataQualityWarning, prevalence_and_zscores

    data = _read_table(input_file)
    data, kwargs = _build_arguments(data, reference=reference, mapping=mapping,
                                    age_unit=age_unit, oedema_codes=oedema_codes,
                                    options=options, source=str(input_file))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        table, z = prevalence_and_zscores(data, reference=reference, **kwargs)
    seen = set()
    for w in caught:
        msg = str(w.message)
        if issubclass(w.category, DataQualityWarning) and msg not in seen:
            seen.add(msg)
            print_warning(msg)
    return table, z


def _cell(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f}"


def _rich_table(table: pd.DataFrame, reference: str, title: str) -> Table:
    from capra.growth.prevalence import STANDARD_INDICATORS

    inds = [i for i in STANDARD_INDICATORS[reference] if "Severe" not in i[0]][:4]
    caption = "Prevalence % (95% CI): " + "; ".join(label for label, _ in inds) \
        + ". N: children with a valid HAZ. mean HAZ in z."
    t = Table(title=escape(title), caption=caption, header_style="bold", show_lines=False)
    t.add_column("Group", no_wrap=True)
    t.add_column("N", justify="right")
    for label, _ in inds:
        t.add_column(label.split(" (")[0], justify="right", no_wrap=True)
    t.add_column("mean HAZ", justify="right")
    for _, row in table.iterrows():
        cells = [escape(str(row["Group"])), f"{int(row['HAZ_unwpop'])}"]
        for _, p in inds:
            cells.append(f"{_cell(row[f'{p}_r'])} ({_cell(row[f'{p}_ll'])}–"
                         f"{_cell(row[f'{p}_ul'])})")
        hr = row["HA_r"]
        cells.append("–" if isinstance(hr, float) and math.isnan(hr) else f"{hr:+.2f}")
        t.add_row(*cells)
    return t


def _json_payload(table: pd.DataFrame, source: str) -> dict:
    info = table.attrs.get("prevalence")
    records = json.loads(table.to_json(orient="records", double_precision=15))
    return {
        "input": source,
        "reference": getattr(info, "reference", None),
        "rows_in": getattr(info, "rows_in", None),
        "rows_used": getattr(info, "rows_used", None),
        "excluded": getattr(info, "excluded", {}),
        "degf": getattr(info, "degf", None),
        "units": {"_r/_se/_ll/_ul of cut-offs": "percent", "HA_r/WA_r/...": "z",
                  "*_pop": "sum of sampling weights", "*_unwpop": "children"},
        "columns": list(table.columns),
        "rows": records,
    }


def _write_table(table: pd.DataFrame, out: Path) -> None:
    from capra.spreadsheet import write_csv, write_xlsx

    if out.suffix.lower() == ".csv":
        write_csv(table, out)
        return
    sheets = {"prevalence": table}
    info = table.attrs.get("prevalence")
    if info is not None:
        notes = [("reference", info.reference), ("rows read", info.rows_in),
                 ("rows in scope", info.rows_used), ("design df", info.degf)]
        notes += [(f"excluded: {k}", v) for k, v in info.excluded.items()]
        notes += [("units", "cut-off columns _r/_se/_ll/_ul in percent; "
                            "HA_r, WA_r, ... in z; *_pop = sum of weights")]
        sheets["notes"] = pd.DataFrame(notes, columns=["item", "value"])
    write_xlsx(sheets, out)


def register(app: typer.Typer) -> typer.Typer:
    """Add the ``prevalence`` and ``report`` commands to the growth Typer ``app``."""

    @app.command("prevalence", epilog=_EXAMPLE_PREVALENCE)
    def prevalence_command(
        input_file: InputArg,
        reference: Reference = "anthro",
        weights: Weights = None,
        cluster: Cluster = None,
        strata: Strata = None,
        area: Area = None,
        region: Region = None,
        wealth: Wealth = None,
        mother_education: MotherEd = None,
        other_group: OtherGr = None,
        map: MapOpt = None,  # noqa: A002 - the option is called --map
        age_unit: AgeUnit = None,
        oedema_codes: OedemaCodes = None,
        output: Annotated[Optional[Path], typer.Option(
            "--output", "-o", help="Write the full table to OUT.csv or OUT.xlsx.")] = None,
        as_json: Annotated[bool, typer.Option(
            "--json", help="Print the full table as JSON instead of the summary.")] = False,
    ) -> None:
        """Survey prevalence of stunting, wasting, underweight and overweight (WHO rules).

        Reads one row per child with WHO z-scores and flags (or raw measurements, which are
        scored first) and prints WHO's prevalence table: cut-off prevalences in percent
        with 95 % logit confidence intervals, z-score means and SDs, by age group, sex and
        the optional groupings, with the survey design's weights, clusters and strata.
        Invalid codes are reported with every row (data rows numbered from 1; file line =
        row + 1) and nothing is written.
        """
        out_console = Console() if sys.stdout.isatty() else Console(width=140)
        options = {"weights": weights, "cluster": cluster, "strata": strata,
                   "typeres": area, "gregion": region, "wealthq": wealth,
                   "mothered": mother_education, "othergr": other_group}
        with cli_errors():
            if output is not None:
                output_file(output, suffixes=(".csv", ".xlsx"), inputs=[input_file])
            table, _ = _run(input_file, reference, map, age_unit, oedema_codes, options)
            if output is not None:
                _write_table(table, output)
            if as_json:
                typer.echo(json_text(_json_payload(table, str(input_file))))
            else:
                title = f"Prevalence ({reference}), {input_file.name}"
                out_console.print(_rich_table(table, reference, title))
                if output is not None:
                    echo(f"full table written to {output}", out_console)

    @app.command("report", epilog=_EXAMPLE_REPORT)
    def report_command(
        input_file: InputArg,
        output: Annotated[Path, typer.Option("--output", "-o",
                                             help="HTML file to write.")],
        reference: Reference = "anthro",
        weights: Weights = None,
        cluster: Cluster = None,
        strata: Strata = None,
        area: Area = None,
        region: Region = None,
        wealth: Wealth = None,
        mother_education: MotherEd = None,
        other_group: OtherGr = None,
        map: MapOpt = None,  # noqa: A002
        age_unit: AgeUnit = None,
        oedema_codes: OedemaCodes = None,
        title: Annotated[str, typer.Option(help="Report title.")] = "Child growth survey",
    ) -> None:
        """Self-contained HTML report: z-score distributions and prevalence by group.

        The report embeds its figures (PNG) and needs no other file: z-score histograms
        against the WHO standard normal curve, and prevalences with 95 % confidence
        intervals for WHO's standard cut-offs by group.
        """
        from capra.growth.report import write_report

        options = {"weights": weights, "cluster": cluster, "strata": strata,
                   "typeres": area, "gregion": region, "wealthq": wealth,
                   "mothered": mother_education, "othergr": other_group}
        with cli_errors():
            output_file(output, suffixes=(".html", ".htm"), inputs=[input_file])
            table, z = _run(input_file, reference, map, age_unit, oedema_codes, options)
            parts = [f"weights {weights}" if weights else "equal weights",
                     f"clusters {cluster}" if cluster else "no clusters",
                     f"strata {strata}" if strata else "no strata"]
            write_report(table, z, output, reference=reference, title=title,
                         source=input_file.name, design_note=", ".join(parts))
            echo(f"report written to {output}")

    return app
