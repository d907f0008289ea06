"""The herd: daily individual-based simulation and deterministic cohort models."""

from capra.herd.cohort import SteadyState, distance_from_stable, project_mean, steady_state
from capra.herd.params import HerdParams, compile_params
from capra.herd.result import HerdResult
from capra.herd.simulate import simulate, simulate_events

__all__ = ["HerdParams", "HerdResult", "SteadyState", "compile_params", "distance_from_stable",
           "project_mean", "simulate", "simulate_events", "steady_state"]
