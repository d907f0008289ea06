"""The ``capra plan`` command: parses, calls :func:`capra.planning.plan_from_herd`, formats.

``register(app)`` adds the command to the main Typer app; :func:`print_plan` prints a plan
(headline, per-site table, what binds) and is shared with ``capra run``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["plan_command", "print_plan", "register"]


def plan_tables(plan, *, binding_rows: int = 10) -> list:
    """Rich renderables of a plan: per-site interruptions and what binds."""
    if not plan.success:
        return []
    sites = Table(title="Interruptions by site (all enrolled children)")
    for col in ("site", "operating days", "interruption days", "longest gap"):
        sites.add_column(col, justify="left" if col == "site" else "right")
    for site, row in plan.tables["sites"].iterrows():
        sites.add_row(escape(str(site)), f"{row['operating_days']:,}",
                      f"{row['interruption_days']:,}", f"{row['longest_gap_days']:,}")
    binds = Table(title="What binds (marginal values from the LP duals)")
    for col in ("constraint", "item", "one more unit", "more children"):
        binds.add_column(col, justify="right" if col == "more children" else "left")
    for _, row in plan.binding.head(binding_rows).iterrows():
        binds.add_row(escape(row["constraint"]), escape(str(row["item"])),
                      escape(row["unit"]), f"{row['children_per_unit']:,.2f}")
    return [sites, binds]


def print_plan(plan, console: Console) -> None:
    """Print the plan's headline and tables."""
    for table in plan_tables(plan):
        console.print(table)
    style = "bold green" if plan.success else "bold red"
    console.print(f"[{style}]{escape(plan.headline())}[/]", highlight=False)


def plan_command(
    scenario: Annotated[str, typer.Argument(
        help="Scenario file (TOML) or the name of a bundled scenario.")] = "nampo",
    replicates: Annotated[int, typer.Option("--replicates", "-n", min=1,
                                            help="Simulated supply futures.")] = 50,
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
        min=0.0, help="Children enrolled for the daily dispatch (default: all the sites' "
                      "children).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Folder for plan.json, the plan tables (CSV) and "
                            "report.html.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Plan what to make of the milk and where to send it: the children served every
    operating day, with what confidence, and what binds.

    Example: capra plan nampo -n 50 --out plan/
    """
    from capra.console import cli_errors as _errors
    from capra.console import err_console, out_console

    with _errors():
        from capra.herd.result import HerdResult
        from capra.planning.optimize import plan_from_herd
        from capra.scenario import load_scenario

        sc = load_scenario(scenario)
        if herd is not None:
            result = HerdResult.load(herd)
        else:
            from capra.herd.simulate import simulate

            with err_console.status(f"simulating {sc.name}: {replicates} replicates"):
                result = simulate(sc, replicates=replicates, seed=seed)
        with err_console.status("planning"):
            plan = plan_from_herd(sc, result, quantile=quantile, futures=futures,
                                  enrolment=enrolment)
        data = plan.to_dict()
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / "plan.json").write_text(json.dumps(data, indent=2))
            for name, table in plan.tables.items():
                if not table.empty:
                    table.to_csv(out / f"plan_{name}.csv")
            from capra.planning.report import report_sections
            from capra.report import write_report

            write_report(result, out / "report.html", extra_sections=report_sections(plan))
        if json_:
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        else:
            print_plan(plan, out_console)
            if out is not None:
                out_console.print(f"wrote {out / 'plan.json'}, {out / 'report.html'}")
        if not plan.success:
            raise typer.Exit(4)


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command to the main ``capra`` app."""
    app.command(name="plan")(plan_command)
