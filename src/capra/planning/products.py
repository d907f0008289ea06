"""Dairy products as planning data: conversion, shelf life, storage, servings, nutrients.

The values ship as cited data in ``capra/data/products.toml``; a scenario's ``[products]``
tables replace single values. :func:`product_table` returns them as NumPy arrays indexed by
product (in :data:`capra.scenario.PRODUCTS` order) and age group
(:data:`capra.scenario.AGE_GROUPS` order).

>>> table = product_table()
>>> float(table.milk_kg_per_kg[table.index("milk_powder")])
7.55
>>> int(table.shelf_life_days[table.index("fresh_milk")])
5
>>> int(table.ripening_days[table.index("hard_cheese")])
60
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from capra.errors import DataError
from capra.scenario import AGE_GROUPS, PRODUCTS, ProductOverride

__all__ = ["NUTRIENTS", "RATION", "RATION_WORDS", "ProductTable", "bundled_products_path",
           "product_table", "ration"]

#: Nutrients tracked, with their units per serving and per child-day.
NUTRIENTS = ("protein_g", "energy_kcal", "calcium_mg")
#: The ration that every count of "rations per day" of milk uses (the herd summary, its
#: figures and tables, the report, the JSON key ``rations_per_day_by_month``): one
#: school child's daily serving of fresh milk, as (product, age group). Its raw milk is
#: that serving times the milk per kg of the product (206 g × 1.02 = 0.210 kg with the
#: bundled data, ``capra/data/products.toml``), so a scenario that changes the serving
#: changes every such count (see :func:`ration`). The plan itself counts each product's
#: own serving per age group.
RATION = ("fresh_milk", "age_6_11")
#: :data:`RATION` in words, for reports.
RATION_WORDS = "a school child's daily serving of fresh milk"
_CONTENT_KEYS = ("protein_g_per_100g", "energy_kcal_per_100g", "calcium_mg_per_100g")
_REQUIRED = ("milk_kg_per_kg", "shelf_life_days", "storage", *_CONTENT_KEYS, "serving_g")


def bundled_products_path() -> Path:
    """Path of the bundled product data file."""
    return Path(str(resources.files("capra") / "data" / "products.toml"))


@dataclass(frozen=True)
class ProductTable:
    """Product data as arrays; ``P`` products, ``G`` age groups.

    Attributes
    ----------
    names
        Product names, length P. [-]
    milk_kg_per_kg
        Raw milk per kg of product, (P,). [kg milk/kg product]
    shelf_life_days
        Days a product may be served, counted from the first day it may be (the day it is
        made, or the day its ripening ends), (P,). [days]
    storage
        Storage class of each product, (P,). [-]
    serving_kg
        One child's daily ration, (P, G); 0: not served to the group. [kg product]
    nutrients_per_serving
        Protein, energy and calcium in one serving, (P, G, 3). [g, kcal, mg]
    needs
        Daily needs of one child, (G, 3). [g/day, kcal/day, mg/day]
    """

    names: tuple[str, ...]
    milk_kg_per_kg: np.ndarray
    shelf_life_days: np.ndarray
    storage: tuple[str, ...]
    serving_kg: np.ndarray
    nutrients_per_serving: np.ndarray
    needs: np.ndarray
    age_groups: tuple[str, ...] = AGE_GROUPS
    ripening_days: np.ndarray | None = None

    def __post_init__(self):
        if self.ripening_days is None:
            object.__setattr__(self, "ripening_days",
                               np.zeros(len(self.names), dtype=np.int64))

    @property
    def life_days(self) -> np.ndarray:
        """Days from making to the last day a product may be served, both included:
        ripening plus shelf life, (P,). [days]"""
        return self.ripening_days + self.shelf_life_days

    @property
    def ration_milk_kg(self) -> float:
        """Raw milk in one :data:`RATION` (a school child's daily serving of fresh milk).
        [kg milk/ration]"""
        product, group = RATION
        i, g = self.index(product), self.age_groups.index(group)
        return float(self.serving_kg[i, g] * self.milk_kg_per_kg[i])

    @property
    def ration_serving_g(self) -> float:
        """The serving of one :data:`RATION`. [g product]"""
        product, group = RATION
        return 1000.0 * float(self.serving_kg[self.index(product),
                                              self.age_groups.index(group)])

    def index(self, name: str) -> int:
        """Position of product ``name``."""
        return self.names.index(name)

    def subset(self, names) -> ProductTable:
        """The table restricted to ``names`` (in that order)."""
        idx = [self.index(n) for n in names]
        return ProductTable(tuple(names), self.milk_kg_per_kg[idx], self.shelf_life_days[idx],
                            tuple(self.storage[i] for i in idx), self.serving_kg[idx],
                            self.nutrients_per_serving[idx], self.needs, self.age_groups,
                            self.ripening_days[idx])

    def to_frame(self):
        """One row per product and age group: conversion, shelf life, serving, nutrients."""
        import pandas as pd

        rows = []
        for i, name in enumerate(self.names):
            for g, group in enumerate(self.age_groups):
                rows.append({"product": name, "age_group": group,
                             "milk_kg_per_kg": float(self.milk_kg_per_kg[i]),
                             "ripening_days": int(self.ripening_days[i]),
                             "shelf_life_days": int(self.shelf_life_days[i]),
                             "storage": self.storage[i],
                             "serving_g": 1000 * float(self.serving_kg[i, g]),
                             **{n: float(self.nutrients_per_serving[i, g, k])
                                for k, n in enumerate(NUTRIENTS)}})
        return pd.DataFrame(rows)


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"cannot read product data: {exc}", file=str(path)) from None


def product_table(overrides=None, *, path: str | Path | None = None) -> ProductTable:
    """The product data, with a scenario's overrides applied.

    Parameters
    ----------
    overrides
        A :class:`capra.scenario.ProductOverrides` (``scenario.products``) or None.
    path
        Product data file; default the bundled ``capra/data/products.toml``.

    Raises
    ------
    DataError
        If the data file lacks a product or a value, or has an invalid value; the message
        names the file and the key (``products.yogurt.shelf_life_days``).
    """
    path = Path(path) if path is not None else bundled_products_path()
    raw = _read(path)
    tables = raw.get("products", {})
    needs_raw = raw.get("needs", {})
    merged: dict[str, dict] = {}
    for name in PRODUCTS:
        if name not in tables:
            raise DataError(f"missing table [products.{name}]; expected every product of "
                            f"{', '.join(PRODUCTS)}", file=str(path), field=f"products.{name}")
        try:
            base = ProductOverride.model_validate(tables[name])
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise DataError(f"{err['msg']} (value {err.get('input')!r})", file=str(path),
                            field=f"products.{name}.{where}") from None
        values = base.model_dump()
        extra = getattr(overrides, name, None) if overrides is not None else None
        if extra is not None:
            for key, value in extra.model_dump(exclude_none=True).items():
                if key == "serving_g":
                    values["serving_g"] = {**(values["serving_g"] or {}), **value}
                else:
                    values[key] = value
        for key in _REQUIRED:
            if values.get(key) is None:
                raise DataError(f"missing value {key}", file=str(path),
                                field=f"products.{name}.{key}")
        for group in AGE_GROUPS:
            if values["serving_g"].get(group) is None:
                raise DataError(f"missing serving for {group}", file=str(path),
                                field=f"products.{name}.serving_g.{group}")
        merged[name] = values
    for group in AGE_GROUPS:
        for key in NUTRIENTS:
            value = needs_raw.get(group, {}).get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise DataError(f"expected a number > 0, got {value!r}", file=str(path),
                                field=f"needs.{group}.{key}")
    v = [merged[n] for n in PRODUCTS]
    serving_kg = np.array([[p["serving_g"][g] / 1000.0 for g in AGE_GROUPS] for p in v])
    content = np.array([[p[k] for k in _CONTENT_KEYS] for p in v])  # per 100 g
    nutrients = serving_kg[:, :, None] * 10.0 * content[:, None, :]  # kg -> hg
    needs = np.array([[float(needs_raw[g][k]) for k in NUTRIENTS] for g in AGE_GROUPS])
    storage = tuple(p["storage"] for p in v)
    return ProductTable(PRODUCTS, np.array([p["milk_kg_per_kg"] for p in v], dtype=float),
                        np.array([p["shelf_life_days"] for p in v], dtype=np.int64), storage,
                        serving_kg, nutrients, needs,
                        ripening_days=np.array([p["ripening_days"] or 0 for p in v],
                                               dtype=np.int64))


def ration(overrides=None) -> dict:
    """The :data:`RATION` with a scenario's product overrides (``scenario.products``, or
    None for the bundled data): ``product``, ``age_group``, ``serving_g`` [g product] and
    ``milk_kg``, the raw milk it takes [kg milk/ration].

    A scenario that does not serve fresh milk to school children (serving 0) still counts
    milk in rations: those of the bundled data.

    >>> r = ration()
    >>> r["product"], r["age_group"], r["serving_g"], round(r["milk_kg"], 5)
    ('fresh_milk', 'age_6_11', 206.0, 0.21012)
    """
    table = product_table(overrides)
    if not table.ration_milk_kg > 0:
        table = product_table()
    product, group = RATION
    return {"product": product, "age_group": group, "serving_g": table.ration_serving_g,
            "milk_kg": table.ration_milk_kg}
