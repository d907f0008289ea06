"""The example records that several test folders read (records store, lactation fitting,
growth monitoring, example generators): their seed, written and imported once per session
by the ``example_records`` fixture of ``tests/conftest.py``."""

from __future__ import annotations

#: Seed of the example records shared by the tests that read them.
EXAMPLE_SEED = 20240820


def build_example_records(folder):
    """Write the example records into ``folder`` and import them into ``folder/capra.db``.

    Returns ``(folder, paths, db, import results)``."""
    from capra.examples.records import import_records, write_example_records
    from capra.store.db import open_db

    paths = write_example_records(folder, seed=EXAMPLE_SEED)
    db = open_db(folder / "capra.db")
    results = import_records(db, folder)
    return folder, paths, db, results
