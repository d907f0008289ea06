"""The result of planning: status, headline, metrics, tables and what binds, as data."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CSV_DECIMALS", "Plan", "csv_table"]

#: Decimals kept in the plan's CSV tables: grams of product and milk, hundredths of a
#: ration, shares to 0.01 %. [-]
CSV_DECIMALS = {"kg": 3, "rations": 2, "share": 4}


def csv_table(table: pd.DataFrame, *, shares: bool = False) -> pd.DataFrame:
    """A plan table ready for CSV: its index as named columns, and numbers rounded to the
    data's precision (:data:`CSV_DECIMALS`; ``shares``: every number is a share), so that
    solver round-off (``1.0000000000000095``) is not written as data."""
    frame = table.reset_index() if table.index.name is not None else table.copy()
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            kind = "share" if shares else "rations" if "ration" in str(col) else "kg"
            frame[col] = frame[col].round(CSV_DECIMALS[kind])
    return frame


def _plain(value):
    """JSON-ready copy: numpy scalars to Python numbers, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def _floor(value: float) -> int | None:
    return math.floor(value + 1e-6) if value is not None and math.isfinite(value) else None


#: How the planned days are described, by ``planning.year``.
YEAR_LABELS = {"repeatable": "a repeatable year",
               "from_stock": "this year from today's stock"}


