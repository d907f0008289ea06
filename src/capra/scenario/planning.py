"""The planning sections of a scenario (all optional): product data overrides and serving
sizes, operating calendars, sites and their children, dairy plants, transport, and the
settings of the plan (which days, from which stock, against which supply quantile).

The checks between these sections (names unique among farms, plants and sites; calendar
and route references; planned days inside the simulated ones) are in
:mod:`capra.scenario.checks`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict

from capra.scenario.fields import (
    ChildCount,
    Date,
    FlowKgPerDay,
    HorizonDays,
    MonthDay,
    Name,
    StockKg,
    Text,
    _floats,
    _ints,
    _Model,
    _range,
)
from capra.scenario.limits import (
    MAX_DISTANCE_KM,
    MAX_ENERGY_KCAL_PER_100G,
    MAX_G_PER_100G,
    MAX_HORIZON_DAYS,
    MAX_MG_PER_100G,
    MAX_MILK_KG_PER_KG,
    MAX_ROAD_FACTOR,
    MAX_SERVING_G,
    MAX_SHELF_LIFE_DAYS,
)

#: Dairy products the planner knows, in table order; their data are in
#: ``capra/data/products.toml``.
PRODUCTS = ("fresh_milk", "yogurt", "soft_cheese", "hard_cheese", "milk_powder", "uht_milk",
            "frozen_milk")
#: Children's age groups, in completed years (``age_1_2``: 1 and 2 years old).
AGE_GROUPS = ("age_1_2", "age_3_5", "age_6_11")
#: Storage classes of products and stores.
STORAGE_CLASSES = ("chilled", "frozen", "ambient")


class Servings(_Model):
    """Serving size of one product for each age group; 0 means not served to the group."""

    age_1_2: _floats(0, MAX_SERVING_G) | None = None
    """Serving for children aged 1-2 years. [g product]"""
    age_3_5: _floats(0, MAX_SERVING_G) | None = None
    """Serving for children aged 3-5 years. [g product]"""
    age_6_11: _floats(0, MAX_SERVING_G) | None = None
    """Serving for children aged 6-11 years. [g product]"""


class ProductOverride(_Model):
    """Values that replace the bundled data of one product (``capra/data/products.toml``)."""

    milk_kg_per_kg: _floats(0, MAX_MILK_KG_PER_KG, lo_open=True) | None = None
    """Raw milk used per kg of product. [kg milk/kg product]"""
    ripening_days: _ints(0, MAX_SHELF_LIFE_DAYS) | None = None
    """Days after making before the product can be served (cheese ripening); 0: ready the
    day it is made. [days]"""
    shelf_life_days: _ints(1, MAX_SHELF_LIFE_DAYS) | None = None
    """Days the product can be served, counted from the first day it can be (the day it is
    made, or the day its ripening ends). [days]"""
    storage: Literal["chilled", "frozen", "ambient"] | None = None
    """Storage class. [-]"""
    protein_g_per_100g: _floats(0, MAX_G_PER_100G) | None = None
    """Protein content. [g/100 g]"""
    energy_kcal_per_100g: _floats(0, MAX_ENERGY_KCAL_PER_100G) | None = None
    """Energy content. [kcal/100 g]"""
    calcium_mg_per_100g: _floats(0, MAX_MG_PER_100G) | None = None
    """Calcium content. [mg/100 g]"""
    serving_g: Servings | None = None
    """Serving size per age group; one serving is one child's ration for the day. [g]"""


class ProductOverrides(_Model):
    """Overrides of the bundled product data, one optional table per product."""

    fresh_milk: ProductOverride | None = None
    """Pasteurised goat milk. [-]"""
    yogurt: ProductOverride | None = None
    """Goat-milk yogurt. [-]"""
    soft_cheese: ProductOverride | None = None
    """Soft (fresh) goat cheese. [-]"""
    hard_cheese: ProductOverride | None = None
    """Hard goat cheese. [-]"""
    milk_powder: ProductOverride | None = None
    """Whole goat-milk powder. [-]"""
    uht_milk: ProductOverride | None = None
    """UHT goat milk. [-]"""
    frozen_milk: ProductOverride | None = None
    """Frozen pasteurised goat milk. [-]"""


