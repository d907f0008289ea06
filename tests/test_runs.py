"""The library entry point: capra.run, capra.simulate, capra.plan, capra.load_scenario."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import capra
from capra.errors import ArgumentError, CapraError, ScenarioError

HEAVY = ("pandas", "scipy", "sqlalchemy", "numpy", "xarray", "matplotlib", "pydantic")


def test_import_capra_loads_no_heavy_library():
    """`import capra` and reaching its entry points load none of the heavy libraries;
    the work loads them when it starts."""
    code = f"""
import sys
import capra
names = [capra.run, capra.simulate, capra.plan, capra.load_scenario, capra.Run,
         capra.DEFAULT_REPLICATES]
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
print(sorted(capra.__all__))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    loaded, names = res.stdout.splitlines()
    assert loaded == "[]"
    assert names == str(sorted(["DEFAULT_REPLICATES", "Run", "load_scenario", "plan", "run",
                                "simulate"]))


def test_one_default_of_replicates_everywhere():
    import inspect

    from typer.main import get_command

    from capra.cli import app

    assert capra.DEFAULT_REPLICATES == 100
    for function in (capra.run, capra.simulate, capra.plan):
        assert inspect.signature(function).parameters["replicates"].default == 100
    commands = get_command(app).commands
    for name in ("run", "simulate", "plan"):
        option = next(p for p in commands[name].params if p.name == "replicates")
        assert option.default == 100, name


# Each call fails before any work, with an error that names what it expects.
REFUSED = [
    (lambda: capra.simulate(42), ScenarioError, "bundled scenario name, the path"),
    (lambda: capra.run(None), ScenarioError, "got NoneType None"),
    (lambda: capra.plan(["nampo"]), ScenarioError, "got list"),
    (lambda: capra.load_scenario(3.5), ScenarioError, "got float 3.5"),
    (lambda: capra.load_scenario("nampoo"), ScenarioError, "nampo"),
    (lambda: capra.simulate("nampo", replicates=0), ArgumentError, "replicates: .* >= 1"),
    (lambda: capra.simulate("nampo", replicates=2.5), ArgumentError, "whole number"),
    (lambda: capra.simulate("nampo", replicates=True), ArgumentError, "whole number"),
    (lambda: capra.simulate("nampo", seed="1"), ArgumentError, "seed"),
    (lambda: capra.simulate("nampo", batch_size=0), ArgumentError, "batch_size"),
    (lambda: capra.run("nampo", engine="gpu"), ArgumentError,
     "unknown engine 'gpu'; expected one of serial, threads, processes, dask"),
    (lambda: capra.run("nampo", plan="yes"), ArgumentError, "plan: expected True or False"),
    (lambda: capra.run("nampo", quantile=1.5), ArgumentError, "quantile"),
    (lambda: capra.run("nampo", futures=0), ArgumentError, "futures"),
    (lambda: capra.run("nampo", enrolment=-1), ArgumentError, "enrolment"),
    (lambda: capra.run("nampo", herd=7), ArgumentError, "herd: expected a HerdResult"),
    (lambda: capra.plan("nampo", opening_stock=object()), ArgumentError, "from_stock=True"),
]


@pytest.mark.parametrize("call, error, match", REFUSED,
                         ids=[m for _, _, m in REFUSED])
def test_entry_points_refuse_other_forms(call, error, match, monkeypatch):
    import importlib

    def never(*args, **kwargs):
        raise AssertionError("the herd was simulated before the arguments were checked")

    monkeypatch.setattr(importlib.import_module("capra.herd.simulate"), "simulate", never)
    with pytest.raises(error, match=match) as info:
        call()
    assert isinstance(info.value, CapraError)


def test_simulate_takes_a_bundled_name_a_path_or_a_scenario(tmp_path, monkeypatch):
    import importlib

    from capra.scenario import bundled_scenario_path, load_scenario

    # the herd simulation is handed the same scenario whichever form names it (and
    # simulates its first 120 days here: the same numbers for the same scenario)
    module = importlib.import_module("capra.herd.simulate")
    real, seen = module.simulate, []

    def first_days(sc, **kwargs):
        seen.append(sc)
        return real(sc.model_copy(update={"horizon_days": 120}), **kwargs)

    monkeypatch.setattr(module, "simulate", first_days)
    by_name = capra.simulate("nampo", replicates=1, seed=3)
    path = tmp_path / "copy.toml"
    path.write_text(bundled_scenario_path("nampo").read_text())
    by_path = capra.simulate(path, replicates=1, seed=3)
    direct = capra.simulate(load_scenario("nampo"), replicates=1, seed=3)
    assert seen == [load_scenario("nampo")] * 3
    for result in (by_name, by_path):
        assert result.scenario.name == "nampo"
        np.testing.assert_array_equal(result.data["milk_kg"].values,
                                      direct.data["milk_kg"].values)
    monkeypatch.undo()
    steps = []
    capra.simulate(direct.scenario.model_copy(update={"horizon_days": 40}), replicates=2,
                   progress=lambda *a: steps.append(a))
    assert steps[0] == ("herd", 0, 80) and steps[-1] == ("herd", 80, 80)
