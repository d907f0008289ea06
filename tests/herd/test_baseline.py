"""Fixed-seed regression baseline: catches unintended changes of the herd model's numbers.

After an intended change, refresh with ``python scripts/refresh_herd_baseline.py``.
"""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "refresh_herd_baseline", ROOT / "scripts" / "refresh_herd_baseline.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fixed_seed_run_matches_the_baseline():
    script = _load_script()
    expected = json.loads(script.BASELINE.read_text())
    got = script.baseline_figures()
    assert got["settings"] == expected["settings"]
    assert got["final_head_by_farm"] == expected["final_head_by_farm"]
    for name, values in expected["totals"].items():
        assert got["totals"][name] == pytest.approx(values, rel=1e-5), name
