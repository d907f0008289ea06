"""Generated bad scenarios: a located error or a valid scenario, never a traceback; and the
values validation accepts at its limits run.

Bounded (``max_examples``) so that the suite stays fast; derandomised on CI (the "ci"
profile of ``tests/conftest.py``). Each example starts from the bundled ``nampo`` scenario.
"""

from __future__ import annotations

import copy
import re
import tomllib
import typing
from datetime import date

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from capra import scenario as sc
from capra.errors import ScenarioError
from capra.scenario import bundled_scenario_path, load_scenario, scenario_from_dict

NAMPO = tomllib.loads(bundled_scenario_path("nampo").read_text(encoding="utf-8"))

#: A problem starts with its key path (``batches[0].animals[1].parity = 5: ...``).
LOCATED = re.compile(r"^[A-Za-z_]\w*(\[\d+\]|\.\w+)*( = |: )")


def _paths(doc, loc=()):
    """Key path of every value of a parsed TOML document (tables and arrays included)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield loc + (key,)
            yield from _paths(value, loc + (key,))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield loc + (i,)
            yield from _paths(value, loc + (i,))


PATHS = list(_paths(NAMPO))

VALUES = st.one_of(
    st.integers(min_value=-2**70, max_value=2**70),
    st.sampled_from([0, -1, 1, 2**15, 2**31, 2**63 - 1, 10**18, 3_000_000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e300, 1e-300, 1e21, -0.0, 0.5]),
    st.text(max_size=12),
    st.sampled_from(["", " ", "[/x]", "saanen", "female", "08-15", "02-30", "natural", "ai"]),
    st.booleans(),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    st.lists(st.floats(-2, 2, allow_nan=False), max_size=4),
    st.lists(st.integers(-3, 3), max_size=13),
    st.just({}), st.just([]), st.just([{}]), st.just({"x": 1}),
)


def _set(doc, path, value):
    *head, last = path
    for part in head:
        doc = doc[part]
    doc[last] = value


def _delete(doc, path):
    *head, last = path
    for part in head:
        doc = doc[part]
    del doc[last]


MUTATION = st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "set", "delete", "add"]),
                     VALUES)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_scenarios_give_a_located_error_or_a_scenario(tmp_path_factory, mutations):
    doc = copy.deepcopy(NAMPO)
    for path, action, value in mutations:
        try:
            if action == "set":
                _set(doc, path, value)
            elif action == "delete":
                _delete(doc, path)
            else:
                _set(doc, path[:-1] + ("unknown_key",), value)
        except (KeyError, IndexError, TypeError):
            continue                     # the path went away with an earlier mutation
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):      # not writable as TOML (e.g. an array of mixed types)
        event("not TOML")
        return
    path = tmp_path_factory.mktemp("fuzz") / "s.toml"
    path.write_text(text, encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError as err:
        assert str(err).startswith(f"file {path}")
        problems = err.problems or [str(err).split(": ", 1)[1]]
        for problem in problems:
            assert LOCATED.match(problem) or problem.startswith("TOML syntax error"), problem
        event("located error")
        return
    assert isinstance(scenario, sc.Scenario)
    event("valid scenario")


# ---- what validation accepts at its limits, a run takes -------------------------------

def _bounds(metadata, annotation) -> tuple | None:
    """Bounds of a number field (of its items, for an array), from its validators."""
    for meta in [*metadata, *getattr(annotation, "__metadata__", ())]:
        bounds = getattr(getattr(meta, "func", None), "bounds", None)
        if bounds is not None:
            return bounds
    for arg in typing.get_args(annotation):
        found = _bounds((), arg)
        if found is not None:
            return found
    return None


def _bounded(model: type) -> list[tuple[str, tuple]]:
    """(key, bounds) of the bounded numbers of ``model``."""
    found = [(key, _bounds(f.metadata, f.annotation)) for key, f in model.model_fields.items()]
    return [(key, b) for key, b in found if b is not None and b[1] is not None]


SECTIONS = [  # (key path in the scenario, model); sizes of herds kept small for speed
    (("breed_overrides", "reproduction"), sc.Reproduction),
    (("breed_overrides", "mortality"), sc.Mortality),
    (("breed_overrides", "lactation"), sc.BreedLactation),
    (("policy", "replacement"), sc.Replacement),
    (("policy", "culling"), sc.Culling),
    (("policy", "lactation"), sc.LactationPolicy),
]
# (arrays of probabilities that must sum to 1 are left as they are)
LIMITS = [(loc, key, bounds) for loc, model in SECTIONS for key, bounds in _bounded(model)
          if key not in ("seasonal_activity", "litter_size_probabilities_parity1",
                         "litter_size_probabilities_parity2plus")]


def _value_at(bounds, where: float, integer: bool):
    lo, hi, lo_open, _ = bounds
    if integer:
        return int(round(lo + (hi - lo) * where))
    value = lo + (hi - lo) * where
    return value if not (lo_open and value <= lo) else lo + (hi - lo) * 1e-6


@pytest.mark.filterwarnings("error::RuntimeWarning")     # a NaN made on the way fails
@settings(max_examples=10, deadline=None)
@given(choices=st.lists(st.tuples(st.sampled_from(LIMITS),
                                  st.sampled_from([0.0, 1.0, 1e-6, 0.5])),
                        min_size=1, max_size=6))
def test_values_validation_accepts_at_its_limits_run(choices):
    """A scenario that validates simulates without an error and with finite results (the
    run used to fail on values validation let through, or to write NaN)."""
    from capra.console import _finite
    from capra.herd.simulate import simulate

    doc = copy.deepcopy(NAMPO)
    doc["horizon_days"] = 200                      # the first batch only: about 0.1 s
    doc["batches"] = doc["batches"][:1]
    for (loc, key, bounds), where in choices:
        field = dict(SECTIONS)[loc].model_fields[key]
        integer = field.annotation is int or typing.get_args(field.annotation)[:1] == (int,)
        value = _value_at(bounds, where, integer)
        if key in ("wood_a", "wood_b", "wood_c"):
            value = [float(value)] * 3
        section = doc
        for part in loc:
            section = section.setdefault(part, {})
        section[key] = value
    try:
        scenario = scenario_from_dict(doc)
    except ScenarioError as err:                   # a cross-field rule (e.g. min <= max)
        assert all(LOCATED.match(p) for p in err.problems or [str(err)]), str(err)
        event("located error")
        return
    event("simulated")
    summary = simulate(scenario, replicates=1, seed=0).summary_dict()
    not_finite: list[str] = []
    _finite(summary, "", not_finite)
    assert not_finite == [] and summary["milk"]["kg_per_year"]["p50"] >= 0


def test_the_limits_cover_every_section():
    assert {loc for loc, _, _ in LIMITS} == {loc for loc, _ in SECTIONS}
    assert len(LIMITS) > 35
