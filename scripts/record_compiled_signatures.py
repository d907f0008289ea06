"""Record the compiled functions of a herd simulation and their argument types, for the
first compile on a machine to be shared by two processes
(:func:`capra.compiled.compile_ahead`):

    python scripts/record_compiled_signatures.py

Run it after changing the types a compiled function of the herd takes (a test says
when the entry's have changed). It simulates the bundled scenario for a month with an
empty compile cache (a minute) and writes ``src/capra/data/compiled/herd.pkl``.
"""

from __future__ import annotations

import os
import tempfile

with tempfile.TemporaryDirectory() as cache:
    os.environ["NUMBA_CACHE_DIR"] = cache     # before numba is imported: nothing cached
    from capra.compiled import record_signatures
    from capra.herd.simulate import SIGNATURES, record_simulation

    record = record_signatures(SIGNATURES, record_simulation)
    seconds = sum(f[3] for f in record["functions"])
    print(f"{SIGNATURES}: {len(record['functions'])} functions ({seconds:.1f} s of compile "
          f"besides the entry's, {record['entry'][0]}.{record['entry'][1]})")
