"""``capra db``: the records database from the command line (parses and formats only).

Mounted on the main command by ``register(app)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from capra.console import cli_errors as _errors
from capra.console import echo, err_console, out_console, output_file

app = typer.Typer(help="Records: farms, animals, events, milk tests, deliveries, children.\n\n"
                       "Example: capra db init   then   capra db import animals animals.csv",
                  no_args_is_help=True, rich_markup_mode=None)


Db = Annotated[Optional[str], typer.Option(
    "--db", help="Database: a SQLite file or a URL such as "
                 "postgresql+psycopg://user:password@host/capra. Default: capra.db here.")]
KindArg = Annotated[str, typer.Argument(
    help="Kind of record: farms, sites, batches, animals, events, test_days, "
         "product_batches, deliveries, children, measurements.")]


def _open(db: Optional[str], *, create: bool = False):
    """The database; a missing or empty one is an error unless ``create`` (imports)."""
    from capra.store.db import open_db
    return open_db(db, create_missing=create)


def _check_sqlite_path(db: Optional[str]) -> None:
    """The folder of a SQLite file is created if missing and must be writable."""
    from capra.store.db import resolve_url

    url = resolve_url(db)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        output_file(url.removeprefix("sqlite:///"))


@app.command("init")
def init(db: Db = None) -> None:
    """Create the database (or bring it to the latest schema).

    Example: capra db init --db records/nampo.db
    """
    with _errors():
        from capra.store.db import create, upgrade

        _check_sqlite_path(db)
        db = create(db)
        rev = upgrade(db)
        echo(f"database {db.url.render_as_string(hide_password=True)} "
             f"at schema revision {rev}")


@app.command("upgrade")
def upgrade_cmd(db: Db = None) -> None:
    """Apply the schema migrations the database lacks.

    Example: capra db upgrade --db capra.db
    """
    init(db)


@app.command("template")
def template_cmd(
    kind: KindArg,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="File to write: .csv (header) or .xlsx (header and a sheet "
                               "describing each column). Default: print the CSV header.")] = None,
) -> None:
    """Write an empty import file for a kind of record, and list its columns.

    Example: capra db template events -o events.xlsx
    """
    with _errors():
        from capra.store.io import describe, template

        if output is None:
            sys.stdout.write(template(kind))
            table = Table(title=f"{kind}: columns")
            for col in ("column", "required", "values", "meaning"):
                table.add_column(col)
            for r in describe(kind).itertuples(index=False):
                table.add_row(r.column, r.required, escape(r.values), escape(r.meaning))
            err_console.print(table)
            return
        output_file(output, suffixes=(".csv", ".xlsx"))
        path = template(kind, output)
        echo(f"wrote {path}")


@app.command("import")
def import_cmd(
    kind: KindArg,
    file: Annotated[Path, typer.Argument(help="CSV, XLSX or Parquet file.")],
    rejects: Annotated[Optional[Path], typer.Option(
        help="Load the valid rows and write the rejected ones here (.csv or .xlsx), with "
             "row, field and reason. Without it, one bad row stops the whole import.")] = None,
    user: Annotated[Optional[str], typer.Option(
        help="User recorded in the audit log. Default: the OS user.")] = None,
    db: Db = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Import a file: every row validated, all-or-nothing unless --rejects is given.

    Rows already recorded with the same values are left as they are, so importing a file
    twice changes nothing. Rows are numbered from 1 (the first data row).

    Example: capra db import test_days milk-2025-03.csv --rejects bad-rows.csv --user kim
    """
    with _errors():
        from capra.store.io import import_file

        if rejects is not None:
            output_file(rejects, suffixes=(".csv", ".xlsx"), inputs=[file])
        db = _open(db, create=True)
        res = import_file(db, kind, file, rejects_path=rejects, user=user)
        summary = {"kind": res.kind, "rows": res.rows, "inserted": res.inserted,
                   "unchanged": res.unchanged, "rejected": res.rejected,
                   "rejects_file": str(rejects) if rejects else None}
        if json_:
            sys.stdout.write(json.dumps(summary) + "\n")
        else:
            echo(f"{kind}: {res.rows} rows: {res.inserted} inserted, "
                 f"{res.unchanged} unchanged, {res.rejected} rejected"
                 + (f" (written to {rejects})" if rejects and res.rejected else ""))
        if res.rejected:
            raise typer.Exit(5)


