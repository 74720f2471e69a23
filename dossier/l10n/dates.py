"""Every date a reader sees goes through here, in the dossier's locale (Babel, CLDR data).

Two French usages that CLDR does not give are added here: the first of a month is `1er`
(`1er janvier 2022`), and a range in prose reads `du 2 au 11 janvier 2022`.
Machine-readable dates (EPUB and PDF metadata) stay ISO 8601 and do not come here.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval, format_skeleton

from dossier.l10n.i18n import translations
from dossier.model import CslDate

Form = Literal["long", "full", "month", "year", "day", "numeric"]


def is_french(locale: str) -> bool:
    return re.split(r"[-_]", locale, maxsplit=1)[0].lower() == "fr"


def _first_of_month(pattern: str) -> str:
    """The day field `d` of a CLDR pattern, as `1er` (quoted literals left alone)."""
    parts = re.split(r"('(?:[^']|'')*')", pattern)
    return "".join(p if p.startswith("'") else re.sub(r"(?<!d)d(?!d)", "d'er'", p) for p in parts)


def _format(value: dt.date, pattern: str, locale: str) -> str:
    if value.day == 1 and is_french(locale):
        pattern = _first_of_month(pattern)
    return babel_format_date(value, pattern, locale=locale)


def format_date(value: dt.date, locale: str, form: Form = "long") -> str:
    """`long` → 7 janvier 2022; `full` → vendredi 7 janvier 2022; `month` → janvier 2022;
    `year` → 2022; `day` → 1er janvier (a figure's date, the year shown elsewhere)."""
    if form == "day":
        return _format(value, Locale.parse(locale).datetime_skeletons["MMMMd"].pattern, locale)
    if form in ("month", "year"):
        return format_skeleton("yMMMM" if form == "month" else "y", value, locale=locale)
    return _format(value, Locale.parse(locale).date_formats[form].pattern, locale)


def format_csl_date(value: CslDate, locale: str, numeric: bool = False) -> str:
    """A source's date, as precise as the source gives it: year, season or month and year, or
    day (`numeric`: `24.11.2026`, the locale's short form, for a day); approximate (`c. 1850`),
    before the common era (CLDR's era: `50 av. J.-C.`), a range (`2020–2021`), or a literal text."""
    if value.literal is not None:
        return value.literal
    if value.end is not None:
        text = _csl_range(value, value.end, locale, numeric)
    else:
        text = _csl_single(value, locale, numeric)
    _ = translations(locale).gettext
    return _("c. %(date)s") % {"date": text} if value.circa else text


def _season(season: int, year: str, locale: str) -> str:
    _ = translations(locale).gettext
    names = (_("Spring %(year)s"), _("Summer %(year)s"), _("Autumn %(year)s"), _("Winter %(year)s"))
    return names[season - 1] % {"year": year}


def _csl_single(value: CslDate, locale: str, numeric: bool = False) -> str:
    year = value.year or 1
    if year < 0:
        return _before_common_era(value, locale)
    if value.season:
        return _season(value.season, format_date(dt.date(year, 1, 1), locale, "year"), locale)
    if value.month is None:
        return format_date(dt.date(year, 1, 1), locale, "year")
    if value.day is None:
        return format_date(dt.date(year, value.month, 1), locale, "month")
    day = dt.date(year, value.month, value.day)
    return format_skeleton("yMMdd", day, locale=locale) if numeric else format_date(day, locale)


def _before_common_era(value: CslDate, locale: str) -> str:
    """`50 av. J.-C.`, `3 mars 44 av. J.-C.`: CLDR's abbreviated era after the year (Babel's
    patterns cannot format a year before 1)."""
    data = Locale.parse(locale)
    text = f"{-(value.year or 0)}\u00a0{data.eras['abbreviated'][0]}"
    if value.month:
        text = f"{data.months['format']['wide'][value.month]} {text}"
        if value.day:
            text = f"{value.day} {text}"
    return text


def _csl_range(start: CslDate, end: CslDate, locale: str, numeric: bool) -> str:
    """CLDR's interval format where both ends are plain dates of the same precision
    (`janvier – mars 2020`, `2020–2021`), else the two dates joined by an en dash."""
    same = (start.month is None) == (end.month is None) and (start.day is None) == (end.day is None)
    plain = not (start.season or end.season or start.circa or end.circa) and (start.year or 0) > 0
    if same and plain and not numeric and (end.year or 0) > 0:
        first = dt.date(start.year or 1, start.month or 1, start.day or 1)
        last = dt.date(end.year or 1, end.month or 1, end.day or 1)
        if start.day is not None:
            return format_date_range(first, last, locale)
        return format_interval(first, last, "y" if start.month is None else "yMMMM", locale=locale)
    return f"{_csl_single(start, locale, numeric)}\u2013{_csl_single(end, locale, numeric)}"


def _closed_dash(text: str, field: str) -> str:
    """`2–11 January`: an en dash between two day numbers takes no space (Oxford and Chicago
    usage, and what older CLDR data gave); the CLDR data of Babel 2.19 spaces it with thin spaces.
    Only a day range is closed: between full dates the dash stays spaced."""
    if field != "d":
        return text
    return re.sub(r"(\d)[\s\u2009\u202f]*\u2013[\s\u2009\u202f]*(\d)", "\\1\u2013\\2", text)


def format_date_range(start: dt.date, end: dt.date, locale: str) -> str:
    """A range in prose: `du 2 au 11 janvier 2022` in French, CLDR's `2–11 January 2022` elsewhere.

    CLDR's interval patterns give the shortest start for the field that differs (day, month
    or year); they have the abbreviated month (`yMMMd`), widened here to the long one, as
    the CLDR specification allows (UTS #35, intervalFormats).
    """
    if start == end:
        return format_date(start, locale)
    field = "y" if start.year != end.year else "M" if start.month != end.month else "d"
    first, second = (p.replace("MMM", "MMMM") for p in Locale.parse(locale).interval_formats["yMMMd"][field])
    if not is_french(locale):
        return _closed_dash(_format(start, first, locale) + _format(end, second, locale), field)
    first = first.rstrip("–\u2009 -")
    return f"du {_format(start, first, locale)} au {_format(end, second, locale)}"


def format_day_range(start: dt.date, end: dt.date, locale: str) -> str:
    """A figure's span of days, without the year: `13–19 janvier`, `28 décembre – 3 janvier`."""
    if (start.year, start.month) == (end.year, end.month):
        first, second = (p.replace("MMM", "MMMM") for p in Locale.parse(locale).interval_formats["MMMd"]["d"])
        return _closed_dash(_format(start, first, locale) + _format(end, second, locale), "d")
    return f"{format_date(start, locale, 'day')} \u2013 {format_date(end, locale, 'day')}"