@dataclass
class Plan:
    """A dairy supply plan for a scenario's sites.

    Attributes
    ----------
    status
        ``"optimal"`` when both questions were solved; otherwise the solver status of the
        step that failed (``"infeasible"``, ``"unbounded"``, ...) or ``"no_sites"`` /
        ``"no_plants"``. [-]
    message
        What happened, in words. [-]
    year
        ``"repeatable"`` (the planned days are a year the programme can repeat: the
        closing stock gives back the opening stock) or ``"from_stock"`` (this year from
        today's stock). [-]
    children_served_every_day
        Question (a): the largest enrolment served in full on every operating day, on the
        planning supply. It may exceed the children enrolled (the milk could serve more);
        the headline and :meth:`to_dict` never say more are served than are enrolled.
        [children]
    scale
        The same as a multiple of the sites' enrolled children. [-]
    enrolled_children
        Children enrolled at the sites (scale 1). [children]
    confidence
        Share of the evaluated supply futures in which that enrolment is served on every
        operating day; None if no futures were evaluated. [fraction]
    future_children
        Largest enrolment served every operating day in each evaluated future. [children]
    method
        How supply uncertainty was handled, in words. [-]
    dispatch_enrolment
        The headline enrolment: the children of the dispatch whose tables and
        ``metrics`` are reported (at most the children enrolled). [children]
    metrics
        Metrics of that dispatch (see :mod:`capra.planning.metrics`): no interruption is
        expected there on the planning supply. [-]
    full_enrolment
        ``{"children", "metrics"}``: the dispatch with all the enrolled children (or the
        enrolment asked for), where the milk may fall short. [-]
    programme_years
        The programme's years from the first arrival: ``start``, ``end``,
        ``children_served_every_day`` (at most the children enrolled),
        ``children_the_milk_can_serve`` and ``milk_kg`` of each. [-]
    production
        What to make: ``product``, ``month``, ``kg`` [kg product], ``milk_kg`` [kg milk]. [-]
    tables
        ``production``, ``inventory``, ``shipments``, ``servings``, ``shortfall``,
        ``waste`` (long tables, one row per day and item, zero rows left out),
        ``daily`` (supply, demand and served per day), ``sites`` and
        ``sites_full_enrolment`` (per-site metrics), ``coverage`` and
        ``coverage_full_enrolment`` (date × site), ``futures``. [-]
    binding
        What binds the enrolment: one row per lever with the extra children one more unit
        would serve (a marginal value, never negative) and the range of the lever over
        which it holds (``valid_from``, ``valid_to``). [children per unit]
    what_if
        Exact re-solves of whole changes (e.g. kids reared on milk replacer). [-]
    notes
        Remarks in words (full farms, the herd above capacity in spring). [-]
    dispatch
        How question (b) was solved: ``method`` (``"one LP"``, ``"classes and groups of
        sites"``, ``"rolling windows"``) and, by classes, for the headline and the full
        enrolment: the sites in each kind of class, ``exact``, the sub-problems, the
        ``gap`` of each objective to the top plan's bound and the ``top`` objectives. [-]
    flows
        With many sites, the headline dispatch's inputs and solution, whose flows to the
        sites (shipments, servings, shortfall) :meth:`write` streams to Parquet instead of
        ``tables`` holding them. [-]
    objectives, sizes, seconds
        Optimal objective values of each solve stage; columns, rows and non-zeros of the
        models; build and solve times [s].
    """

    status: str
    message: str
    scenario: str = ""
    year: str = "repeatable"
    children_served_every_day: float = float("nan")
    scale: float = float("nan")
    enrolled_children: float = 0.0
    confidence: float | None = None
    future_children: np.ndarray | None = None
    quantile: float = 0.1
    method: str = ""
    dispatch_enrolment: float = float("nan")
    metrics: dict = field(default_factory=dict)
    full_enrolment: dict = field(default_factory=dict)
    programme_years: list[dict] = field(default_factory=list)
    production: pd.DataFrame = field(default_factory=pd.DataFrame)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    binding: pd.DataFrame = field(default_factory=pd.DataFrame)
    what_if: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dispatch: dict = field(default_factory=dict)
    flows: tuple | None = field(default=None, repr=False)
    objectives: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    first_date: str = ""
    last_date: str = ""

    @property
    def success(self) -> bool:
        return self.status == "optimal"

    @property
    def futures_used(self) -> int | None:
        """Futures in which question (a) was solved (for the range and the confidence)."""
        return None if self.future_children is None else len(self.future_children)

    @property
    def children_range(self) -> dict[str, int] | None:
        """P10, P50 and P90 across the futures of the children served every operating
        day (each at most the children enrolled). [children]"""
        if self.future_children is None or not np.isfinite(self.future_children).any():
            return None
        served = np.minimum(np.floor(np.asarray(self.future_children) + 1e-6),
                            round(self.enrolled_children))
        served = np.where(np.isfinite(self.future_children), served, 0.0)
        return {f"p{p}": int(np.percentile(served, p, method="lower")) for p in (10, 50, 90)}

    def served_and_room(self) -> tuple[int | None, int | None]:
        """(children served every operating day, at most those enrolled; room for more
        children the milk could serve). [children]"""
        can = _floor(self.children_served_every_day)
        if can is None:
            return None, None
        enrolled = round(self.enrolled_children)
        return min(can, enrolled), max(can - enrolled, 0)

    def headline(self) -> str:
        """One sentence: the children served every operating day, over which year, with
        what confidence and range across futures."""
        if not self.success:
            return f"No plan ({self.status}): {self.message}"
        served, room = self.served_and_room()
        enrolled = round(self.enrolled_children)
        label = YEAR_LABELS.get(self.year, self.year)
        if room:
            text = (f"All {enrolled:,} enrolled children served every operating day of "
                    f"{label}, with room for {room:,} more")
        else:
            text = f"{served:,} children served every operating day of {label}"
        text += f" ({self.first_date} to {self.last_date})"
        rng = self.children_range
        if self.confidence is not None and rng is not None:
            text += (f"; reached in {100 * self.confidence:.0f}% of {self.futures_used} "
                     f"simulated futures, P10–P90 across them {rng['p10']:,}–{rng['p90']:,}")
        full = self.full_enrolment.get("metrics", {})
        cov = full.get("coverage")
        if not room and cov is not None and math.isfinite(cov):
            text += (f"; with all {round(self.full_enrolment['children']):,} enrolled "
                     f"children, {100 * cov:.1f}% of rations served")
        return text

    def interruption_days(self) -> dict[str, int]:
        """Interruption days per site at the headline enrolment. [days]"""
        return dict(self.metrics.get("interruption_days", {}))

    def production_by_month(self, value: str = "kg") -> dict[str, dict[str, float]]:
        """Product → month → kg of product made (``value="milk_kg"``: of milk used)."""
        out: dict[str, dict[str, float]] = {}
        for _, row in self.production.iterrows():
            out.setdefault(row["product"], {})[row["month"]] = float(row[value])
        return out

    def to_dict(self) -> dict:
        """Plain data for JSON: ``children_served_every_day`` (at most the children
        enrolled), ``children_served_every_day_range``, ``futures_used``,
        ``programme_years``, ``interruption_days`` (at the headline enrolment),
        ``full_enrolment``, ``production_by_month``, ``binding`` and more."""
        m = {k: v for k, v in self.metrics.items() if k != "interrupted"}
        full = self.full_enrolment.get("metrics", {})
        binding = (self.binding.head(20).to_dict(orient="records")
                   if not self.binding.empty else [])
        served, room = self.served_and_room()
        return _plain({
            "status": self.status,
            "message": self.message,
            "scenario": self.scenario,
            "year": self.year,
            "year_label": YEAR_LABELS.get(self.year, self.year),
            "first_date": self.first_date,
            "last_date": self.last_date,
            "children_served_every_day": served,
            "children_the_milk_can_serve": _floor(self.children_served_every_day),
            "room_for_more": room,
            "children_served_every_day_range": self.children_range,
            "futures_used": self.futures_used,
            "scale": self.scale,
            "enrolled_children": self.enrolled_children,
            "confidence": self.confidence,
            "futures": self.futures_used,
            "quantile": self.quantile,
            "method": self.method,
            "programme_years": self.programme_years,
            "dispatch_enrolment": self.dispatch_enrolment,
            "interruption_days": m.get("interruption_days", {}),
            "longest_gap_days": m.get("longest_gap_days", {}),
            "coverage": m.get("coverage"),
            "full_enrolment": {
                "children": self.full_enrolment.get("children"),
                "interruption_days": full.get("interruption_days", {}),
                "longest_gap_days": full.get("longest_gap_days", {}),
                "coverage": full.get("coverage"),
                "coverage_by_age_group": full.get("coverage_by_age_group", {}),
                "waste_kg": sum(full.get("waste_kg", {}).values()) if full else None,
            },
            "production_by_month": self.production_by_month(),
            "production_milk_by_month": self.production_by_month("milk_kg"),
            "waste_kg": sum(m.get("waste_kg", {}).values()) if m else None,
            "waste_kg_by_product": m.get("waste_kg", {}),
            "waste_milk_kg": m.get("waste_milk_kg"),
            "nutrients": m.get("nutrients", {}),
            "binding": binding,
            "what_if": self.what_if,
            "notes": self.notes,
            "dispatch": self.dispatch,
            "objectives": self.objectives,
            "sizes": self.sizes,
            "seconds": self.seconds,
        })

    def summary(self) -> str:
        """The headline and the headline figures, as text for the terminal
        (:meth:`summary_table` as a table)."""
        from capra.formats import text_table

        return f"{self.headline()}\n{text_table(self.summary_table())}"

    def summary_table(self) -> pd.DataFrame:
        """Headline figures as a table: one row per metric, column ``value``."""
        d = self.to_dict()
        rng = d["children_served_every_day_range"] or {}
        full = d["full_enrolment"]
        rows = [("status", d["status"]),
                ("year", d["year_label"]),
                ("children served every operating day", d["children_served_every_day"]),
                ("room for more children", d["room_for_more"]),
                ("P10 across futures", rng.get("p10")),
                ("P50 across futures", rng.get("p50")),
                ("P90 across futures", rng.get("p90")),
                ("futures used", d["futures_used"]),
                ("confidence", d["confidence"]),
                ("enrolled children", d["enrolled_children"]),
                ("coverage at full enrolment", full["coverage"]),
                ("interruption days at full enrolment, worst site",
                 max(full["interruption_days"].values(), default=None)),
                ("waste [kg product]", d["waste_kg"])]
        return pd.DataFrame(rows, columns=["metric", "value"]).set_index("metric")

    def write(self, folder: str | os.PathLike) -> dict[str, Path]:
        """Write ``plan.json`` (:meth:`to_dict`) and the plan's tables as
        ``plan_<table>.csv`` (:func:`csv_table`; empty tables left out) into ``folder``,
        created if missing; with many sites, their flows as ``plan_<table>.parquet``.
        Returns the files written by name: ``"plan"`` and the tables' names (as
        :meth:`capra.runs.Run.write`)."""
        from capra.console import json_text
        from capra.outputs import output_folder

        out = output_folder(folder)
        path = out / "plan.json"
        path.write_text(json_text(self.to_dict(), indent=2))
        written = {"plan": path}
        for name, table in {**self.tables, "production_by_month": self.production}.items():
            if not table.empty:
                path = out / f"plan_{name}.csv"
                csv_table(table, shares=name.startswith("coverage")).to_csv(path, index=False)
                written[name] = path
        if self.flows is not None:
            from capra.planning.tables import write_site_flows

            for path in write_site_flows(out, *self.flows):
                written[path.stem.removeprefix("plan_")] = path
        return written
