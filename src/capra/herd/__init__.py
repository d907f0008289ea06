"""The herd: daily individual-based simulation and deterministic cohort models."""

from capra.herd.cohort import steady_state, SteadyState
