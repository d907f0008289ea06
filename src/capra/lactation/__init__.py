"""Milk: lactation curves, and the curves fitted to test-day records.

* :mod:`capra.lactation.curves`: the Wood, Wilmink and extended-lactation curves and
  their exact totals;
* :mod:`capra.lactation.breed`: :class:`LactationCurves`, a breed's curves by parity
  class as the herd simulation reads them;
* :mod:`capra.lactation.fit`: one curve fitted to test days (:func:`fit_lactation`,
  :class:`LactationFit`);
* :mod:`capra.lactation.records`: the herd's curves fitted to the records database (by
  parity class and per doe, with cluster-robust intervals) and written as breed overrides
  for a scenario (:func:`fit_lactations`, :func:`scenario_with_fits`).

The names of ``curves``, ``breed`` and ``fit`` are imported with the package; those of ``records``
(which reads the database, with pandas and SQLAlchemy) on first use, so that the herd
simulation does not load them.
"""

from capra._lazy import lazy_exports
from capra.lactation.breed import N_PARITY_CLASSES, LactationCurves, parity_class
from capra.lactation.curves import (
    MODEL_PARAMETERS,
    WILMINK_K_PER_DAY,
    wilmink,
    wilmink_total,
    wood,
    wood_extended,
    wood_extended_total,
    wood_peak_day,
    wood_peak_yield,
    wood_persistency,
    wood_total,
)
from capra.lactation.fit import GOAT_BOUNDS, LactationFit, fit_lactation

_RECORDS = ("CurveFit", "LactationFits", "doe_lactations", "fit_does", "fit_lactations",
            "lactation_overrides", "scenario_with_fits", "write_breed_overrides")
__getattr__, _dir, _records = lazy_exports(__name__, dict.fromkeys(_RECORDS,
                                                                   "capra.lactation.records"))

__all__ = [
    "GOAT_BOUNDS", "MODEL_PARAMETERS", "N_PARITY_CLASSES", "WILMINK_K_PER_DAY",
    "LactationCurves", "LactationFit", "fit_lactation", "parity_class",
    "wilmink", "wilmink_total", "wood", "wood_extended", "wood_extended_total",
    "wood_peak_day", "wood_peak_yield", "wood_persistency", "wood_total",
    *_records,
]


def __dir__():
    return sorted(set(globals()) | set(__all__))
