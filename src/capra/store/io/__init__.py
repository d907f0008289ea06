"""Imports, exports and templates of the records: CSV, XLSX and Parquet.

Every kind of record (:data:`KINDS`: farms, sites, batches, animals, events, test_days,
product_batches, deliveries, children, measurements) has a file layout
(:mod:`~capra.store.io.kinds`). An import (:mod:`~capra.store.io.imports`) reads a file
(:mod:`~capra.store.io.files`), validates every row (:mod:`~capra.store.io.validate`),
checks the integrity rules against the records (:mod:`~capra.store.io.rules`) and writes
the new rows in bulk (:mod:`~capra.store.io.bulk`) in one transaction, all-or-nothing or
with a rejects file. Exports (:mod:`~capra.store.io.exports`) write the records back in
the same layouts.

The public names below are imported on first use.
"""

from capra._lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(("FORMATS", "as_text_table", "read_table", "write_table"),
                    "capra.store.io.files"),
    **dict.fromkeys(("KINDS", "Field", "Kind", "describe", "template"), "capra.store.io.kinds"),
    **dict.fromkeys(("ImportResult", "RowsRejectedError", "import_file", "import_frame",
                     "rejected_rows"), "capra.store.io.imports"),
    **dict.fromkeys(("export_frame", "export_table"), "capra.store.io.exports"),
    "YEAR_RANGE": "capra.store.io.validate",
}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
