"""Planning: what to make of the milk, what to store and what to deliver where, day by day.

A linear programme built from sparse matrices and solved with HiGHS answers two
questions: (a) the largest enrolment served in full on every operating day, robust to
supply uncertainty, and (b) for a given enrolment, the daily dispatch that serves the
worst-off site first, spreads unavoidable shortfall, then minimises waste and transport.
See ``docs/planning.md``. Public names are imported on first use.
"""

from capra._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(("dispatch", "dispatch_rolling", "max_enrolment", "plan", "plan_from_herd",
                     "plan_inputs"), "capra.planning.optimize"),
    "product_table": "capra.planning.products",
    "Plan": "capra.planning.result",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
