"""The herd: the daily individual-based simulation (:mod:`~capra.herd.simulate`), its
expected-value path (:mod:`~capra.herd.mean_path`), the rules both apply
(:mod:`~capra.herd.rules`), and the DynMod steady state (:mod:`~capra.herd.steady_state`)."""

from capra.herd.mean_path import project_mean
from capra.herd.params import HerdParams, compile_params
from capra.herd.result import HerdResult
from capra.herd.simulate import simulate, simulate_events
from capra.herd.steady_state import SteadyState, distance_from_stable, steady_state

__all__ = ["HerdParams", "HerdResult", "SteadyState", "compile_params", "distance_from_stable",
           "project_mean", "simulate", "simulate_events", "steady_state"]