@app.command("export")
def export_cmd(
    kind: KindArg,
    output: Annotated[Path, typer.Option("--output", "-o",
                                         help="File: .csv, .xlsx or .parquet.")],
    db: Db = None,
) -> None:
    """Export the records of a kind (the same layout as the import files).

    Example: capra db export events -o events.parquet
    """
    with _errors():
        from capra.store.io import FORMATS, export_table

        output_file(output, suffixes=FORMATS)
        path = export_table(_open(db), kind, output)
        echo(f"wrote {path}")


_HEADINGS = {"does_in_milk": "in milk", "dry_does": "dry", "inseminated": "insem.",
             "milk_withheld": "withheld", "left_or_died": "left/died"}


@app.command("state")
def state_cmd(
    date: Annotated[str, typer.Option("--date", help="Day, YYYY-MM-DD.")],
    all_: Annotated[bool, typer.Option("--all", help="Also animals that died or left.")] = False,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the table of every animal (.csv, .xlsx, .parquet).")] = None,
    csv: Annotated[bool, typer.Option(
        "--csv", help="Print the table of every animal as CSV instead of the summary.")] = False,
    db: Db = None,
) -> None:
    """The herd on a date: animals by farm (in milk, dry, doelings, pregnant, males), or
    with --csv / -o every animal with its farm, age, parity, days in milk and pregnancy.

    Example: capra db state --date 2025-06-30 -o herd-2025-06-30.csv
    """
    with _errors():
        import pandas as pd

        from capra.errors import DataError
        from capra.spreadsheet import neutralise
        from capra.store.io import FORMATS, as_text_table, write_table
        from capra.store.query import herd_state, herd_summary

        try:
            day = pd.Timestamp(date).date()
        except ValueError:
            raise DataError(f"--date {date!r}: not a date; expected YYYY-MM-DD") from None
        if output is not None:
            output_file(output, suffixes=FORMATS)
        df = herd_state(_open(db), day, alive_only=not all_)
        if output is not None:
            echo(f"wrote {write_table(df, output)}")
            return
        if csv:
            sys.stdout.write(neutralise(as_text_table(df)).to_csv(index=False))
            return
        summary = herd_summary(df)
        if not all_:
            summary = summary.drop(columns="left_or_died")
        table = Table(title=f"herd on {day}: {int(summary['head'].sum())} animals "
                            f"on {len(summary)} farms", caption="does in milk, dry does, "
                            "doelings (not yet kidded), pregnant, inseminated (not yet "
                            "checked), males; milk withheld after a treatment")
        table.add_column("farm", no_wrap=True)
        for c in summary.columns:
            table.add_column(_HEADINGS.get(c, c), justify="right", no_wrap=True)
        for farm, row in summary.iterrows():
            table.add_row(escape(str(farm)), *(f"{v:,}" for v in row))
        table.add_row("all farms", *(f"{v:,}" for v in summary.sum()), style="bold")
        # a terminal gets its own width; a file or a pipe, the whole table
        console = out_console
        if not console.is_terminal:
            wide = Measurement.get(console, console.options.update_width(1000), table).maximum
            console = Console(file=sys.stdout, width=max(wide, console.width))
        console.print(table)
        echo("every animal: --csv, or -o FILE (.csv, .xlsx, .parquet)", err_console)


def register(main_app: typer.Typer) -> None:
    """Add the ``db`` command group to the main ``capra`` command."""
    main_app.add_typer(app, name="db")
