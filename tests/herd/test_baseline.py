"""Fixed-seed regression baselines: catch unintended changes of the herd model's numbers.

After an intended change, refresh with ``python scripts/refresh_herd_baseline.py``.
``baseline_nampo.json`` was written before health, transport, buck rotation and parameter
uncertainty were added; that its numbers still come out shows that these, switched off,
change nothing.
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


def _check(expected: dict, got: dict) -> None:
    assert got["settings"] == expected["settings"]
    assert got["final_head_by_farm"] == expected["final_head_by_farm"]
    for name, values in expected["totals"].items():
        assert got["totals"][name] == pytest.approx(values, rel=1e-5), name


def test_fixed_seed_run_matches_the_baseline():
    script = _load_script()
    _check(json.loads(script.BASELINE.read_text()), script.baseline_figures())


def test_fixed_seed_run_with_health_and_uncertainty_matches_its_baseline():
    script = _load_script()
    _check(json.loads(script.BASELINE_FULL.read_text()), script.full_baseline_figures())
