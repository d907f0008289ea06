"""HTML reports: the herd and milk report (with its plan) and the parts every report is
made of (:mod:`capra.report.parts`). Public names are imported on first use."""

from capra._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(("render_report", "write_report"), "capra.report.html"),
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
