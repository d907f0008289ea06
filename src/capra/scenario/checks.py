"""Checks that span the sections of a scenario: names unique across farms, batches,
plants and sites; every reference (batch destinations and arrival places, site
calendars, routes, opening stock) pointing at something defined; dates inside the
simulated days.

They run on the validated :class:`~capra.scenario.model.Scenario` and, when some field
failed, on the raw TOML table (through :func:`~capra.scenario.fields._get`), so that one
report lists every problem of a file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from pydantic import BaseModel

from capra.scenario.fields import (
    _MISSING,
    Loc,
    Problem,
    _add_days,
    _get,
    _items,
    _key_path,
    _norm,
    _problem,
    _show,
    _suggest,
    _too_many,
)
from capra.scenario.health import health_problems
from capra.scenario.limits import (
    MAX_BATCHES,
    MAX_FARMS,
    MAX_HORIZON_DAYS,
    MAX_REPEATABLE_DAYS,
    SAME_PLACE_DEGREES,
)


def scenario_problems(data: object) -> list[Problem]:
    """Every cross-section problem of a scenario (a model or a raw table)."""
    problems: list[Problem] = health_problems(data)
    farms = _items(data, "farms")
    problems += _too_many(farms, "farms", MAX_FARMS)
    problems += _too_many(_items(data, "batches"), "batches", MAX_BATCHES)
    names: list[str | None] = [_get(f, "name", str) for f in farms]
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        if name is None:
            continue
        key = _norm(name)
        if key in first:
            j = first[key]
            if names[j] == name:
                problems.append(_problem(("farms", i, "name"), name,
                                 f"duplicate farm name (also farms[{j}].name); "
                                 "expected unique names"))
            else:
                problems.append(_problem(("farms", i, "name"), name,
                                 f"differs from farms[{j}].name = {_show(names[j])} "
                                 "only by case or spaces; expected clearly different "
                                 "names"))
        else:
            first[key] = i
    farm_by_name = {name: farm for name, farm in zip(names, farms, strict=True)
                    if name is not None}

    start = _get(data, "start_date", date)
    horizon = _get(data, "horizon_days", int)
    end = (_add_days(start, horizon - 1) if start is not None and horizon is not None
           and 1 <= horizon <= MAX_HORIZON_DAYS else None)
    batch_first: dict[str, int] = {}
    stations: dict[str, tuple[int, float, float]] = {}
    for i, batch in enumerate(_items(data, "batches")):
        bname = _get(batch, "name", str)
        if bname is not None:
            if bname in batch_first:
                problems.append(_problem(("batches", i, "name"), bname,
                                 f"duplicate batch name (also batches[{batch_first[bname]}]"
                                 "); expected unique names"))
            batch_first.setdefault(bname, i)
        if farm_by_name:
            for k, dest in enumerate(_items(batch, "destinations")):
                if isinstance(dest, str) and dest not in farm_by_name:
                    hint = _suggest(dest, farm_by_name)
                    problems.append((
                        ("batches", i, "destinations", k), dest,
                        "not a farm of this scenario; expected one of "
                        + ", ".join(_show(n) for n in farm_by_name)
                        + (f"; did you mean {_show(hint)}?" if hint else "")))
        arrival = _get(batch, "arrival_date", date)
        if arrival is not None and start is not None and arrival < start:
            problems.append(_problem(("batches", i, "arrival_date"), arrival,
                             f"before the scenario start_date = {_show(start)}; expected "
                             f"a date from {_show(start)} to {_show(end or start)}"))
        elif arrival is not None and end is not None and arrival > end:
            problems.append(_problem(("batches", i, "arrival_date"), arrival,
                             f"after the last simulated day {_show(end)} (start_date + "
                             f"horizon_days - 1); expected a date from {_show(start)} to "
                             f"{_show(end)}"))
        problems.extend(_place_problems(i, batch, farm_by_name, stations))
    problems.extend(_planning_problems(data, list(farm_by_name), start, end))
    return problems


def _place_problems(i: int, batch: object, farm_by_name: dict[str, object],
                    stations: dict[str, tuple[int, float, float]]) -> list[Problem]:
    """An arrival place is a farm (written exactly) or a distinct quarantine station."""
    place = _get(batch, "arrival_place", str)
    if place is None:
        return []
    number = (int, float)
    lat = _get(batch, "arrival_latitude", number)
    lon = _get(batch, "arrival_longitude", number)
    if place in farm_by_name:
        farm = farm_by_name[place]
        flat, flon = _get(farm, "latitude", number), _get(farm, "longitude", number)
        if None not in (lat, lon, flat, flon) and (
                abs(lat - flat) > SAME_PLACE_DEGREES or abs(lon - flon) > SAME_PLACE_DEGREES):
            return [_problem(("batches", i, "arrival_place"), place,
                     f"is a farm at ({_show(flat)}, {_show(flon)}) but the batch gives "
                     f"arrival coordinates ({_show(lat)}, {_show(lon)}); expected the "
                     "farm's coordinates or none")]
        return []
    similar = [name for name in farm_by_name if _norm(name) == _norm(place)]
    if similar:
        return [_problem(("batches", i, "arrival_place"), place,
                 f"differs from farm {_show(similar[0])} only by case or spaces; expected "
                 "the farm name written exactly (quarantine on that farm) or a clearly "
                 "different quarantine station name")]
    if lat is None or lon is None:
        return []
    if place in stations:
        j, slat, slon = stations[place]
        if abs(lat - slat) > SAME_PLACE_DEGREES or abs(lon - slon) > SAME_PLACE_DEGREES:
            return [_problem(("batches", i, "arrival_place"), place,
                     f"has coordinates ({_show(lat)}, {_show(lon)}) but batches[{j}] "
                     f"puts it at ({_show(slat)}, {_show(slon)}); expected one place "
                     "per name")]
        return []
    stations[place] = (i, lat, lon)
    return []



def _unique_names(items: list, key: str, seen: dict[str, Loc]) -> list[Problem]:
    """Names of ``items`` (under ``key``) unique among themselves and against ``seen``."""
    problems: list[Problem] = []
    for i, item in enumerate(items):
        name = _get(item, "name", str)
        if name is None:
            continue
        if name in seen:
            problems.append(_problem((key, i, "name"), name,
                             f"name already used by {_key_path(seen[name])}; expected a "
                             "name unique among farms, plants and sites"))
        else:
            seen[name] = (key, i)
    return problems


def _unknown_ref(loc: Loc, name: str, choices: Sequence[str], what: str) -> Problem:
    hint = _suggest(name, choices)
    listed = ", ".join(_show(n) for n in choices) or "none defined"
    return _problem(loc, name, f"not {what} of this scenario; expected one of {listed}"
                    + (f"; did you mean {_show(hint)}?" if hint else ""))


def _planning_problems(data: object, farms: list[str], start: date | None,
                       end: date | None) -> list[Problem]:
    """Cross-checks of the planning sections: names, calendar and route references, dates."""
    problems: list[Problem] = []
    calendars = _items(data, "calendars")
    calendar_first: dict[str, int] = {}
    for i, cal in enumerate(calendars):
        name = _get(cal, "name", str)
        if name is None:
            continue
        if name in calendar_first:
            problems.append(_problem(("calendars", i, "name"), name,
                             f"duplicate calendar name (also calendars"
                             f"[{calendar_first[name]}]); expected unique names"))
        calendar_first.setdefault(name, i)
    calendar_names = list(calendar_first)
    seen: dict[str, Loc] = {name: ("farms", k) for k, name in enumerate(farms)}
    plants, sites = _items(data, "plants"), _items(data, "sites")
    problems += _unique_names(plants, "plants", seen)
    problems += _unique_names(sites, "sites", seen)
    plant_names = [n for n in (_get(p, "name", str) for p in plants) if n is not None]
    site_names = [n for n in (_get(s, "name", str) for s in sites) if n is not None]
    farm_set, plant_set, site_set = set(farms), set(plant_names), set(site_names)
    for i, site in enumerate(sites):
        cal = _get(site, "calendar", str)
        if cal is not None and cal not in calendar_first:
            problems.append(_unknown_ref(("sites", i, "calendar"), cal, calendar_names,
                                         "a calendar ([[calendars]])"))
    transport = _get(data, "transport", (Mapping, BaseModel))
    links: dict[tuple[str, str], int] = {}
    for i, route in enumerate(_items(transport, "routes")):
        origin = _get(route, "origin", str)
        dest = _get(route, "destination", str)
        loc = ("transport", "routes", i)
        if origin is None or dest is None:
            continue
        if origin in farm_set:
            if dest not in plant_set:
                problems.append(_unknown_ref(loc + ("destination",), dest, plant_names,
                                             "a plant (raw milk goes from a farm to a plant)"))
        elif origin in plant_set:
            if dest not in site_set:
                problems.append(_unknown_ref(loc + ("destination",), dest, site_names,
                                             "a site (products go from a plant to a site)"))
        else:
            problems.append(_unknown_ref(loc + ("origin",), origin, farms + plant_names,
                                         "a farm or a plant"))
            continue
        if (origin, dest) in links:
            problems.append(_problem(loc, _MISSING,
                             f"route {_show(origin)} -> {_show(dest)} given twice (also "
                             f"transport.routes[{links[origin, dest]}]); expected each "
                             "route once"))
        links.setdefault((origin, dest), i)
    settings = _get(data, "planning", (Mapping, BaseModel))
    stock = _items(settings, "opening_stock")
    if stock and _get(settings, "year", str, "repeatable") != "from_stock":
        problems.append(_problem(("planning", "opening_stock"), _MISSING,
                         "an opening stock is only used by a plan from today's stock; "
                         "expected planning.year = \"from_stock\" or no opening_stock"))
    for i, item in enumerate(stock):
        plant = _get(item, "plant", str)
        if plant is not None and plant not in plant_set:
            problems.append(_unknown_ref(("planning", "opening_stock", i, "plant"), plant,
                                         plant_names, "a plant ([[plants]])"))
    first = _get(settings, "start_date", date)
    if first is not None and start is not None and end is not None:
        if not start <= first <= end:
            problems.append(_problem(("planning", "start_date"), first,
                             f"outside the simulated days; expected a date from "
                             f"{_show(start)} to {_show(end)}"))
        else:
            warmup = _get(settings, "warmup_days", int, 0)
            if warmup > (first - start).days:
                problems.append(_problem(("planning", "warmup_days"), warmup,
                                 f"reaches before the scenario start_date = {_show(start)}; "
                                 f"expected at most {(first - start).days} days"))
            days = _get(settings, "days", int)
            if days is not None and days - 1 > (end - first).days:
                problems.append(_problem(("planning", "days"), days,
                                 f"runs past the last simulated day {_show(end)}; expected "
                                 f"at most {(end - first).days + 1} days"))
    if start is not None and end is not None \
            and _get(settings, "year", str, "repeatable") == "repeatable":
        planned_from = first if first is not None and start <= first <= end \
            else max(end - timedelta(days=364), start)
        days = _get(settings, "days", int)
        count = days if days is not None else (end - planned_from).days + 1
        if count > MAX_REPEATABLE_DAYS:
            key = "days" if days is not None else "start_date"
            problems.append(_problem(("planning", key), days if days is not None else first,
                             f"a repeatable year of {count} planned days; expected at most "
                             f"{MAX_REPEATABLE_DAYS} (or planning.year = \"from_stock\", "
                             "which is planned in windows)"))
    return problems
