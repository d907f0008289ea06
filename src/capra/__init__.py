"""Capra: plan, run and measure dairy-goat programmes that feed children.

The main job in one call (:mod:`capra.runs`)::

    import capra

    run = capra.run("nampo", replicates=100, seed=0)   # herd, milk and plan
    run.write_report("capra-out")                      # capra-out/report.html

and its steps: :func:`capra.load_scenario`, :func:`capra.simulate`, :func:`capra.plan`.
Importing ``capra`` loads none of them (nor NumPy, pandas or SciPy): public names are
imported on first use.
"""

from capra._lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = dict.fromkeys(("DEFAULT_REPLICATES", "Run", "load_scenario", "plan", "run",
                          "simulate"), "capra.runs")

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
