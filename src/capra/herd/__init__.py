"""The herd: daily individual-based simulation and deterministic cohort models.

Public names are imported on first use, so that a worker process that only simulates
does not pay for importing the cohort models.
"""

from importlib import import_module

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

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'capra.herd' has no attribute {name!r}") from None
    return getattr(import_module(module), name)


def __dir__():
    return __all__
