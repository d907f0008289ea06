"""Planning: what to make of the milk, what to store and what to deliver where, day by day.

A linear programme built from sparse matrices and solved with HiGHS answers two
questions: (a) the largest enrolment served in full on every operating day of a year the
programme can repeat (and of each programme year from the first arrival), robust to
supply uncertainty, and (b) for a given enrolment, the daily dispatch that serves the
worst-off site and age group first, spreads unavoidable shortfall, then minimises waste
and transport. See ``docs/planning.md``. Public names are imported on first use.
"""

from capra._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(("dispatch", "dispatch_rolling", "future_enrolments", "max_enrolment",
                     "order_statistic", "programme_enrolments"), "capra.planning.optimize"),
    **dict.fromkeys(("plan", "plan_from_herd"), "capra.planning.planner"),
    **dict.fromkeys(("from_stock", "opening_history", "plan_dates", "plan_inputs",
                     "supply_from_herd"),
                    "capra.planning.inputs"),
    **dict.fromkeys(("binding_constraints", "herd_levers"), "capra.planning.binding"),
    "product_table": "capra.planning.products",
    "programme_years": "capra.planning.demand",
    "Plan": "capra.planning.result",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
