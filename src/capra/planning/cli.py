"""The ``capra plan`` command: parses, calls :func:`capra.planning.plan_from_herd`, formats.

``register(app)`` adds the command to the main Typer app; :func:`print_plan` prints a plan
(the programme's years, what to make, interruptions, what binds, the headline) and is
shared with ``capra run``.
"""

from __future__ import annotations

import contextlib
import math
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from capra.runs import DEFAULT_REPLICATES

__all__ = ["PLAN_STEPS", "plan_command", "plan_tables", "print_plan", "register",
           "run_progress"]

#: The steps of :func:`capra.planning.plan` reported to its ``progress`` callback, in words.
PLAN_STEPS = {"futures": "question (a) in each simulated future",
              "enrolment": "question (a) on the planning supply, what binds",
              "dispatch": "daily dispatch",
              "programme years": "the programme's years"}


#: What a run says when it compiles code not yet in the cache (the first run on a machine).
COMPILING = ("Compiling Capra's code for this machine, once: up to a minute (later runs "
             "start at once).")


@contextlib.contextmanager
def run_progress(name: str):
    """The progress display of a run of scenario ``name`` on standard error: the herd's
    replicate-days, then the plan's steps (the ``progress`` callback of
    :func:`capra.run`); and a line (:data:`COMPILING`) if code is compiled on the way."""
    from capra.compiled import compile_notice
    from capra.console import err_console, step_progress

    labels = {"herd": (f"simulating {name}", "replicate-days"),
              **{step: (f"planning: {text}", "") for step, text in PLAN_STEPS.items()}}
    with step_progress(labels, err_console) as update, compile_notice(
            lambda: err_console.print(COMPILING, highlight=False)):
        yield update


