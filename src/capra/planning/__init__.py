"""Planning: what to make of the milk, what to store and what to deliver where, day by day.

A linear programme built from sparse matrices and solved with HiGHS answers two
questions: (a) the largest enrolment served in full on every operating day, robust to
supply uncertainty, and (b) for a given enrolment, the daily dispatch that serves the
worst-off site first, spreads unavoidable shortfall, then minimises waste and transport.
See ``docs/planning.md``. Public names are imported on first use.
"""

from importlib import import_module

_EXPORTS = {
    **dict.fromkeys(("dispatch", "dispatch_rolling", "max_enrolment", "plan", "plan_from_herd",
                     "plan_inputs"), "capra.planning.optimize"),
    "product_table": "capra.planning.products",
    "Plan": "capra.planning.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'capra.planning' has no attribute {name!r}") from None
    return getattr(import_module(module), name)


def __dir__():
    return __all__