class ClosedPeriod(_Model):
    """A yearly period when a site is closed, e.g. a school vacation."""

    start: MonthDay
    """First closed day each year, ``"MM-DD"``. [month-day]"""
    end: MonthDay
    """Last closed day each year, ``"MM-DD"``; before ``start`` means the period runs over
    the new year. [month-day]"""


class Calendar(_Model):
    """When a site serves children: weekdays, public holidays and yearly closures."""

    name: Name
    """Calendar name, unique; sites refer to it. [-]"""
    weekdays: Annotated[tuple[Annotated[int, Strict(), _range(1, 7, kind="an integer")], ...],
                        Field(min_length=1)]
    """Days of the week the site serves children, ISO numbers (1 Monday ... 7 Sunday). [-]"""
    holidays: tuple[MonthDay, ...] = ()
    """Public holidays, closed every year, ``"MM-DD"``. [month-day]"""
    closed: tuple[ClosedPeriod, ...] = ()
    """Yearly closures (vacations). [-]"""


class Children(_Model):
    """Children enrolled at a site, by age group."""

    age_1_2: ChildCount = 0
    """Children aged 1-2 years. [children]"""
    age_3_5: ChildCount = 0
    """Children aged 3-5 years. [children]"""
    age_6_11: ChildCount = 0
    """Children aged 6-11 years. [children]"""

    @property
    def total(self) -> int:
        """All children of the site. [children]"""
        return self.age_1_2 + self.age_3_5 + self.age_6_11


class Site(_Model):
    """A place where children get their ration: a kindergarten, a school, or the enrolled
    kindergartens or schools of a district counted together."""

    name: Name
    """Site name, unique among sites, plants and farms. [-]"""
    district: Text = ""
    """District or county of the site. [-]"""
    kind: Literal["kindergarten", "school", "district"]
    """``"kindergarten"``, ``"school"`` or ``"district"`` (an aggregate of sites). [-]"""
    latitude: Annotated[float, Strict(), _range(-90, 90)]
    """Latitude, WGS 84. [degrees north]"""
    longitude: Annotated[float, Strict(), _range(-180, 180)]
    """Longitude, WGS 84. [degrees east]"""
    calendar: Name
    """Name of the site's calendar in ``[[calendars]]``. [-]"""
    children: Children
    """Children enrolled, by age group. [children]"""
    attendance: Annotated[float, Strict(), _range(0, 1, lo_open=True)] = 1.0
    """Share of enrolled children present on an operating day. [fraction]"""
    cold_storage_kg: FlowKgPerDay | None = None
    """Chilled and frozen product the site can receive and hold on one day; 0: ambient
    products only; no value: no limit. [kg/day]"""


class ProductCapacities(_Model):
    """Largest output of a plant per product per day; 0 (the default): not made there."""

    fresh_milk: FlowKgPerDay = 0.0
    """Pasteurised milk. [kg product/day]"""
    yogurt: FlowKgPerDay = 0.0
    """Yogurt. [kg product/day]"""
    soft_cheese: FlowKgPerDay = 0.0
    """Soft cheese. [kg product/day]"""
    hard_cheese: FlowKgPerDay = 0.0
    """Hard cheese. [kg product/day]"""
    milk_powder: FlowKgPerDay = 0.0
    """Whole milk powder. [kg product/day]"""
    uht_milk: FlowKgPerDay = 0.0
    """UHT milk. [kg product/day]"""
    frozen_milk: FlowKgPerDay = 0.0
    """Frozen milk. [kg product/day]"""


class StorageCapacities(_Model):
    """Stock a plant can hold, by storage class; 0 (the default): no store of that class."""

    chilled: StockKg = 0.0
    """Cold room (0-4 °C). [kg product]"""
    frozen: StockKg = 0.0
    """Freezer (-18 °C). [kg product]"""
    ambient: StockKg = 0.0
    """Dry store. [kg product]"""