def _num(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def plan_tables(plan, *, binding_rows: int = 10) -> list:
    """Rich renderables of a plan: the programme's years, what to make by month,
    interruptions at the headline enrolment and at full enrolment, what binds."""
    if not plan.success:
        return []
    out = []
    if plan.programme_years:
        years = Table(title="The programme's years (from the first operating day after "
                            "quarantine)")
        for col in ("year", "from", "to", "children served every operating day",
                     "milk [t]"):
            years.add_column(col, justify="left" if col in ("from", "to") else "right")
        for i, y in enumerate(plan.programme_years, 1):
            years.add_row(str(i), y["start"], y["end"], _num(y["children_served_every_day"]),
                          _num(y["milk_kg"] / 1000, 1))
        out.append(years)
    if not plan.production.empty:
        made = plan.production.pivot_table(index="month", columns="product", values="kg",
                                           aggfunc="sum", fill_value=0.0)
        made = made[[p for p in dict.fromkeys(plan.production["product"])]]
        prod = Table(title="What to make [kg product per month]")
        prod.add_column("month")
        for p in made.columns:
            prod.add_column(escape(str(p).replace("_", " ")), justify="right")
        prod.add_column("milk used [kg]", justify="right")
        milk = plan.production.groupby("month")["milk_kg"].sum()
        for month, row in made.iterrows():
            prod.add_row(str(month), *(_num(v) for v in row), _num(milk[month]))
        out.append(prod)
    head = plan.tables["sites"]
    full = plan.tables.get("sites_full_enrolment", head)
    full_children = plan.full_enrolment.get("children", plan.enrolled_children)
    sites = Table(title=f"Interruption days by site: at the headline enrolment "
                        f"({_num(plan.dispatch_enrolment)} children) and with all "
                        f"{_num(full_children)} enrolled")
    for col in ("site", "operating days", "headline", "all enrolled", "longest gap"):
        sites.add_column(col, justify="left" if col == "site" else "right")
    for site, row in head.iterrows():
        sites.add_row(escape(str(site)), f"{row['operating_days']:,}",
                      f"{row['interruption_days']:,}",
                      f"{full.loc[site, 'interruption_days']:,}",
                      f"{full.loc[site, 'longest_gap_days']:,}")
    out.append(sites)
    binds = Table(title="What binds (marginal values, and the range where each holds)")
    for col in ("constraint", "item", "one more unit", "more children", "valid from",
                "valid to"):
        binds.add_column(col, justify="left" if col in ("constraint", "item", "one more unit")
                         else "right")
    for _, row in plan.binding.head(binding_rows).iterrows():
        binds.add_row(escape(row["constraint"]), escape(str(row["item"])),
                      escape(row["unit"]), _num(row["children_per_unit"], 2),
                      _num(row["valid_from"], 2), _num(row["valid_to"], 2))
    out.append(binds)
    return out


def print_plan(plan, console: Console) -> None:
    """Print the plan's tables, notes, what-ifs and headline."""
    for table in plan_tables(plan):
        console.print(table)
    for item in plan.what_if:
        console.print(f"What if: {escape(item['lever'])}: "
                      f"{item['children_served_every_day']:,} children served every "
                      f"operating day ({item['extra_children']:+,.0f}).", highlight=False)
    for note in plan.notes:
        console.print(f"Note: {escape(note)}", highlight=False)
    style = "bold green" if plan.success else "bold red"
    console.print(f"[{style}]{escape(plan.headline())}[/]", highlight=False)


def plan_command(
    scenario: Annotated[str, typer.Argument(
        help="Scenario file (TOML) or the name of a bundled scenario.")] = "nampo",
    replicates: Annotated[int, typer.Option("--replicates", "-n", min=1,
                                            help="Simulated supply futures.")
                          ] = DEFAULT_REPLICATES,
    seed: Annotated[int, typer.Option("--seed", "-s",
                                      help="Seed: the same seed gives the same numbers.")] = 0,
    herd: Annotated[Path | None, typer.Option(
        help="Use a saved herd simulation (.nc from `capra simulate`) instead of "
             "simulating.")] = None,
    quantile: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Share of futures the plan may fail in (default: the "
                               "scenario's planning.quantile, 0.1).")] = None,
    futures: Annotated[int | None, typer.Option(
        min=1, help="Solve each of this many futures and take the robust order statistic, "
                    "instead of planning on the supply quantile.")] = None,
    enrolment: Annotated[float | None, typer.Option(
        min=0.0, help="Children enrolled, for the dispatch at full enrolment (default: all "
                      "the sites' children).")] = None,
    from_stock: Annotated[bool, typer.Option(
        "--from-stock", help="Plan this year from today's stock (the scenario's "
                             "planning.opening_stock, or the product batches in --db), "
                             "instead of a repeatable year.")] = False,
    db: Annotated[str | None, typer.Option(
        help="Records database whose product batches in store on the first planned day are "
             "the opening stock (with --from-stock).")] = None,
    engine: Annotated[str, typer.Option(
        help="Where the simulation, the futures and the groups of sites run: serial, "
             "threads, processes or dask.")] = "serial",
    workers: Annotated[int | None, typer.Option(
        help="Threads, local processes or Dask workers (default: the number of "
             "cores).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a running Dask scheduler (--engine dask), e.g. "
             "tcp://10.0.0.5:8786; default: a local cluster.")] = None,
    decompose: Annotated[bool | None, typer.Option(
        "--decompose/--one-lp", help="Solve the daily dispatch by classes and groups of "
                                     "sites (exact, or with a measured gap) or as one LP; "
                                     "default: by classes from 40 sites.")] = None,
    no_parameter_uncertainty: Annotated[bool, typer.Option(
        "--no-parameter-uncertainty",
        help="Use the point values of the scenario's uncertain parameters in every "
             "future: the range of the headline is then chance alone.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for plan.json, the plan tables (CSV) and "
                            "report.html.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Plan what to make of the milk and where to send it: the children served every
    operating day of a repeatable year, across simulated futures, year by year from the
    first arrival, and what binds.

    Example: capra plan nampo -n 50 --out plan/

    Example: capra plan my.toml --from-stock --db records/capra.db   (this year from today's stock)

    Example: capra plan province.toml --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from capra.console import cli_errors as _errors
    from capra.console import json_text, out_console, output_folder, print_error

    with _errors():
        from capra.planning.inputs import from_stock as planned_from_stock
        from capra.planning.inputs import plan_dates
        from capra.runs import as_scenario, run

        sc = as_scenario(scenario)
        if out is not None:
            output_folder(out)  # before the work
        if not sc.sites:
            print_error("No plan (no_sites): the scenario has no [[sites]] to serve")
            raise typer.Exit(4)
        stock = None
        if from_stock and db is not None:
            from capra.store.query import product_stock

            dates, _ = plan_dates(planned_from_stock(sc))
            stock = product_stock(db, dates[0].date() - timedelta(days=1))
        with run_progress(sc.name) as progress:
            result = run(sc, replicates=replicates, seed=seed, herd=herd, quantile=quantile,
                         futures=futures, enrolment=enrolment, from_stock=from_stock,
                         opening_stock=stock, engine=engine, workers=workers,
                         scheduler=scheduler, decompose=decompose, progress=progress,
                         parameter_uncertainty=not no_parameter_uncertainty)
        plan = result.plan
        if out is not None:
            plan.write(out)
            result.write_report(out)
        if json_:
            sys.stdout.write(json_text(plan.to_dict(), indent=2) + "\n")
        else:
            print_plan(plan, out_console)
            if out is not None:
                out_console.print(f"wrote {escape(str(out / 'plan.json'))}, "
                                  f"{escape(str(out / 'report.html'))}")
        if not plan.success:
            raise typer.Exit(4)


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command to the main ``capra`` app."""
    app.command(name="plan")(plan_command)
