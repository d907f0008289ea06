"""The records schema: SQLAlchemy 2 declarative models of farms, animals, events and children.

Tables
------
``farms``
    Goat farms and quarantine stations (``kind``: ``farm`` or ``quarantine``).
``sites``
    Schools, kindergartens and nurseries that receive dairy products.
``batches``
    Consignments of animals: origin, veterinary certificate, arrival date and place,
    quarantine length.
``animals``
    One row per goat: ``tag`` (unique in the records), sex, breed, birth date (or an
    estimate), dam and sire, and how it entered the records (``origin``: ``birth`` on a farm
    or ``arrival`` with a batch), where and when, with its status at entry (parity, last
    parturition, expected parturition, lactating).
``events``
    The animal event log, one row per (animal, date, type). Types and reasons follow the
    ICAR Animal Data Exchange vocabulary (see :data:`EVENT_TYPES`). ``farm_id`` is where the
    animal is *after* the event (for a ``transfer``: the destination; ``from_farm_id`` is
    the origin).
``test_days``
    Test-day milk records, one row per (animal, date).
``product_batches`` and ``deliveries``
    Dairy products made from the milk and their deliveries to sites.
``children`` and ``measurements``
    Children (pseudonymous ``code``) and their anthropometric measurements.
``imports`` and ``audit``
    Every import, and every change to the records (table, key, action, old and new values,
    user, time); the records added by one import are one audit row naming their id range.

The ICAR movement events *birth* and *arrival* are the animal's own row (``origin``,
``farm_id``, ``entry_date``); the other ICAR events are rows of ``events``. Names of
columns carry their unit where one applies (``milk_kg``, ``height_cm``).

Integrity rules that compare rows (no parturition by a male, no event after death or
departure, no event before birth, ...) are checked by :mod:`capra.store.io.rules` on every
write; the database itself enforces keys, uniqueness, codes and ranges.

Why one module of some 600 lines: every table of the database is declared on one
``metadata`` (foreign keys between them, one naming convention of constraints), which the
Alembic migrations are written against; the sections below (vocabulary, places, animals,
products, children, audit, the web application's tables) are the parts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ANIMAL_ORIGINS", "Animal", "Audit", "Base", "Batch", "Child", "DEATH_REASONS",
    "DEPARTURE_REASONS", "Delivery", "EVENT_TYPES", "Event", "FARM_KINDS", "Farm",
    "FEMALE_ONLY_EVENTS", "INSEMINATION_METHODS", "Import", "MEASURE_POSITIONS",
    "Measurement", "PREGNANCY_METHODS", "PREGNANCY_RESULTS", "ProductBatch", "SEXES",
    "SITE_KINDS", "Site", "TERMINAL_EVENTS", "TestDay", "metadata",
]

# --------------------------------------------------------------------------------------
# Vocabulary (ICAR Animal Data Exchange names, snake_case for event types)
# --------------------------------------------------------------------------------------

#: Animal sexes. [-]
SEXES = ("female", "male")
#: How an animal entered the records: born on a farm, or arrived with a batch (ICAR
#: ``icarMovementBirthEvent`` / ``icarMovementArrivalEvent``). [-]
ANIMAL_ORIGINS = ("birth", "arrival")
#: Kinds of animal premises. [-]
FARM_KINDS = ("farm", "quarantine")
#: Kinds of sites that receive products. [-]
SITE_KINDS = ("kindergarten", "school", "nursery", "hospital", "other")

#: Event types of the ``events`` table, after the ICAR ADE events:
#: ``parturition`` (icarReproParturitionEvent, kidding), ``insemination``
#: (icarReproInseminationEvent, natural mating included), ``pregnancy_check``
#: (icarReproPregnancyCheckEvent), ``abortion`` (icarReproAbortionEvent), ``dry_off``
#: (icarMilkingDryOffEvent), ``treatment`` (icarHealthTreatmentEvent, with a milk
#: withdrawal period), ``transfer`` (a departure and arrival of kind InternalTransfer, as
#: one row), ``death`` (icarMovementDeathEvent) and ``departure``
#: (icarMovementDepartureEvent: sale, slaughter, export).
EVENT_TYPES = ("parturition", "insemination", "pregnancy_check", "abortion", "dry_off",
               "treatment", "transfer", "death", "departure")
#: Events after which an animal is no longer in the herd.
TERMINAL_EVENTS = ("death", "departure")
#: Events that only a female can have.
FEMALE_ONLY_EVENTS = ("parturition", "insemination", "pregnancy_check", "abortion", "dry_off")

#: ICAR ``icarDeathReasonType``.
DEATH_REASONS = ("Missing", "Parturition", "Disease", "Accident", "Consumption", "Culled",
                 "Other", "Unknown")
#: ICAR ``icarDepartureReasonType`` (why an animal left).
DEPARTURE_REASONS = ("Age", "Superfluous", "Slaughter", "Sale", "Newborn", "LegOrClaw",
                     "Nutrition", "Parturition", "Mastitis", "Fertility", "Health",
                     "Production", "MilkingAbility", "BadType", "Behaviour", "Other",
                     "Unknown", "Metabolic", "MaternalAbility", "ReproductiveFailure",
                     "BreedingIndex", "BodyCondition", "Oral", "Accident")
#: ICAR ``icarDepartureKindType`` values that make sense for a departure from the herd.
DEPARTURE_KINDS = ("Sale", "Slaughter", "Export", "Newborn", "Other")
#: ICAR ``icarReproInseminationType``.
INSEMINATION_METHODS = ("NaturalService", "RunWithBull", "Insemination", "Implantation")
#: ICAR ``icarReproPregnancyResultType``.
PREGNANCY_RESULTS = ("Empty", "Pregnant", "Multiple", "Unknown")
#: ICAR ``icarReproPregnancyMethodType``.
PREGNANCY_METHODS = ("Ecography", "Palpation", "Blood", "Milk", "Visual", "Other")
#: How a child's length or height was measured: ``l`` lying (recumbent), ``h`` standing.
MEASURE_POSITIONS = ("l", "h")
#: Audit actions.
AUDIT_ACTIONS = ("insert", "update", "delete")

#: Constraint names, so that migrations and error messages name them the same way on
#: every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base of the records models."""

    metadata = metadata


