"""The same seed gives the same herd to the bit on every kind of processor.

NumPy computes ``exp``, ``log1p``, ``power`` and others with vector code of its own on
processors that have it (AVX2, AVX-512), which differs from the C library in the last bit
for a few per cent of arguments; workers of a Dask cluster on different processors would
then give different numbers. The herd's parameters and daily rules use the C library's
functions (:mod:`capra.libm`). Checked by running the same computations with NumPy's
vector code turned off (``NPY_DISABLE_CPU_FEATURES``), as on a processor without it.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

#: Every output of the computations below, saved to the file given as argument.
SCRIPT = r"""
import dataclasses, sys
import numpy as np
sys.path.insert(0, {tests!r})
from herd_scenarios import build, nampo_dict
from capra.herd.params import compile_params
from capra.herd.simulate import simulate
from capra.herd.uncertainty import ParameterDraws

out = {{}}

def walk(name, value):
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        out[name] = value
    elif isinstance(value, float):
        out[name] = np.array(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            walk(f"{{name}}.{{f.name}}", getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            walk(f"{{name}}[{{k}}]", v)
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            walk(f"{{name}}[{{i}}]", v)

scenario = build(nampo_dict())
params = compile_params(scenario)
walk("params", params)
walk("draws", ParameterDraws.of(scenario).batch(params, [0, 1, 2], 5))
result = simulate(scenario, 3, seed=5)
for k, v in result.data.data_vars.items():
    out["simulate." + k] = np.asarray(v.values)
np.savez(sys.argv[1], **out)
"""


def _run(path, env):
    tests = os.path.dirname(os.path.abspath(__file__))
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(tests=tests), str(path)],
                         env=env, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return np.load(path)


@pytest.mark.skipif(not (__cpu_features__.get("AVX2") or __cpu_features__.get("AVX512F")),
                    reason="NumPy has no vector code to turn off on this processor")
def test_the_herd_is_the_same_without_numpys_vector_code(tmp_path):
    env = dict(os.environ)
    env.pop("NPY_DISABLE_CPU_FEATURES", None)
    usual = _run(tmp_path / "usual.npz", env)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(__cpu_dispatch__)
    plain = _run(tmp_path / "plain.npz", env)
    assert usual.files == plain.files and len(usual.files) > 100
    differ = [k for k in usual.files if not np.array_equal(usual[k], plain[k], equal_nan=True)]
    assert not differ, f"{len(differ)} outputs differ: {differ}"
