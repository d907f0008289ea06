"""The herd: daily individual-based simulation and deterministic cohort models.

Public names are imported on first use, so that a worker process that only simulates
does not pay for importing the cohort models.
"""

from capra._lazy import lazy_exports

_EXPORTS = {
    "simulate": "capra.herd.simulate",
    "simulate_events": "capra.herd.simulate",
    "HerdResult": "capra.herd.result",
    "compile_params": "capra.herd.params",
    "HerdParams": "capra.herd.params",
    "project_mean": "capra.herd.cohort",
    "steady_state": "capra.herd.cohort",
    "SteadyState": "capra.herd.cohort",
    "distance_from_stable": "capra.herd.cohort",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
