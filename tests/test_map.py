"""The {map} figure's layout: data looked up, geometry kept small, labels clear of each other."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.errors import DossierError, Location
from dossier.load.blocks import Block
from dossier.render import maps

BUNDLED = {
    "countries": ["RUS", "BLR", "ARM", "KAZ", "KGZ", "TJK"],
    "cities": ["Almaty", "Aktobe", "Nur-Sultan", "Zhanaozen"],
    "labels": {"Nur-Sultan": "Nour-Soultan", "Zhanaozen": "Janaozen"},
}


def _block(data: object) -> Block:
    return Block("map", {"data": "data/map.yaml", "alt": "Carte"}, Location(Path("ch.md"), 3, 1), data=data)


@pytest.fixture(scope="module")
def bundled_map() -> maps.Map:
    return maps.layout(_block(BUNDLED), "fr", "m")


def _boxes(figure: maps.Map) -> list[tuple[float, float, float, float]]:
    runs = [c.label.run for c in figure.cities] + [label.run for label in figure.countries]
    return [(r.left, r.y - r.size * 0.75, r.left + r.width, r.y + r.size * 0.22) for r in runs]


def test_every_country_and_city_is_labelled_in_the_locale(bundled_map: maps.Map) -> None:
    assert [label.run.text for label in bundled_map.countries] == [
        "Russie", "Biélorussie", "Arménie", "Kazakhstan", "Kirghizistan", "Tadjikistan"]
    assert [c.label.run.text for c in bundled_map.cities] == ["Almaty", "Aktobe", "Nour-Soultan", "Janaozen"]
    assert [s.kind for s in bundled_map.shapes].count("focus") == 1  # Kazakhstan, where the cities are


def test_labels_stay_in_the_frame_and_clear_of_each_other(bundled_map: maps.Map) -> None:
    boxes = _boxes(bundled_map)
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= bundled_map.width and 0 <= y0 < y1 <= bundled_map.height
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_cities_sit_where_they_are(bundled_map: maps.Map) -> None:
    """West to east, and north to south, as on the ground (the map is neither mirrored nor
    turned; the conic's meridians converge, so only well-separated pairs are compared)."""
    x = {c.label.run.text: c.x for c in bundled_map.cities}
    y = {c.label.run.text: c.y for c in bundled_map.cities}
    assert x["Janaozen"] < x["Aktobe"] < min(x["Nour-Soultan"], x["Almaty"])
    assert y["Aktobe"] < y["Janaozen"] and y["Nour-Soultan"] < y["Almaty"]


def test_geometry_is_simplified_for_print(bundled_map: maps.Map) -> None:
    assert bundled_map.width == maps.WIDTH and 60 < bundled_map.height < 120
    assert sum(len(s.d) for s in bundled_map.shapes) < 120_000


@pytest.mark.parametrize(("data", "message"), [
    ({"countries": ["KAZ", "XYZ"]}, "[map-country]: {map}: unknown country code 'XYZ'"),
    ({"countries": ["KAZ"], "cities": ["Atlantis"]}, "[map-city]: {map}: no city 'Atlantis' in the countries shown"),
    ({"cities": ["Almaty"]}, "[data-format]: {map} data needs 'countries'"),
])
def test_bad_data_is_a_located_content_error(data: dict, message: str) -> None:
    with pytest.raises(DossierError) as caught:
        maps.layout(_block(data), "fr", "m")
    (diagnostic,) = caught.value.report.errors
    assert diagnostic.format().startswith(f"ch.md:3:1: error{message}")
