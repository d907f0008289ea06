"""Settings shared by the whole test suite."""

import os

import pytest
from hypothesis import settings

from shared_records import build_example_records

# On CI, property-based tests run the same examples every time (a failure found by a random
# run on a laptop is kept in the local example database and reproduced there).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def example_records(tmp_path_factory):
    """Two years of nampo example records, written and imported into SQLite once.

    Returns ``(folder, paths, db, import results)``; tests must not write to it.
    """
    return build_example_records(tmp_path_factory.mktemp("example-records"))