# --------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------

class Farm(Base):
    """A goat farm or quarantine station."""

    __tablename__ = "farms"
    __table_args__ = (
        CheckConstraint(_in("kind", FARM_KINDS), name="kind"),
        CheckConstraint("capacity_head IS NULL OR capacity_head >= 0", name="capacity_head"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                        name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                        name="longitude"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """Farm name, unique. [-]"""
    kind: Mapped[str] = mapped_column(String(20), default="farm")
    district: Mapped[str | None] = mapped_column(String(100))
    capacity_head: Mapped[int | None] = mapped_column(Integer)
    """Places for adult goats. [head]"""
    latitude: Mapped[float | None] = mapped_column(Float)
    """[degrees north]"""
    longitude: Mapped[float | None] = mapped_column(Float)
    """[degrees east]"""


class Site(Base):
    """A school, kindergarten or nursery that receives products and whose children are
    measured."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint(_in("kind", SITE_KINDS), name="kind"),
        CheckConstraint("latitude IS NULL OR (latitude >= -90 AND latitude <= 90)",
                        name="latitude"),
        CheckConstraint("longitude IS NULL OR (longitude >= -180 AND longitude <= 180)",
                        name="longitude"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="kindergarten")
    district: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


# --------------------------------------------------------------------------------------
# Animals and their events
# --------------------------------------------------------------------------------------

class Batch(Base):
    """A consignment of animals delivered under a veterinary certificate."""

    __tablename__ = "batches"
    __table_args__ = (
        CheckConstraint("quarantine_days >= 0", name="quarantine_days"),
        CheckConstraint("head_count IS NULL OR head_count >= 0", name="head_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """Consignment name or number, unique. [-]"""
    origin: Mapped[str | None] = mapped_column(String(200))
    """Where the animals come from (region, country). [-]"""
    certificate: Mapped[str | None] = mapped_column(String(100))
    """Veterinary certificate number. [-]"""
    certificate_date: Mapped[dt.date | None] = mapped_column(Date)
    arrival_date: Mapped[dt.date] = mapped_column(Date)
    arrival_farm_id: Mapped[int] = mapped_column(ForeignKey("farms.id"))
    """Where the animals arrive and are held in quarantine. [-]"""
    quarantine_days: Mapped[int] = mapped_column(Integer, default=0)
    """[days]"""
    head_count: Mapped[int | None] = mapped_column(Integer)
    """Animals declared on the certificate. [head]"""


class Animal(Base):
    """A goat: identity, parents, entry into the records and status at entry."""

    __tablename__ = "animals"
    __table_args__ = (
        CheckConstraint(_in("sex", SEXES), name="sex"),
        CheckConstraint(_in("origin", ANIMAL_ORIGINS), name="origin"),
        CheckConstraint("origin <> 'arrival' OR batch_id IS NOT NULL", name="arrival_batch"),
        CheckConstraint("entry_parity >= 0", name="entry_parity"),
        CheckConstraint("birth_date IS NULL OR entry_date >= birth_date", name="entry_after_birth"),
        CheckConstraint("dam_id IS NULL OR dam_id <> id", name="dam_not_self"),
        CheckConstraint("sire_id IS NULL OR sire_id <> id", name="sire_not_self"),
        Index("ix_animals_farm_id", "farm_id"),
        Index("ix_animals_dam_id", "dam_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), unique=True)
    """Ear tag or other identifier, unique in the records. [-]"""
    sex: Mapped[str] = mapped_column(String(6))
    breed: Mapped[str] = mapped_column(String(50), default="Saanen")
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    birth_date_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    """True when the birth date was derived from an estimated age. [-]"""
    dam_id: Mapped[int | None] = mapped_column(ForeignKey("animals.id"))
    sire_id: Mapped[int | None] = mapped_column(ForeignKey("animals.id"))
    origin: Mapped[str] = mapped_column(String(10))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    farm_id: Mapped[int] = mapped_column(ForeignKey("farms.id"))
    """Where the animal was born or arrived. [-]"""
    entry_date: Mapped[dt.date] = mapped_column(Date)
    """Birth date, or arrival date of its batch. [-]"""
    entry_parity: Mapped[int] = mapped_column(Integer, default=0)
    """Kiddings before entry. [-]"""
    entry_last_parturition_date: Mapped[dt.date | None] = mapped_column(Date)
    """Last kidding before entry. [-]"""
    entry_expected_parturition_date: Mapped[dt.date | None] = mapped_column(Date)
    """Expected kidding date if pregnant at entry. [-]"""
    entry_lactating: Mapped[bool] = mapped_column(Boolean, default=False)
    """In milk at entry. [-]"""


class Event(Base):
    """One event of one animal (ICAR names; see :data:`EVENT_TYPES`)."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("animal_id", "date", "type", name="uq_events_animal_date_type"),
        CheckConstraint(_in("type", EVENT_TYPES), name="type"),
        CheckConstraint(f"reason IS NULL OR (type = 'death' AND {_in('reason', DEATH_REASONS)})"
                        f" OR (type = 'departure' AND {_in('reason', DEPARTURE_REASONS)})",
                        name="reason"),
        CheckConstraint(f"departure_kind IS NULL OR (type = 'departure' AND "
                        f"{_in('departure_kind', DEPARTURE_KINDS)})", name="departure_kind"),
        CheckConstraint(f"method IS NULL OR (type = 'insemination' AND "
                        f"{_in('method', INSEMINATION_METHODS)}) OR (type = 'pregnancy_check' "
                        f"AND {_in('method', PREGNANCY_METHODS)})", name="method"),
        CheckConstraint(f"(type = 'pregnancy_check') = (result IS NOT NULL) AND "
                        f"(result IS NULL OR {_in('result', PREGNANCY_RESULTS)})",
                        name="result"),
        CheckConstraint("(type = 'parturition') = (litter_size IS NOT NULL)", name="litter_size"),
        CheckConstraint("litter_size IS NULL OR (litter_size >= 1 AND litter_size <= 8)",
                        name="litter_size_range"),
        CheckConstraint("live_kids IS NULL OR (type = 'parturition' AND live_kids >= 0 "
                        "AND live_kids <= litter_size)", name="live_kids"),
        CheckConstraint("(type = 'transfer') = (from_farm_id IS NOT NULL)", name="from_farm"),
        CheckConstraint("type <> 'transfer' OR farm_id IS NOT NULL", name="transfer_farm"),
        CheckConstraint("from_farm_id IS NULL OR from_farm_id <> farm_id", name="transfer_moves"),
        CheckConstraint("withdrawal_days IS NULL OR (type = 'treatment' AND "
                        "withdrawal_days >= 0)", name="withdrawal_days"),
        CheckConstraint("sire_id IS NULL OR type = 'insemination'", name="sire"),
        Index("ix_events_date_type", "date", "type"),
        Index("ix_events_type_animal", "type", "animal_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animals.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(20))
    farm_id: Mapped[int | None] = mapped_column(ForeignKey("farms.id"))
    """Where the animal is after the event (a transfer's destination). [-]"""
    from_farm_id: Mapped[int | None] = mapped_column(ForeignKey("farms.id"))
    """A transfer's origin. [-]"""
    reason: Mapped[str | None] = mapped_column(String(30))
    """Death reason (ICAR icarDeathReasonType) or departure reason
    (icarDepartureReasonType). [-]"""
    departure_kind: Mapped[str | None] = mapped_column(String(20))
    """ICAR icarDepartureKindType: Sale, Slaughter, Export, ... [-]"""
    litter_size: Mapped[int | None] = mapped_column(Integer)
    """Kids born, alive or dead (ICAR totalProgeny). [kids]"""
    live_kids: Mapped[int | None] = mapped_column(Integer)
    """Kids born alive (ICAR liveProgeny). [kids]"""
    method: Mapped[str | None] = mapped_column(String(20))
    """Insemination method or pregnancy-check method (ICAR names). [-]"""
    sire_id: Mapped[int | None] = mapped_column(ForeignKey("animals.id"))
    """Buck used for a mating or insemination. [-]"""
    result: Mapped[str | None] = mapped_column(String(10))
    """Pregnancy-check result (ICAR icarReproPregnancyResultType). [-]"""
    expected_parturition_date: Mapped[dt.date | None] = mapped_column(Date)
    """Expected kidding date, from a pregnancy check or an insemination. [-]"""
    product: Mapped[str | None] = mapped_column(String(100))
    """Medicine given in a treatment. [-]"""
    withdrawal_days: Mapped[int | None] = mapped_column(Integer)
    """Milk withdrawal period after a treatment: milk is discarded on the treatment day
    and this many days after it. [days]"""
    note: Mapped[str | None] = mapped_column(Text)


class TestDay(Base):
    """A test-day milk record of one doe (ICAR icarTestDayResult)."""

    __tablename__ = "test_days"
    __test__ = False  # not a pytest class
    __table_args__ = (
        UniqueConstraint("animal_id", "date", name="uq_test_days_animal_date"),
        CheckConstraint("milk_kg >= 0 AND milk_kg <= 20", name="milk_kg"),
        CheckConstraint("fat_pct IS NULL OR (fat_pct >= 0 AND fat_pct <= 20)", name="fat_pct"),
        CheckConstraint("protein_pct IS NULL OR (protein_pct >= 0 AND protein_pct <= 20)",
                        name="protein_pct"),
        CheckConstraint("somatic_cells_k IS NULL OR somatic_cells_k >= 0", name="somatic_cells"),
        CheckConstraint("milkings IS NULL OR (milkings >= 1 AND milkings <= 4)", name="milkings"),
        Index("ix_test_days_date", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    animal_id: Mapped[int] = mapped_column(ForeignKey("animals.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    milk_kg: Mapped[float] = mapped_column(Float)
    """Milk in the 24 hours of the test day. [kg/day]"""
    fat_pct: Mapped[float | None] = mapped_column(Float)
    """[% by mass]"""
    protein_pct: Mapped[float | None] = mapped_column(Float)
    """[% by mass]"""
    somatic_cells_k: Mapped[int | None] = mapped_column(Integer)
    """Somatic cell count. [1000 cells/mL]"""
    milkings: Mapped[int | None] = mapped_column(Integer)
    """Milkings per day. [-]"""


# --------------------------------------------------------------------------------------
# Products and deliveries
# --------------------------------------------------------------------------------------

class ProductBatch(Base):
    """A batch of a dairy product made from the programme's milk."""

    __tablename__ = "product_batches"
    __table_args__ = (
        CheckConstraint("quantity_kg > 0", name="quantity_kg"),
        CheckConstraint("milk_kg IS NULL OR milk_kg >= 0", name="milk_kg"),
        CheckConstraint("expiry_date >= production_date", name="expiry_after_production"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    """Lot code, unique. [-]"""
    product: Mapped[str] = mapped_column(String(30))
    """Product name as in ``capra/data/products.toml`` (e.g. ``yogurt``). [-]"""
    farm_id: Mapped[int | None] = mapped_column(ForeignKey("farms.id"))
    """Farm whose milk was used, if one. [-]"""
    plant: Mapped[str | None] = mapped_column(String(100))
    """Dairy plant that made it. [-]"""
    production_date: Mapped[dt.date] = mapped_column(Date)
    expiry_date: Mapped[dt.date] = mapped_column(Date)
    """Last day it may be served. [-]"""
    quantity_kg: Mapped[float] = mapped_column(Float)
    """[kg product]"""
    milk_kg: Mapped[float | None] = mapped_column(Float)
    """Raw milk used. [kg milk]"""


class Delivery(Base):
    """A delivery of (part of) a product batch to a site."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("product_batch_id", "site_id", "date",
                         name="uq_deliveries_batch_site_date"),
        CheckConstraint("quantity_kg > 0", name="quantity_kg"),
        CheckConstraint("servings IS NULL OR servings >= 0", name="servings"),
        Index("ix_deliveries_site_date", "site_id", "date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_batch_id: Mapped[int] = mapped_column(ForeignKey("product_batches.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    quantity_kg: Mapped[float] = mapped_column(Float)
    """[kg product]"""
    servings: Mapped[int | None] = mapped_column(Integer)
    """Child rations it makes. [-]"""


# --------------------------------------------------------------------------------------
# Children
# --------------------------------------------------------------------------------------

class Child(Base):
    """A child at a site, known only by a pseudonymous code."""

    __tablename__ = "children"
    __table_args__ = (
        CheckConstraint(_in("sex", SEXES), name="sex"),
        Index("ix_children_site_id", "site_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    """Pseudonymous code, unique; no names are stored. [-]"""
    sex: Mapped[str] = mapped_column(String(6))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))


class Measurement(Base):
    """One anthropometric measurement of a child."""

    __tablename__ = "measurements"
    __table_args__ = (
        UniqueConstraint("child_id", "date", name="uq_measurements_child_date"),
        CheckConstraint("weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 150)",
                        name="weight_kg"),
        CheckConstraint("height_cm IS NULL OR (height_cm > 0 AND height_cm < 250)",
                        name="height_cm"),
        CheckConstraint("muac_cm IS NULL OR (muac_cm > 0 AND muac_cm < 60)", name="muac_cm"),
        CheckConstraint(f"measured IS NULL OR {_in('measured', MEASURE_POSITIONS)}",
                        name="measured"),
        CheckConstraint("weight_kg IS NOT NULL OR height_cm IS NOT NULL OR muac_cm IS NOT NULL",
                        name="some_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    """[kg]"""
    height_cm: Mapped[float | None] = mapped_column(Float)
    """Length (lying) or height (standing). [cm]"""
    measured: Mapped[str | None] = mapped_column(String(1))
    """``l`` lying or ``h`` standing. [-]"""
    muac_cm: Mapped[float | None] = mapped_column(Float)
    """Mid-upper arm circumference. [cm]"""
    oedema: Mapped[bool] = mapped_column(Boolean, default=False)
    """Bilateral pitting oedema. [-]"""


# --------------------------------------------------------------------------------------
# Imports and audit log
# --------------------------------------------------------------------------------------

class Import(Base):
    """One import of a file (also recorded when it changed nothing)."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    file: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    """When, UTC. [-]"""
    rows: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)


class Audit(Base):
    """One change of one record, or the records added by one import: what, when, by whom.

    An import writes one ``insert`` row for all the records it adds: ``first_id`` and
    ``last_id`` are the ids of the first and last of them (the ids in between that exist
    in the table were added by it), ``import_id`` names the import (file, SHA-256, counts).
    Updates and deletes are one row per record with its natural key, ``old`` and ``new``.
    :func:`capra.store.history.read_audit` (``expand=True``) and
    :func:`capra.store.history.inserted_by` give the per-record view.
    """

    __tablename__ = "audit"
    __table_args__ = (
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_table_key", "table_name", "row_key"),
        Index("ix_audit_table_ids", "table_name", "first_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    """When, UTC. [-]"""
    user_name: Mapped[str] = mapped_column(String(100))
    table_name: Mapped[str] = mapped_column(String(30))
    row_key: Mapped[str] = mapped_column(String(200))
    """Natural key of the record as JSON, e.g. ``["A-0012", "2025-03-01", "parturition"]``."""
    action: Mapped[str] = mapped_column(String(10))
    old: Mapped[str | None] = mapped_column(Text)
    """Values before the change, JSON. [-]"""
    new: Mapped[str | None] = mapped_column(Text)
    """Values after the change, JSON. [-]"""
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"))
    first_id: Mapped[int | None] = mapped_column(Integer)
    """An import's ``insert`` row: id of the first record it added. [-]"""
    last_id: Mapped[int | None] = mapped_column(Integer)
    """An import's ``insert`` row: id of the last record it added. [-]"""


# --------------------------------------------------------------------------------------
# Accounts, sessions and stored plans (the web application; revision 0003)
# --------------------------------------------------------------------------------------

#: Roles of the accounts (see :mod:`capra.store.accounts` for what each may do). [-]
ROLES = ("admin", "manager", "farm", "vet", "nutrition", "viewer")
#: States of a stored plan run. [-]
PLAN_STATUSES = ("queued", "running", "done", "failed")


class User(Base):
    """An account of the web application and the API."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    """Argon2id hash in PHC string format. [-]"""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    """UTC. [-]"""
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    """UTC. [-]"""


class UserFarm(Base):
    """A farm (or quarantine station) whose records a ``farm`` or ``vet`` user keeps."""

    __tablename__ = "user_farms"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    farm_id: Mapped[int] = mapped_column(ForeignKey("farms.id"), primary_key=True)


class ApiToken(Base):
    """An API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A signed-in browser session; only the SHA-256 of its key is stored."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    """End of the session whatever its activity, UTC. [-]"""


class LoginAttempt(Base):
    """One attempt to sign in, kept to limit repeated failures."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_user_name_at", "user_name", "at"),
                      Index("ix_login_attempts_address_at", "address", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    """Client address. [-]"""
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)


class StoredPlan(Base):
    """A projection and plan made from the records, kept with its inputs, seed and
    version."""

    __tablename__ = "plans"
    __table_args__ = (CheckConstraint(_in("status", PLAN_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    user_name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    """Share of the work done. [fraction]"""
    message: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[int] = mapped_column(Integer)
    capra_version: Mapped[str] = mapped_column(String(30))
    inputs: Mapped[str] = mapped_column(Text)
    """What the plan was made from, JSON: scenario, herd date, replicates, quantile, the
    records' counts and last import. [-]"""
    result: Mapped[str | None] = mapped_column(Text)
    """The plan (:meth:`capra.planning.Plan.to_dict`), JSON. [-]"""
    projection: Mapped[str | None] = mapped_column(Text)
    """Projected herd and milk per farm and month (median, P10, P90), JSON. [-]"""


class WebSetting(Base):
    """Settings of the web application kept in the database (the session signing key)."""

    __tablename__ = "web_settings"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


__all__ += ["ApiToken", "LoginAttempt", "PLAN_STATUSES", "ROLES", "StoredPlan", "User",
            "UserFarm", "WebSession", "WebSetting"]
