"""Settings shared by the whole test suite."""

import os

import pytest
from hypothesis import settings

from pg_databases import PG_ENV, PgDatabases
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


@pytest.fixture(scope="session")
def pg_databases():
    """The test databases on the PostgreSQL server of ``CAPRA_TEST_POSTGRES_URL``
    (:class:`pg_databases.PgDatabases`); the tests that ask for it are skipped without
    one."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server to test against "
                    "(.ci/run installs and starts one)")
    dbs = PgDatabases(base)
    yield dbs
    dbs.close()


# ---- running on several cores (pytest-xdist, `-n 2` in pyproject.toml) ------------------

#: The test modules that take longest (measured with ``--durations=0``), run first: the
#: long ones then overlap instead of one of them ending the run alone.
SLOW_FIRST = (
    "test_cli.py",                               # one planned `capra run`
    "web/test_browser.py",                       # Chromium; one plan run from the page
    "herd/test_mean_path_vs_simulation.py",      # 500 replicates of three years
    "store/test_io.py",
    "herd/test_simulate.py",
)


def pytest_collection_modifyitems(config, items):
    tests = config.rootpath / "tests"
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}

    def order(item):
        try:
            name = item.path.relative_to(tests).as_posix()
        except ValueError:
            name = ""
        return rank.get(name, len(rank))

    items.sort(key=order)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Each worker takes whole test modules (their module- and session-scoped fixtures are
    built once, not once per worker), and all the web tests (they share one records
    database with a finished plan, the ``web_db`` fixture)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/web/"):
                return "tests/web"
            return nodeid.split("::", 1)[0]

    return ByModule(config, log)
