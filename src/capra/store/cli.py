"""``capra db``: the records database from the command line (parses and formats only).

Mounted on the main command by ``register(app)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from capra.console import cli_errors as _errors
from capra.console import err_console, out_console

app = typer.Typer(help="Records: farms, animals, events, milk tests, deliveries, children.\n\n"
                       "Example: capra db init   then   capra db import animals animals.csv",
                  no_args_is_help=True, rich_markup_mode=None)


Db = Annotated[Optional[str], typer.Option(
    "--db", help="Database: a SQLite file or a URL such as "
                 "postgresql+psycopg://user:password@host/capra. Default: capra.db here.")]
KindArg = Annotated[str, typer.Argument(
    help="Kind of record: farms, sites, batches, animals, events, test_days, "
         "product_batches, deliveries, children, measurements.")]


def _open(db: Optional[str]):
    from capra.store.db import open_db
    return open_db(db)


@app.command("init")
def init(db: Db = None) -> None:
    """Create the database (or bring it to the latest schema).

    Example: capra db init --db records/nampo.db
    """
    with _errors():
        from capra.store.db import create, upgrade

        engine = create(db)
        rev = upgrade(engine)
        out_console.print(f"database {engine.url.render_as_string(hide_password=True)} "
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
        path = template(kind, output)
        out_console.print(f"wrote {path}")


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

        engine = _open(db)
        res = import_file(engine, kind, file, rejects_path=rejects, user=user)
        summary = {"kind": res.kind, "rows": res.rows, "inserted": res.inserted,
                   "unchanged": res.unchanged, "rejected": res.rejected,
                   "rejects_file": str(rejects) if rejects else None}
        if json_:
            sys.stdout.write(json.dumps(summary) + "\n")
        else:
            out_console.print(f"{kind}: {res.rows} rows: {res.inserted} inserted, "
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
        from capra.store.io import export_table

        path = export_table(_open(db), kind, output)
        out_console.print(f"wrote {path}")


@app.command("state")
def state_cmd(
    date: Annotated[str, typer.Option("--date", help="Day, YYYY-MM-DD.")],
    all_: Annotated[bool, typer.Option("--all", help="Also animals that died or left.")] = False,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the table (.csv, .xlsx, .parquet) instead of printing.")] = None,
    db: Db = None,
) -> None:
    """The herd on a date: per animal farm, age, parity, days in milk, pregnancy.

    Example: capra db state --date 2025-06-30 -o herd-2025-06-30.csv
    """
    with _errors():
        import pandas as pd

        from capra.errors import DataError
        from capra.store.io import write_table
        from capra.store.query import herd_state

        try:
            day = pd.Timestamp(date).date()
        except ValueError:
            raise DataError(f"--date {date!r}: not a date; expected YYYY-MM-DD") from None
        df = herd_state(_open(db), day, alive_only=not all_)
        if output is not None:
            out_console.print(f"wrote {write_table(df, output)}")
            return
        table = Table(title=f"herd on {day}: {len(df)} animals")
        cols = ["tag", "sex", "farm", "status", "age_days", "parity", "lactating",
                "days_in_milk", "reproduction_status", "expected_parturition_date"]
        for c in cols:
            table.add_column(c, justify="right" if c in ("age_days", "parity", "days_in_milk")
                             else "left")
        for row in df[cols].itertuples(index=False):
            table.add_row(*("" if pd.isna(v) else escape(str(v.date()) if hasattr(v, "date")
                                                          else str(v)) for v in row))
        out_console.print(table)


def register(main_app: typer.Typer) -> None:
    """Add the ``db`` command group to the main ``capra`` command."""
    main_app.add_typer(app, name="db")