class Plant(_Model):
    """A dairy plant: takes raw milk from farms, makes products, stores and dispatches them."""

    name: Name
    """Plant name, unique among sites, plants and farms. [-]"""
    latitude: Annotated[float, Strict(), _range(-90, 90)]
    """Latitude, WGS 84. [degrees north]"""
    longitude: Annotated[float, Strict(), _range(-180, 180)]
    """Longitude, WGS 84. [degrees east]"""
    intake_kg_per_day: FlowKgPerDay | None = None
    """Largest raw-milk intake; no value: no limit. [kg milk/day]"""
    capacity_kg_per_day: ProductCapacities = Field(default_factory=ProductCapacities)
    """Largest output per product. [kg product/day]"""
    storage_kg: StorageCapacities = Field(default_factory=StorageCapacities)
    """Stock it can hold, by storage class. [kg product]"""


class Route(_Model):
    """A road link from a farm to a plant or from a plant to a site."""

    origin: Name
    """Farm (raw milk) or plant (products) the route starts from. [-]"""
    destination: Name
    """Plant (from a farm) or site (from a plant). [-]"""
    distance_km: _floats(0, MAX_DISTANCE_KM) | None = None
    """Road distance; no value: great-circle distance times ``road_factor``. [km]"""
    capacity_kg_per_day: FlowKgPerDay | None = None
    """Largest load per day; no value: the transport ``capacity_kg_per_day``. [kg/day]"""


class Transport(_Model):
    """Road transport between farms, plants and sites.

    Every farm is linked to every plant and every plant to every site; ``[[transport.routes]]``
    changes the distance or capacity of single links.
    """

    road_factor: _floats(1, MAX_ROAD_FACTOR) = 1.3
    """Road distance over great-circle distance (1.2-1.4 is a usual assumption, research
    note supply.md §4.1). [-]"""
    capacity_kg_per_day: FlowKgPerDay = 2000.0
    """Load per route per day unless a route says otherwise: one 2-tonne truck, one trip
    a day (illustrative). [kg/day]"""
    routes: tuple[Route, ...] = ()
    """Links with their own distance or capacity. [-]"""


class OpeningStock(_Model):
    """Product in store at a plant when a plan from today's stock starts."""

    plant: Name
    """Plant holding it. [-]"""
    product: Literal["fresh_milk", "yogurt", "soft_cheese", "hard_cheese", "milk_powder",
                     "uht_milk", "frozen_milk"]
    """Product. [-]"""
    kg: StockKg
    """Quantity. [kg product]"""
    made: Date | None = None
    """Day it was made; no value: the day before the plan starts (or, for a product that
    ripens, the day that makes it ready then). [date]"""


class PlanningSettings(_Model):
    """Which days the plan covers, how they begin and end, and how supply uncertainty is
    treated."""

    year: Literal["repeatable", "from_stock"] = "repeatable"
    """``"repeatable"``: the planned days are a year the programme can repeat every year:
    the plan finds its own opening stock and gives it back by the end (no stock counted
    twice). ``"from_stock"``: this year from today's stock: the stock at the start is
    given (``opening_stock``, or the records database) and what is left at the end is
    free. [-]"""
    start_date: Date | None = None
    """First day children are served; no value: 364 days before the scenario's last day
    (the plan covers the last year, with the herd established). [date]"""
    days: HorizonDays | None = None
    """Days planned from ``start_date``; no value: to the scenario's last day. [days]"""
    warmup_days: _ints(0, MAX_HORIZON_DAYS) = 0
    """With ``year = "from_stock"``: days before ``start_date`` when milk is already
    processed and stocked but no child is served. A repeatable year finds its own opening
    stock and does not use it. [days]"""
    opening_stock: tuple[OpeningStock, ...] = ()
    """With ``year = "from_stock"``: product in store at the start. [-]"""
    quantile: Annotated[float, Strict(), _range(0, 1, lo_open=True, hi_open=True)] = 0.1
    """Supply quantile across simulated futures the plan must withstand: the plan serves
    its enrolment in at least ``1 - quantile`` of the futures. [fraction]"""
