"""Dates and numbers in the dossier's locale (dossier.l10n.dates, dossier.l10n.numbers):
CLDR through Babel, plus the French usages Babel does not give (`1er`, `du … au …`)."""

from __future__ import annotations

import datetime as dt

import pytest

from dossier.l10n.dates import format_csl_date, format_date, format_date_range, format_day_range
from dossier.l10n.numbers import format_number, format_percentage
from dossier.model import CslDate

D = dt.date


@pytest.mark.parametrize(
    ("value", "locale", "form", "expected"),
    [
        (D(2022, 1, 7), "fr_FR", "long", "7 janvier 2022"),
        (D(2022, 1, 7), "fr_FR", "full", "vendredi 7 janvier 2022"),
        (D(2022, 1, 7), "fr_FR", "month", "janvier 2022"),
        (D(2022, 1, 7), "fr_FR", "year", "2022"),
        (D(2022, 1, 7), "fr_FR", "day", "7 janvier"),
        (D(2022, 1, 1), "fr_FR", "long", "1er janvier 2022"),
        (D(2022, 1, 1), "fr", "full", "samedi 1er janvier 2022"),
        (D(2022, 1, 1), "fr_FR", "day", "1er janvier"),
        (D(2022, 1, 1), "fr_FR", "month", "janvier 2022"),
        (D(2022, 1, 11), "fr_FR", "long", "11 janvier 2022"),  # only the first of the month
        (D(2022, 1, 7), "en_GB", "long", "7 January 2022"),
        (D(2022, 1, 7), "en_GB", "full", "Friday, 7 January 2022"),
        (D(2022, 1, 1), "en_GB", "long", "1 January 2022"),  # no `1er` outside French
        (D(2022, 1, 1), "en_GB", "day", "1 January"),
        (D(2022, 1, 7), "en_US", "long", "January 7, 2022"),
    ],
)
def test_date_forms(value: dt.date, locale: str, form: str, expected: str) -> None:
    assert format_date(value, locale, form) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("start", "end", "locale", "expected"),
    [
        (D(2022, 1, 2), D(2022, 1, 11), "fr_FR", "du 2 au 11 janvier 2022"),
        (D(2021, 12, 28), D(2022, 1, 11), "fr_FR", "du 28 décembre 2021 au 11 janvier 2022"),
        (D(2022, 1, 1), D(2022, 1, 19), "fr_FR", "du 1er au 19 janvier 2022"),
        (D(2022, 1, 30), D(2022, 2, 1), "fr_FR", "du 30 janvier au 1er février 2022"),
        (D(2022, 1, 7), D(2022, 1, 7), "fr_FR", "7 janvier 2022"),
        (D(2022, 1, 2), D(2022, 1, 11), "en_GB", "2–11 January 2022"),
        (D(2021, 12, 28), D(2022, 1, 11), "en_GB", "28 December 2021\u2009–\u200911 January 2022"),
        (D(2022, 1, 1), D(2022, 1, 19), "en_GB", "1–19 January 2022"),
    ],
)
def test_date_ranges(start: dt.date, end: dt.date, locale: str, expected: str) -> None:
    assert format_date_range(start, end, locale) == expected


@pytest.mark.parametrize(
    ("start", "end", "locale", "expected"),
    [
        (D(2022, 1, 13), D(2022, 1, 19), "fr_FR", "13–19 janvier"),
        (D(2022, 1, 1), D(2022, 1, 3), "fr_FR", "1er–3 janvier"),
        (D(2021, 12, 28), D(2022, 1, 3), "fr_FR", "28 décembre – 3 janvier"),
        (D(2022, 1, 13), D(2022, 1, 19), "en_GB", "13–19 January"),
    ],
)
def test_day_ranges(start: dt.date, end: dt.date, locale: str, expected: str) -> None:
    assert format_day_range(start, end, locale) == expected


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (CslDate(2022, None, None), "fr_FR", "2022"),
        (CslDate(2022, 1, None), "fr_FR", "janvier 2022"),
        (CslDate(2022, 3, 1), "fr_FR", "1er mars 2022"),
        (CslDate(2022, 1, None), "en_GB", "January 2022"),
        (CslDate(2022, 3, 1), "en_GB", "1 March 2022"),
    ],
)
def test_source_dates_as_precise_as_given(value: CslDate, locale: str, expected: str) -> None:
    assert format_csl_date(value, locale) == expected


def test_numbers() -> None:
    assert format_number(2030, "fr_FR") == "2\u202f030"
    assert format_number(12.5, "fr_FR") == "12,5"
    assert format_percentage(0.125, "fr_FR") == "12,5\u00a0%"
    assert format_number(2030, "en_GB") == "2,030"
    assert format_percentage(0.125, "en_GB") == "12.5%"
