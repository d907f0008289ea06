"""The kinds of record and their file layouts: one column per field, records referred to by
their natural key (a farm by ``name``, an animal by ``tag``, a product batch by ``code``, a
child by ``code``), dates as ``YYYY-MM-DD``.

:data:`KINDS` holds every kind, in the order to import them, with its table, fields,
natural key (its integrity rules are :mod:`capra.store.io.rules`); :func:`describe` and
:func:`template` document a layout.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Table

from capra.errors import DataError
from capra.scenario import PRODUCTS
from capra.spreadsheet import write_csv, write_xlsx
from capra.store import schema as S

__all__ = ["INT_MAX", "KINDS", "REF_KEYS", "Field", "Kind", "describe", "get_kind", "template"]

#: Largest integer a column holds (32-bit signed). [-]
INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Field:
    """One column of an import file."""

    name: str
    type: str
    """``text``, ``int``, ``float``, ``date``, ``bool``, ``choice`` or ``ref``."""
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    ref: str | None = None
    """Kind referred to by its natural key (``ref`` fields)."""
    default: object = None
    max_len: int = 100
    column: str | None = None
    export: bool = True
    multiline: bool = False
    """Free text that may hold line breaks (other text is one line)."""

    @property
    def db(self) -> str:
        """Column of the table that stores it."""
        if self.column:
            return self.column
        return f"{self.name}_id" if self.type == "ref" else self.name

    def describe(self) -> str:
        """Accepted values, for messages and templates."""
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        if self.type == "ref":
            return f"the {REF_KEYS[self.ref]} of a recorded {self.ref[:-1].replace('_', ' ')}"
        if self.type == "date":
            return "a date YYYY-MM-DD"
        if self.type == "bool":
            return "true or false"
        if self.type in ("int", "float"):
            what = "an integer" if self.type == "int" else "a number"
            if self.lo is not None and self.hi is not None:
                return f"{what} in [{self.lo:g}, {self.hi:g}]"
            if self.lo is not None:
                return f"{what} >= {self.lo:g}"
            return what
        return f"text of at most {self.max_len} characters"


@dataclass(frozen=True)
class Kind:
    """A kind of record: its table, file layout and natural key."""

    name: str
    table: Table
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    help: str

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def export_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.export)


#: Natural key column of each kind that others refer to.
REF_KEYS = {"farms": "name", "sites": "name", "batches": "name", "animals": "tag",
            "product_batches": "code", "children": "code"}

_LAT = dict(lo=-90, hi=90)
_LON = dict(lo=-180, hi=180)


def _f(name, type_, required=False, help="", **kw) -> Field:
    return Field(name, type_, required, help, **kw)


_FARMS = (
    _f("name", "text", True, "Farm or quarantine station name, unique."),
    _f("kind", "choice", False, "farm or quarantine.", choices=S.FARM_KINDS, default="farm"),
    _f("district", "text", help="District or county."),
    _f("capacity_head", "int", help="Places for adult goats. [head]", lo=0, hi=INT_MAX),
    _f("latitude", "float", help="[degrees north]", **_LAT),
    _f("longitude", "float", help="[degrees east]", **_LON),
)
_SITES = (
    _f("name", "text", True, "Site name, unique."),
    _f("kind", "choice", False, "Kind of site.", choices=S.SITE_KINDS, default="kindergarten"),
    _f("district", "text", help="District or county."),
    _f("latitude", "float", help="[degrees north]", **_LAT),
    _f("longitude", "float", help="[degrees east]", **_LON),
)
_BATCHES = (
    _f("name", "text", True, "Consignment name or number, unique."),
    _f("origin", "text", help="Where the animals come from.", max_len=200),
    _f("certificate", "text", help="Veterinary certificate number."),
    _f("certificate_date", "date", help="Date of the veterinary certificate."),
    _f("arrival_date", "date", True, "Arrival date."),
    _f("arrival_farm", "ref", True, "Farm or quarantine station of arrival.", ref="farms"),
    _f("quarantine_days", "int", help="Quarantine length. [days]", lo=0, hi=3650, default=0),
    _f("head_count", "int", help="Animals on the certificate. [head]", lo=0, hi=INT_MAX),
)
_ANIMALS = (
    _f("tag", "text", True, "Ear tag, unique in the records.", max_len=50),
    _f("sex", "choice", True, "female or male (f, m).", choices=S.SEXES),
    _f("breed", "text", help="Breed.", default="Saanen", max_len=50),
    _f("birth_date", "date", help="Birth date (or give age_months)."),
    _f("birth_date_estimated", "bool", help="The birth date is an estimate.", default=False),
    _f("age_months", "float", help="Estimated age at entry, when the birth date is "
       "unknown. [months]", lo=0, hi=300, export=False),
    _f("origin", "choice", help="birth (born on a farm) or arrival (with a batch); "
       "default: arrival if batch is given.", choices=S.ANIMAL_ORIGINS),
    _f("batch", "ref", help="Batch it arrived with.", ref="batches"),
    _f("farm", "ref", help="Farm of birth or arrival; default: the batch's arrival farm.",
       ref="farms"),
    _f("entry_date", "date", help="Birth or arrival date; default: the birth date or the "
       "batch's arrival date."),
    _f("dam", "ref", help="Tag of the dam.", ref="animals"),
    _f("sire", "ref", help="Tag of the sire.", ref="animals"),
    _f("parity", "int", help="Kiddings before entry.", lo=0, hi=20, default=0,
       column="entry_parity"),
    _f("last_parturition_date", "date", help="Last kidding before entry.",
       column="entry_last_parturition_date"),
    _f("expected_parturition_date", "date", help="Expected kidding, if pregnant at entry.",
       column="entry_expected_parturition_date"),
    _f("lactating", "bool", help="In milk at entry.", default=False, column="entry_lactating"),
)
_EVENTS = (
    _f("animal", "ref", True, "Tag of the animal.", ref="animals"),
    _f("date", "date", True, "Date of the event."),
    _f("type", "choice", True, "Event type (ICAR names).", choices=S.EVENT_TYPES),
    _f("farm", "ref", help="Where the animal is after the event (a transfer's "
       "destination: required for transfers).", ref="farms"),
    _f("from_farm", "ref", help="A transfer's origin (transfers only).", ref="farms"),
    _f("reason", "choice", help="Death reason (ICAR icarDeathReasonType) or departure "
       "reason (icarDepartureReasonType).",
       choices=tuple(dict.fromkeys(S.DEATH_REASONS + S.DEPARTURE_REASONS))),
    _f("departure_kind", "choice", help="Departures: ICAR icarDepartureKindType.",
       choices=S.DEPARTURE_KINDS),
    _f("litter_size", "int", help="Parturitions: kids born, alive or dead. [kids]", lo=1, hi=8),
    _f("live_kids", "int", help="Parturitions: kids born alive. [kids]", lo=0, hi=8),
    _f("method", "choice", help="Insemination method or pregnancy-check method (ICAR).",
       choices=S.INSEMINATION_METHODS + S.PREGNANCY_METHODS),
    _f("sire", "ref", help="Inseminations: tag of the buck.", ref="animals"),
    _f("result", "choice", help="Pregnancy checks: ICAR icarReproPregnancyResultType.",
       choices=S.PREGNANCY_RESULTS),
    _f("expected_parturition_date", "date", help="Expected kidding date."),
    _f("product", "text", help="Treatments: medicine given."),
    _f("withdrawal_days", "int", help="Treatments: milk withdrawal after the treatment day. "
       "[days]", lo=0, hi=365),
    _f("note", "text", help="Free text.", max_len=2000, multiline=True),
)
_TEST_DAYS = (
    _f("animal", "ref", True, "Tag of the doe.", ref="animals"),
    _f("date", "date", True, "Test day."),
    _f("milk_kg", "float", True, "Milk in 24 hours. [kg/day]", lo=0, hi=20),
    _f("fat_pct", "float", help="Fat. [% by mass]", lo=0, hi=20),
    _f("protein_pct", "float", help="Protein. [% by mass]", lo=0, hi=20),
    _f("somatic_cells_k", "int", help="Somatic cell count. [1000 cells/mL]", lo=0, hi=INT_MAX),
    _f("milkings", "int", help="Milkings per day.", lo=1, hi=4),
)
_PRODUCT_BATCHES = (
    _f("code", "text", True, "Lot code, unique.", max_len=50),
    _f("product", "choice", True, "Product.", choices=PRODUCTS),
    _f("farm", "ref", help="Farm whose milk was used.", ref="farms"),
    _f("plant", "text", help="Dairy plant."),
    _f("production_date", "date", True, "Day it was made."),
    _f("expiry_date", "date", True, "Last day it may be served."),
    _f("quantity_kg", "float", True, "Quantity. [kg product]", lo=0.001, hi=1e9),
    _f("milk_kg", "float", help="Raw milk used. [kg milk]", lo=0, hi=1e9),
)
_DELIVERIES = (
    _f("product_batch", "ref", True, "Lot code.", ref="product_batches"),
    _f("site", "ref", True, "Site name.", ref="sites"),
    _f("date", "date", True, "Delivery date."),
    _f("quantity_kg", "float", True, "Quantity. [kg product]", lo=0.001, hi=1e9),
    _f("servings", "int", help="Child rations. [-]", lo=0, hi=INT_MAX),
)
_CHILDREN = (
    _f("code", "text", True, "Pseudonymous code, unique (no names).", max_len=50),
    _f("sex", "choice", True, "female or male (f, m).", choices=S.SEXES),
    _f("birth_date", "date", True, "Birth date."),
    _f("site", "ref", True, "Site name.", ref="sites"),
)
_MEASUREMENTS = (
    _f("child", "ref", True, "Child code.", ref="children"),
    _f("date", "date", True, "Measurement date."),
    _f("weight_kg", "float", help="Weight. [kg]", lo=0.1, hi=149.9),
    _f("height_cm", "float", help="Length or height. [cm]", lo=10, hi=249.9),
    _f("measured", "choice", help="l lying, h standing.", choices=S.MEASURE_POSITIONS),
    _f("muac_cm", "float", help="Mid-upper arm circumference. [cm]", lo=1, hi=59.9),
    _f("oedema", "bool", help="Bilateral pitting oedema.", default=False),
)


def _k(name, fields, key, help) -> Kind:
    return Kind(name, S.metadata.tables[name], fields, key, help)


#: Every kind of record that can be imported and exported, in the order to import them.
KINDS: dict[str, Kind] = {k.name: k for k in (
    _k("farms", _FARMS, ("name",), "Farms and quarantine stations."),
    _k("sites", _SITES, ("name",), "Schools, kindergartens and nurseries."),
    _k("batches", _BATCHES, ("name",), "Consignments of animals with their veterinary "
       "certificates."),
    _k("animals", _ANIMALS, ("tag",), "Goats: identity, parents, entry."),
    _k("events", _EVENTS, ("animal", "date", "type"), "Animal events (ICAR names)."),
    _k("test_days", _TEST_DAYS, ("animal", "date"), "Test-day milk records."),
    _k("product_batches", _PRODUCT_BATCHES, ("code",), "Batches of dairy products."),
    _k("deliveries", _DELIVERIES, ("product_batch", "site", "date"),
       "Deliveries of products to sites."),
    _k("children", _CHILDREN, ("code",), "Children (pseudonymous codes)."),
    _k("measurements", _MEASUREMENTS, ("child", "date"), "Children's measurements."),
)}


def get_kind(name: str) -> Kind:
    """The kind of record called ``name``; :class:`DataError` naming the closest kind if
    there is none."""
    try:
        return KINDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(KINDS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DataError(f"unknown kind of record {name!r}; {hint}expected one of "
                        f"{', '.join(KINDS)}") from None


def describe(kind: str) -> pd.DataFrame:
    """The columns of a kind's file: name, required, accepted values, meaning."""
    k = get_kind(kind)
    return pd.DataFrame({
        "column": [f.name for f in k.fields],
        "required": ["yes" if f.required else "" for f in k.fields],
        "values": [f.describe() for f in k.fields],
        "meaning": [f.help for f in k.fields],
        "key": ["yes" if f.name in k.key else "" for f in k.fields]})


def template(kind: str, path: str | os.PathLike | None = None) -> str | Path:
    """An empty file to fill in: CSV (header) or XLSX (header, plus a sheet that describes
    each column). Without ``path``, returns the CSV header line."""
    k = get_kind(kind)
    header = pd.DataFrame(columns=[f.name for f in k.fields])
    if path is None:
        return ",".join(header.columns) + "\n"
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        write_xlsx({k.name: header, "columns": describe(kind)}, path)
    elif path.suffix.lower() == ".csv":
        write_csv(header, path)
    else:
        raise DataError(f"unknown template type {path.suffix!r}; expected .csv or .xlsx",
                        file=str(path))
    return path
