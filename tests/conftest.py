"""Settings shared by the whole test suite."""

import os

from hypothesis import settings

# On CI, property-based tests run the same examples every time (a failure found by a random
# run on a laptop is kept in the local example database and reproduced there).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
