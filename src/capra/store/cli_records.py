"""Commands on the records beyond import and export: ``capra milk fit``, ``capra db report``
and the scenario of ``capra run --from-db``.

Plain functions with Typer annotations; :func:`register` mounts them. They parse and
format only; the work is done by :mod:`capra.lactation.records`, :mod:`capra.store.snapshot`
and :mod:`capra.growth.monitoring`.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from capra.console import cli_errors as _errors
from capra.console import echo, err_console, json_text, out_console, output_folder
from capra.errors import DataError, UsageError

__all__ = ["db_report_command", "milk_fit_command", "register", "scenario_from_db"]


Db = Annotated[str | None, typer.Option(
    "--db", help="Records database: a SQLite file or a URL such as "
                 "postgresql+psycopg://user:password@host/capra. Default: capra.db here.")]
ScenarioOpt = Annotated[str, typer.Option(
    "--scenario", help="The programme's scenario (TOML file or bundled name): breed, farms, "
                       "policy and later batches.")]
DateOpt = Annotated[str | None, typer.Option(
    "--date", help="Day of the recorded herd, YYYY-MM-DD. Default: the latest recorded day.")]


def _day(text: str | None):
    import pandas as pd

    if text is None:
        return None
    try:
        return pd.Timestamp(text).date()
    except ValueError:
        raise DataError(f"--date {text!r}: not a date; expected YYYY-MM-DD") from None


def scenario_from_db(db: str | None = None, date: str | None = None,
                     scenario: str = "nampo", horizon_days: int | None = None):
    """The scenario of ``capra run --from-db``: the recorded herd of ``date`` (default the
    latest recorded day) as the initial herd of ``scenario``.

    Raises :class:`~capra.errors.CapraError` subclasses with a plain message (empty
    database, bad date, farms missing from the scenario).
    """
    from capra.scenario import load_scenario
    from capra.store.db import open_db
    from capra.store.snapshot import last_record_date, scenario_from_records

    db = open_db(db, create_missing=False)
    day = _day(date) or last_record_date(db)
    if day is None:
        raise DataError("the records database is empty: import records first "
                        "(capra db import ...) or try capra example records DIR")
    return scenario_from_records(db, day, load_scenario(scenario), horizon_days)


# --------------------------------------------------------------------------------------
# capra milk fit
# --------------------------------------------------------------------------------------

def milk_fit_command(
    db: Db = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("milk-fit"),
    scenario: ScenarioOpt = "nampo",
    min_test_days_per_doe: Annotated[int, typer.Option(
        min=4, help="Fewest test days for a doe's lactation to get its own curve.")] = 6,
    json_: Annotated[bool, typer.Option("--json", help="Print the class fits as JSON.")] = False,
) -> None:
    """Fit lactation curves to the recorded test days, per parity class and per doe.

    Wood curves per parity class (1, 2, 3+) with cluster-robust 95 % intervals, the
    extended-lactation rebound where the records reach it, a curve per doe's lactation
    with enough test days, and the between-doe milk variation. Writes
    OUT/lactation-fits.csv, OUT/doe-fits.csv, OUT/lactation-fit.png (fit against data),
    OUT/breed-overrides.toml (a [breed_overrides.lactation] table to paste into a
    scenario) and OUT/scenario-fitted.toml (the scenario using the fitted curves: run it
    with capra run OUT/scenario-fitted.toml).

    Example: capra milk fit --db records.db --scenario nampo --out milk-fit/
    """
    with _errors():
        from capra.lactation.records import (
            fit_lactations,
            scenario_with_fits,
            write_breed_overrides,
        )
        from capra.scenario import load_scenario, save_scenario
        from capra.store.db import open_db

        base = load_scenario(scenario)
        db = open_db(db, create_missing=False)
        output_folder(out)
        lac = base.breed.lactation
        fits = fit_lactations(db, min_test_days_per_doe=min_test_days_per_doe,
                              wood_max_dim_days=lac.standard_length_days,
                              rebound_day=lac.rebound_day)
        table = fits.table()
        table.to_csv(out / "lactation-fits.csv", index=False)
        fits.does.to_csv(out / "doe-fits.csv", index=False)
        fits.figure(base).savefig(out / "lactation-fit.png", dpi=110)
        write_breed_overrides(fits, out / "breed-overrides.toml", base)
        save_scenario(scenario_with_fits(base, fits), out / "scenario-fitted.toml")
        if json_:
            sys.stdout.write(json_text({
                "fits": table.to_dict("records"), "effect_cv": fits.effect_cv,
                "does_fitted": len(fits.does), "out": str(out)}, default=str) + "\n")
            return
        t = Table(title=f"lactation curves: {len(fits.records)} test days, "
                        f"{fits.records['lactation'].nunique()} lactations")
        for col in ("parity", "model", "parameter", "estimate", "95 % interval", "n"):
            t.add_column(col, justify="right" if col in ("estimate", "n") else "left")
        for r in table.itertuples(index=False):
            t.add_row(escape(str(r.parity_class)), r.model, r.parameter, f"{r.estimate:.4g}",
                      f"{r.ci95_low:.4g} – {r.ci95_high:.4g}" + (" (at bound)" if r.at_bound
                                                                  else ""),
                      f"{r.n_test_days}")
        out_console.print(t)
        echo(f"does' own curves: {len(fits.does)}; between-doe CV {fits.effect_cv:.3f}\n"
             f"wrote {out}/lactation-fits.csv, doe-fits.csv, lactation-fit.png, "
             "breed-overrides.toml, scenario-fitted.toml")


# --------------------------------------------------------------------------------------
# capra db report
# --------------------------------------------------------------------------------------

def _counts_html(counts) -> str:
    cols = list(counts.columns)
    head = "<th>farm</th>" + "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in cols)
    rows = [f"<tr><td>{html.escape(str(farm))}</td>"
            + "".join(f'<td class="num">{int(v)}</td>' for v in row) + "</tr>"
            for farm, row in zip(counts.index, counts.to_numpy())]
    total = counts.sum()
    rows.append("<tr><td><b>all</b></td>" + "".join(f'<td class="num"><b>{int(v)}</b></td>'
                                                    for v in total) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _lactation_section(fits, base) -> str:
    from capra.report.parts import png_data_uri

    t = fits.table()
    rows = "".join(
        f"<tr><td>{html.escape(str(r.parity_class))}</td><td>{r.model}</td><td>{r.parameter}"
        f'</td><td class="num">{r.estimate:.4g}</td><td class="num">{r.ci95_low:.4g} – '
        f'{r.ci95_high:.4g}</td><td class="num">{r.n_lactations}</td>'
        f'<td class="num">{r.n_test_days}</td></tr>' for r in t.itertuples(index=False))
    table = ("<table><thead><tr><th>parity</th><th>model</th><th>parameter</th>"
             "<th>estimate</th><th>95 % interval (robust)</th><th>lactations</th>"
             f"<th>test days</th></tr></thead><tbody>{rows}</tbody></table>")
    return (f'<figure><img src="{png_data_uri(fits.figure(base))}" alt="Lactation curves">'
            "<figcaption>Test days (grey), the Wood curve fitted to each parity class with its "
            "95 % band (blue), and the breed curve of the scenario (dashed). Intervals are "
            "cluster-robust (test days of one lactation are not independent).</figcaption>"
            f"</figure>{table}<p>Between-doe milk variation (CV): {fits.effect_cv:.3f}; "
            f"{len(fits.does)} lactations have their own curve.</p>")


def db_report_command(
    db: Db = None,
    date: DateOpt = None,
    scenario: ScenarioOpt = "nampo",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("records-report"),
    replicates: Annotated[int, typer.Option("--replicates", "-n", min=1,
                                            help="Monte Carlo replicates of the projection.")] = 100,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Seed of the projection.")] = 0,
    horizon_days: Annotated[int | None, typer.Option(
        min=1, help="Days projected from the date. Default: the scenario's horizon.")] = None,
    period: Annotated[str, typer.Option(help="Growth periods: half-year, year or quarter.")]
        = "half-year",
) -> None:
    """HTML report from the records: the herd projected from the recorded herd, with the
    recorded herd by farm and class, the lactation curves fitted to the test days, and the
    children's growth (stunting, wasting, underweight by district, site and period).

    Writes OUT/report.html.

    Example: capra db report --db records.db --scenario nampo --out report/ -n 200
    """
    with _errors():
        from capra.growth.monitoring import PERIODS, monitoring_sections
        from capra.herd.simulate import simulate
        from capra.lactation.records import fit_lactations
        from capra.report import write_report
        from capra.scenario import load_scenario
        from capra.store.db import open_db
        from capra.store.snapshot import (
            herd_at,
            herd_counts,
            last_record_date,
            scenario_from_records,
        )

        if period not in PERIODS:  # checked before the simulation
            raise UsageError(f"--period {period!r}: expected one of {', '.join(PERIODS)}")
        db = open_db(db, create_missing=False)
        base = load_scenario(scenario)
        output_folder(out)
        day = _day(date) or last_record_date(db)
        if day is None:
            raise DataError("the records database is empty: import records first")
        sc = scenario_from_records(db, day, base, horizon_days)
        echo(f"simulating {replicates} replicates of {sc.horizon_days} days from the herd of "
             f"{day} ...", err_console)
        result = simulate(sc, replicates=replicates, seed=seed)
        sections = [(f"Recorded herd on {day}",
                     f"<p>{html.escape(sc.description)}</p>"
                     + _counts_html(herd_counts(herd_at(db, day, base))))]
        try:
            lac = base.breed.lactation
            fits = fit_lactations(db, wood_max_dim_days=lac.standard_length_days,
                                  rebound_day=lac.rebound_day)
            sections.append(("Lactation curves from the test days",
                             _lactation_section(fits, base)))
        except DataError as exc:
            sections.append(("Lactation curves from the test days",
                             f"<p>No fit: {html.escape(str(exc))}</p>"))
        sections += monitoring_sections(db, period=period)
        path = write_report(result, out,
                            title=f"Records and projection: {base.name} from {day}",
                            extra_sections=sections)
        echo(f"wrote {path}")


# --------------------------------------------------------------------------------------
# Mounting
# --------------------------------------------------------------------------------------

def register(app: typer.Typer, db_app: typer.Typer | None = None) -> typer.Typer:
    """Add the ``milk`` group (``milk fit``) to ``app`` and, with ``db_app``, the
    ``report`` command to it. Returns the ``milk`` group."""
    milk_app = typer.Typer(help="Milk records: lactation curves fitted to the test days.\n\n"
                                "Example: capra milk fit --db records.db --out milk-fit/",
                           no_args_is_help=True, rich_markup_mode=None)
    milk_app.command("fit")(milk_fit_command)
    app.add_typer(milk_app, name="milk")
    if db_app is not None:
        db_app.command("report")(db_report_command)
    return milk_app
