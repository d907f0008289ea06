"""HTML report of a herd and milk simulation (figures and tables in one file)."""

from capra.report.html import write_report

__all__ = ["write_report"]
