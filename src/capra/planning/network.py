"""The supply network of a scenario: farms, plants and sites, with road distances and loads.

Every farm is linked to every plant (raw milk) and every plant to every site (products).
A link's distance is the great-circle distance times the transport ``road_factor``
unless ``[[transport.routes]]`` gives it; its capacity is the transport default unless the
route gives its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["EARTH_RADIUS_KM", "Network", "great_circle_km", "network"]

#: Mean Earth radius (IUGG). [km]
EARTH_RADIUS_KM = 6371.0088


def great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle (haversine) distance between points; broadcasts. [degrees] -> [km]"""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@dataclass(frozen=True)
class Network:
    """Farms, plants and sites with the links between them.

    Attributes
    ----------
    farms, plants, sites
        Names. [-]
    farm_plant_km, farm_plant_capacity_kg
        Road distance (F, K) [km] and largest raw-milk load per day (F, K). [kg/day]
    plant_site_km, plant_site_capacity_kg
        Road distance (K, S) [km] and largest product load per day (K, S). [kg/day]
    plant_capacity_kg
        Largest output per plant and product (K, P), products in
        :data:`capra.scenario.PRODUCTS` order. [kg product/day]
    plant_intake_kg
        Largest raw-milk intake per plant (K,); ``inf``: no limit. [kg milk/day]
    plant_storage_kg
        Store size per plant and storage class (K, 3), classes in
        :data:`capra.scenario.STORAGE_CLASSES` order. [kg product]
    site_cold_kg
        Chilled and frozen product a site can take per day (S,); ``inf``: no limit.
        [kg/day]
    """

    farms: tuple[str, ...]
    plants: tuple[str, ...]
    sites: tuple[str, ...]
    farm_plant_km: np.ndarray
    farm_plant_capacity_kg: np.ndarray
    plant_site_km: np.ndarray
    plant_site_capacity_kg: np.ndarray
    plant_capacity_kg: np.ndarray
    plant_intake_kg: np.ndarray
    plant_storage_kg: np.ndarray
    site_cold_kg: np.ndarray


def network(scenario) -> Network:
    """The network of ``scenario`` (farms, ``plants``, ``sites`` and ``transport``)."""
    from capra.scenario import PRODUCTS, STORAGE_CLASSES

    farms, plants, sites = scenario.farms, scenario.plants, scenario.sites
    tr = scenario.transport

    def coords(items):
        return (np.array([i.latitude for i in items], dtype=float),
                np.array([i.longitude for i in items], dtype=float))

    (flat, flon), (plat, plon), (slat, slon) = coords(farms), coords(plants), coords(sites)
    fp_km = great_circle_km(flat[:, None], flon[:, None], plat[None, :], plon[None, :]) \
        * tr.road_factor
    ps_km = great_circle_km(plat[:, None], plon[:, None], slat[None, :], slon[None, :]) \
        * tr.road_factor
    fp_cap = np.full(fp_km.shape, float(tr.capacity_kg_per_day))
    ps_cap = np.full(ps_km.shape, float(tr.capacity_kg_per_day))
    farm_i = {f.name: i for i, f in enumerate(farms)}
    plant_i = {p.name: i for i, p in enumerate(plants)}
    site_i = {s.name: i for i, s in enumerate(sites)}
    for route in tr.routes:
        if route.origin in farm_i:
            km, cap, ij = fp_km, fp_cap, (farm_i[route.origin], plant_i[route.destination])
        else:
            km, cap, ij = ps_km, ps_cap, (plant_i[route.origin], site_i[route.destination])
        if route.distance_km is not None:
            km[ij] = route.distance_km
        if route.capacity_kg_per_day is not None:
            cap[ij] = route.capacity_kg_per_day
    return Network(
        farms=tuple(farm_i), plants=tuple(plant_i), sites=tuple(site_i),
        farm_plant_km=fp_km, farm_plant_capacity_kg=fp_cap,
        plant_site_km=ps_km, plant_site_capacity_kg=ps_cap,
        plant_capacity_kg=np.array([[getattr(p.capacity_kg_per_day, n) for n in PRODUCTS]
                                    for p in plants], dtype=float).reshape(len(plants),
                                                                           len(PRODUCTS)),
        plant_intake_kg=np.array([np.inf if p.intake_kg_per_day is None
                                  else p.intake_kg_per_day for p in plants], dtype=float),
        plant_storage_kg=np.array([[getattr(p.storage_kg, c) for c in STORAGE_CLASSES]
                                   for p in plants], dtype=float).reshape(len(plants),
                                                                          len(STORAGE_CLASSES)),
        site_cold_kg=np.array([np.inf if s.cold_storage_kg is None else s.cold_storage_kg
                               for s in sites], dtype=float))
