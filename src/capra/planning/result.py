"""The result of planning: status, headline, metrics, tables and what binds, as data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Plan"]


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


@dataclass
class Plan:
    """A dairy supply plan for a scenario's sites.

    Attributes
    ----------
    status
        ``"optimal"`` when both questions were solved; otherwise the solver status of the
        step that failed (``"infeasible"``, ``"unbounded"``, ...) or ``"no_sites"`` /
        ``"no_plants"`` / ``"no_supply"``. [-]
    message
        What happened, in words. [-]
    children_served_every_day
        Question (a): the largest enrolment served in full on every operating day, on the
        planning supply. [children]
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
        Enrolment of the dispatch (question (b)) whose tables and metrics are reported.
        [children]
    metrics
        Headline metrics of the dispatch (see :mod:`capra.planning.metrics`). [-]
    tables
        ``production``, ``inventory``, ``shipments``, ``servings``, ``shortfall``,
        ``waste`` (long tables, one row per day and item, zero rows left out),
        ``daily`` (supply, demand and served per day), ``sites`` (per-site metrics). [-]
    binding
        What binds the enrolment: one row per constraint and item with the extra
        children one more unit would serve (a marginal value from the LP duals, valid
        near the optimum only). [children per unit]
    objectives
        Optimal objective values of each solve stage. [-]
    sizes
        Columns, rows and non-zeros of the models. [-]
    seconds
        Build and solve times. [s]
    """

    status: str
    message: str
    scenario: str = ""
    children_served_every_day: float = float("nan")
    scale: float = float("nan")
    enrolled_children: float = 0.0
    confidence: float | None = None
    future_children: np.ndarray | None = None
    quantile: float = 0.1
    method: str = ""
    dispatch_enrolment: float = float("nan")
    metrics: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    binding: pd.DataFrame = field(default_factory=pd.DataFrame)
    objectives: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    first_date: str = ""
    last_date: str = ""

    @property
    def success(self) -> bool:
        return self.status == "optimal"

    def headline(self) -> str:
        """One sentence: the children served every operating day and the confidence."""
        if not self.success:
            return f"No plan ({self.status}): {self.message}"
        n = math.floor(self.children_served_every_day + 1e-6)
        text = f"{n:,} children served every operating day"
        if self.confidence is not None and self.future_children is not None:
            text += (f" in {100 * self.confidence:.0f}% of {len(self.future_children)} "
                     "simulated futures")
        text += f" ({self.first_date} to {self.last_date})"
        cov = self.metrics.get("coverage")
        if cov is not None and math.isfinite(cov):
            text += (f"; with all {round(self.dispatch_enrolment):,} enrolled children, "
                     f"{100 * cov:.1f}% of rations served")
        return text

    def interruption_days(self) -> dict[str, int]:
        """Interruption days per site in the dispatch. [days]"""
        return dict(self.metrics.get("interruption_days", {}))

    def to_dict(self) -> dict:
        """Plain data for JSON: ``children_served_every_day``, ``confidence``,
        ``interruption_days`` (per site), ``waste_kg``, ``binding`` (list) and more."""
        m = {k: v for k, v in self.metrics.items() if k != "interrupted"}
        binding = (self.binding.head(20).to_dict(orient="records")
                   if not self.binding.empty else [])
        return _plain({
            "status": self.status,
            "message": self.message,
            "scenario": self.scenario,
            "first_date": self.first_date,
            "last_date": self.last_date,
            "children_served_every_day": (math.floor(self.children_served_every_day + 1e-6)
                                          if math.isfinite(self.children_served_every_day)
                                          else None),
            "scale": self.scale,
            "enrolled_children": self.enrolled_children,
            "confidence": self.confidence,
            "futures": None if self.future_children is None else len(self.future_children),
            "quantile": self.quantile,
            "method": self.method,
            "dispatch_enrolment": self.dispatch_enrolment,
            "interruption_days": m.get("interruption_days", {}),
            "longest_gap_days": m.get("longest_gap_days", {}),
            "coverage": m.get("coverage"),
            "waste_kg": sum(m.get("waste_kg", {}).values()) if m else None,
            "waste_kg_by_product": m.get("waste_kg", {}),
            "waste_milk_kg": m.get("waste_milk_kg"),
            "nutrients": m.get("nutrients", {}),
            "binding": binding,
            "objectives": self.objectives,
            "sizes": self.sizes,
            "seconds": self.seconds,
        })

    def summary(self) -> pd.DataFrame:
        """Headline figures as a two-column table (metric, value)."""
        d = self.to_dict()
        rows = [("status", d["status"]),
                ("children served every operating day", d["children_served_every_day"]),
                ("confidence", d["confidence"]),
                ("enrolled children", d["enrolled_children"]),
                ("coverage at full enrolment", d["coverage"]),
                ("waste [kg product]", d["waste_kg"]),
                ("interruption days, worst site",
                 max(d["interruption_days"].values(), default=None)),
                ("longest gap, worst site [operating days]",
                 max(d["longest_gap_days"].values(), default=None))]
        return pd.DataFrame(rows, columns=["metric", "value"]).set_index("metric")
