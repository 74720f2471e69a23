"""Every date a reader sees goes through here, in the dossier's locale (Babel)."""

from __future__ import annotations

import datetime as dt

import babel.dates
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval

from dossier.model import CslDate


def _is_french(locale: str) -> bool:
    return locale.split("_")[0].split("-")[0] == "fr"


def _first_of_month(text: str, day: int, locale: str) -> str:
    """French writes the first of a month `1er` (Babel's CLDR data gives `1`)."""
    if _is_french(locale) and day == 1:
        return text.replace("1 ", "1er ", 1) if text.startswith("1 ") else text.replace(" 1 ", " 1er ", 1)
    return text


def format_date(value: dt.date, locale: str, form: str = "long") -> str:
    """`long` → 7 janvier 2022; `full` → vendredi 7 janvier 2022; `month` → janvier 2022;
    `day` → 1er janvier (a figure's date, the year shown elsewhere)."""
    if form == "month":
        return babel_format_date(value, "MMMM y", locale=locale)
    if form == "day":
        pattern = babel.dates.get_date_format("long", locale=locale).pattern
        skeleton = "d MMMM" if pattern.index("d") < pattern.index("M") else "MMMM d"
        text = babel_format_date(value, skeleton, locale=locale)
        return _first_of_month(text, value.day, locale)
    pattern = {"long": "long", "full": "full"}[form]
    return _first_of_month(babel_format_date(value, pattern, locale=locale), value.day, locale)


def format_csl_date(value: CslDate, locale: str) -> str:
    """A source's date, as precise as the source gives it: year, month and year, or full."""
    if value.month is None:
        return str(value.year)
    if value.day is None:
        return format_date(dt.date(value.year, value.month, 1), locale, "month")
    return format_date(dt.date(value.year, value.month, value.day), locale)


def format_date_range(start: dt.date, end: dt.date, locale: str) -> str:
    """Prose range: `du 2 au 11 janvier 2022`, `du 28 décembre 2021 au 11 janvier 2022`."""
    if start == end:
        return format_date(start, locale)
    if not _is_french(locale):
        return format_interval(start, end, "yMMMMd", locale=locale)
    if (start.year, start.month) == (end.year, end.month):
        first = _first_of_month(str(start.day) + " ", start.day, locale).strip()
    elif start.year == end.year:
        first = _first_of_month(babel_format_date(start, "d MMMM", locale=locale), start.day, locale)
    else:
        first = format_date(start, locale)
    return f"du {first} au {format_date(end, locale)}"


def format_day_range(start: dt.date, end: dt.date, locale: str) -> str:
    """A figure's span of days: `13–19 janvier`, `28 décembre – 3 janvier` (no year)."""
    if (start.year, start.month) == (end.year, end.month) and _is_french(locale):
        first = _first_of_month(f"{start.day} ", start.day, locale).strip()
        return f"{first}\u2013{format_date(end, locale, 'day')}"
    return f"{format_date(start, locale, 'day')} \u2013 {format_date(end, locale, 'day')}"
