"""Planning: what to make of the milk, what to store and what to deliver where, day by day.

A linear programme built from sparse matrices and solved with HiGHS answers two
questions: (a) the largest enrolment served in full on every operating day, robust to
supply uncertainty, and (b) for a given enrolment, the daily dispatch that serves the
worst-off site first, spreads unavoidable shortfall, then minimises waste and transport.
See ``docs/planning.md``.
"""

from capra.planning.optimize import (
    dispatch,
    dispatch_rolling,
    max_enrolment,
    plan,
    plan_from_herd,
    plan_inputs,
)
from capra.planning.products import product_table
from capra.planning.result import Plan

__all__ = ["Plan", "dispatch", "dispatch_rolling", "max_enrolment", "plan",
           "plan_from_herd", "plan_inputs", "product_table"]
