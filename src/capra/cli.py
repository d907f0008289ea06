"""The ``capra`` command line: parses, calls the library, formats. No domain logic here."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
import typer.main
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from capra.console import cli_errors as _errors
from capra.console import echo, out_console, output_file, output_folder
from capra.errors import CapraError
from capra.runs import DEFAULT_REPLICATES


class _MainGroup(TyperGroup):
    """The ``capra`` command. Command groups whose modules load heavy libraries (pandas,
    SciPy) are imported when they run or show their own help, not when ``capra --help``
    lists them."""

    #: name -> (module whose ``app`` is the group's Typer app, line shown in the list)
    lazy: dict[str, tuple[str, str]] = {
        "growth": ("capra.growth.cli",
                   "Children's growth: WHO z-scores for 0-19 years and survey prevalence."),
    }
    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.lazy if n not in self.commands)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in self.lazy:
            return super().get_command(ctx, name)
        module, line = self.lazy[name]
        if self._listing:  # the list of commands needs the name and one line only
            return click.Command(name, help=line)
        command = typer.main.get_command(importlib.import_module(module).app)
        command.name = name
        self.commands[name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


# Help texts are shown as written (no Rich markup): units such as [kg] and TOML tables such
# as [breed_overrides.lactation] must not be taken for style tags.
app = typer.Typer(
    name="capra", cls=_MainGroup, rich_markup_mode=None,
    help="Plan, run and measure dairy-goat programmes that feed children.\n\n"
         "Example: capra run            (the bundled 'nampo' scenario)",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
scenario_app = typer.Typer(help="Check and list scenarios.\n\nExample: capra scenario validate my.toml",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(scenario_app, name="scenario")


ScenarioArg = Annotated[str, typer.Argument(
    help="Scenario file (TOML) or the name of a bundled scenario.")]
Replicates = Annotated[int, typer.Option("--replicates", "-n", min=1, help="Monte Carlo replicates.")]
Seed = Annotated[int, typer.Option("--seed", "-s", help="Seed: the same seed gives the same numbers.")]
Engine = Annotated[str, typer.Option(
    help="Where replicates and the plan's futures run: serial, threads (side by side in "
         "this process), processes or dask; the numbers are the same on each.")]
Workers = Annotated[Optional[int], typer.Option(help="Threads, local processes or Dask workers for --engine threads/processes/dask (default: the number of cores).")]
Scheduler = Annotated[Optional[str], typer.Option(help="Dask scheduler address (--engine dask).")]
BatchSize = Annotated[Optional[int], typer.Option(
    min=1, show_default=False,
    help="Replicates simulated together in one set of arrays (the numbers do not change) "
         "[default: 25, or fewer so that every worker gets some].")]
NoUncertainty = Annotated[bool, typer.Option(
    "--no-parameter-uncertainty",
    help="Use the point values of the scenario's uncertain parameters (distributions) in "
         "every replicate: the bands are then chance alone.")]


def _summary_table(result) -> Table:
    s = result.summary_table()
    name = escape(result.data.attrs.get("scenario", ""))
    table = Table(title=f"{name}: {result.replicates} replicates, "
                        f"{result.data.sizes['date']} days")
    table.add_column("metric")
    for col in ("p10", "p50", "p90"):
        table.add_column(col.upper(), justify="right")
    for metric, row in s.iterrows():
        table.add_row(escape(metric), *(f"{row[c]:,.0f}" for c in ("p10", "p50", "p90")))
    return table


def _feed_tables(result) -> list:
    """The feed budget: per farm for the last full year, and all farms by month for the
    last twelve months (P50 across replicates; dry matter in t DM, concentrate in t as
    fed; the JSON and the report have every farm and month)."""
    from capra.herd.feed_results import CAE_NOTE, cae_farms, feed_tables

    tables = feed_tables(result.data)
    if tables is None:
        return []
    currency = result.feed_budget().currency
    by_farm = tables["by_farm"]
    year = int(by_farm["year"].iloc[0]) if len(by_farm) else ""
    farm = Table(title=escape(f"feed {year} per farm: dry matter (t) P10/P50/P90, others "
                              f"P50; cost ({currency})"))
    farm.add_column("farm", no_wrap=True)
    for col in ("P10", "P50", "P90", "bought", "conc.", "cost", "short %"):
        farm.add_column(col, justify="right", no_wrap=True)
    for _, r in by_farm.iterrows():
        farm.add_row(escape(str(r["farm"])), *(f"{r[c]:,.0f}" for c in (
            "dm_fed_t_p10", "dm_fed_t_p50", "dm_fed_t_p90", "purchased_dm_t",
            "concentrate_as_fed_t", "cost")), f"{r['shortfall_pct']:.1f}")
    by_month = tables["by_month"]
    columns = [("DM", "dm_fed_t"), ("pasture", "pasture_dm_t"), ("stores", "stored_dm_t"),
               ("bought", "purchased_dm_t"), ("conc.", "concentrate_as_fed_t"),
               ("cost", "cost"), ("short %", "shortfall_pct"),
               ("milk lost kg", "milk_forgone_kg")]
    keep = [(label, c) for label, c in columns
            if c in ("dm_fed_t", "cost", "shortfall_pct") or (by_month[c] != 0).any()]
    month = Table(title=escape(f"feed, all farms, last 12 months (P50): dry matter (t); "
                               f"cost ({currency})"))
    month.add_column("month", no_wrap=True)
    for label, _ in keep:
        month.add_column(label, justify="right", no_wrap=True)
    for _, r in by_month.iterrows():
        month.add_row(str(r["month"]), *(f"{r[c]:.1f}" if c == "shortfall_pct"
                                         else f"{r[c]:,.0f}" for _, c in keep))
    out: list = [farm, month]
    cae = cae_farms(result.data)
    if cae:
        out.append(escape(f"CAE: {CAE_NOTE} Farms rearing kids this way: "
                          + ", ".join(f"{f} ({m})" for f, m in cae.items())))
    return out


def _sensitivity_table(result, top: int = 5) -> Table | None:
    """The uncertain parameters that move the milk most (``top`` of them), or None."""
    import calendar

    from capra.herd.uncertainty import sensitivity

    table = sensitivity(result)
    if table is None:
        return None
    month = calendar.month_abbr[int(table.attrs["trough_month"])]
    out = Table(title=f"What we do not know: the {min(top, len(table))} uncertain "
                      f"parameters that move the milk most (Spearman ρ across replicates; "
                      f"all in the report)")
    out.add_column("parameter", overflow="fold")
    out.add_column("ρ milk/year", justify="right")
    out.add_column(f"ρ milk in {month}", justify="right")
    for _, row in table.head(top).iterrows():
        out.add_row(escape(row["factor"]), *(f"{row[c]:+.2f}" for c in (
            "rho_milk_per_year", "rho_trough_month_milk")))
    return out


@app.command()
def run(
    scenario: ScenarioArg = "nampo",
    replicates: Replicates = DEFAULT_REPLICATES,
    seed: Seed = 0,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("capra-out"),
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON instead of a table.")] = False,
    engine: Engine = "threads",
    workers: Workers = None,
    scheduler: Scheduler = None,
    batch_size: BatchSize = None,
    from_db: Annotated[bool, typer.Option(
        "--from-db", help="Start from the herd recorded in the database (--db) on --date; "
                          "the scenario gives farms, policy and breed.")] = False,
    db: Annotated[Optional[str], typer.Option(
        help="Records database for --from-db: SQLite file or URL (default capra.db).")] = None,
    date: Annotated[Optional[str], typer.Option(
        help="Date of the recorded herd for --from-db (default: the latest recorded day).")] = None,
    no_plan: Annotated[bool, typer.Option(
        "--no-plan", help="Skip the supply plan (products, storage, dispatch to sites).")] = False,
    no_parameter_uncertainty: NoUncertainty = False,
) -> None:
    """Simulate the herd and its milk, plan products and deliveries to the sites, print a
    summary and write an HTML report.

    Writes OUT/report.html, OUT/summary.json and OUT/herd.nc (all daily results). With
    sites in the scenario, ends with the plan: how many children get their ration on every
    operating day of a year the programme can repeat (its range across the simulated
    futures), year by year from the first arrival, what to make and what binds.

    Example: capra run nampo --replicates 200 --seed 1 --out results/

    Example: capra run --from-db --db records/capra.db   (project from today's recorded herd)

    Example: capra run nampo --no-parameter-uncertainty   (the bands of chance alone)
    """
    with _errors():
        from capra.planning.cli import run_progress
        from capra.runs import as_scenario
        from capra.runs import run as run_scenario

        output_folder(out)
        if from_db:
            from capra.store.cli_records import scenario_from_db
            sc = scenario_from_db(db, date, scenario)
        else:
            sc = as_scenario(scenario)
        with run_progress(sc.name) as progress:
            result = run_scenario(sc, replicates=replicates, seed=seed, plan=not no_plan,
                                  engine=engine, workers=workers, scheduler=scheduler,
                                  batch_size=batch_size, progress=progress,
                                  parameter_uncertainty=not no_parameter_uncertainty)
        files = result.write(out)
        if json_:  # the summary just written, not computed a second time
            sys.stdout.write(files["summary"].read_text() + "\n")
            return
        out_console.print(_summary_table(result.herd))
        for table in _feed_tables(result.herd):
            out_console.print(table)
        sensitivity = _sensitivity_table(result.herd)
        if sensitivity is not None:
            out_console.print(sensitivity)
        if result.plan is not None:
            from capra.planning.cli import print_plan
            print_plan(result.plan, out_console)
        echo(f"report: {files['report']}\nresults: {files['herd']}, {files['summary']}")


@app.command(name="simulate")
def simulate_cmd(
    scenario: ScenarioArg = "nampo",
    output: Annotated[Path, typer.Option("--output", "-o",
                                         help="Result file: .nc (NetCDF), .parquet or .csv.")] = Path("herd.nc"),
    replicates: Replicates = DEFAULT_REPLICATES,
    seed: Seed = 0,
    engine: Engine = "threads",
    workers: Workers = None,
    scheduler: Scheduler = None,
    batch_size: BatchSize = None,
    no_parameter_uncertainty: NoUncertainty = False,
) -> None:
    """Simulate the herd and write the daily results (replicate × date × farm) to a file.

    Example: capra simulate nampo -n 500 -o herd.parquet
    """
    with _errors():
        from capra.planning.cli import run_progress
        from capra.runs import as_scenario, simulate

        output_file(output, suffixes=(".nc", ".parquet", ".csv"))
        sc = as_scenario(scenario)
        with run_progress(sc.name) as progress:
            result = simulate(sc, replicates, seed, engine=engine, workers=workers,
                              scheduler=scheduler, batch_size=batch_size, progress=progress,
                              parameter_uncertainty=not no_parameter_uncertainty)
        path = result.save(output)
        echo(f"wrote {path}")


@scenario_app.command("validate")
def scenario_validate(
    file: Annotated[str, typer.Argument(help="Scenario file (TOML) or bundled name.")],
) -> None:
    """Check a scenario file and list every problem found.

    Example: capra scenario validate my-programme.toml
    """
    with _errors():
        from capra.scenario import validate_file

        sc = validate_file(file)
        out_console.print(f"[green]ok[/]: {escape(file)}: scenario {escape(repr(sc.name))}, "
                          f"{len(sc.farms)} farms, {len(sc.batches)} batches, "
                          f"{sc.horizon_days} days from {sc.start_date}", soft_wrap=True)


@scenario_app.command("list")
def scenario_list() -> None:
    """List the bundled scenarios with their descriptions.

    Example: capra scenario list   then   capra example nampo my-programme/
    """
    with _errors():
        from capra.scenario import bundled_scenario_descriptions

        table = Table("scenario", "description", title="bundled scenarios")
        for name, description in bundled_scenario_descriptions().items():
            table.add_row(escape(name), escape(description))
        out_console.print(table)


@app.command()
def example(
    name: Annotated[str, typer.Argument(
        help="A bundled scenario name (e.g. nampo) to copy, or 'records' to write example "
             "farm records.")],
    directory: Annotated[Path, typer.Argument(help="Folder to write into.")],
    scenario: Annotated[str, typer.Option(help="records: the scenario simulated.")] = "nampo",
    seed: Annotated[int, typer.Option("--seed", "-s", help="records: seed of the simulation.")] = 20240820,
    years: Annotated[int, typer.Option(min=1, max=20, help="records: years of records.")] = 2,
    import_into: Annotated[Optional[str], typer.Option(
        "--import-into", help="records: also import them into this database.")] = None,
) -> None:
    """Copy a bundled scenario into a folder to edit, or write example farm records.

    Example: capra example nampo my-programme/   then   capra run my-programme/nampo.toml

    Example: capra example records my-records/ --import-into my-records/capra.db
    """
    if name == "records":
        from capra.examples.cli import example_records_command
        example_records_command(directory, scenario=scenario, seed=seed, years=years,
                                import_into=import_into)
        return
    with _errors():
        from capra.scenario import bundled_scenario_path

        src = bundled_scenario_path(name)
        output_folder(directory)
        dest = directory / src.name
        if dest.exists():
            raise CapraError(f"{dest} exists already; remove it or choose another folder")
        shutil.copyfile(src, dest)
        echo(f"wrote {dest}")


def _mount_subcommands() -> None:
    from capra.planning.cli import register as register_plan
    from capra.store.cli import app as db_app
    from capra.store.cli import register as register_db
    from capra.store.cli_records import register as register_records
    from capra.store.cli_users import register as register_users
    from capra.web.cli import register as register_web

    register_db(app)
    register_records(app, db_app)
    register_plan(app)
    register_users(app)
    register_web(app)


_mount_subcommands()


def main() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    main()
