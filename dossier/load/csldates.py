"""CSL dates in every form Pandoc and Zotero write them, read into `CslDate`.

- ISO and EDTF strings (Pandoc's CSL-YAML): `2022-01-07`, `2022-01`, `2022`, seasons `2014-21`
  (21 spring … 24 winter), approximate `1850~` (or `?`, `%`), years before the common era
  `-0050` (astronomical numbering, as EDTF and BibLaTeX count: year 0 is 1 BC, so -0050 is
  51 BC), ranges `2020-01/2020-03`; Pandoc's own YAML output escapes the tilde (`1850\\~`).
- CSL-JSON objects: `{date-parts: [[2022, 1, 7]]}` (numbers or strings, as Zotero writes the
  year), a second part for a range, months 13–16 for seasons (citeproc-js), `season`, `circa`,
  `literal` (printed as written), `raw` (read as a string).
- The legacy forms of CSL-YAML (CSL 0.8, in Pandoc's own tests): `{year: 2014, month: 1}`, and
  a list of them, `[{year: 1971}]` or two for a range.
- YAML dates (`issued: 2022-01-07` unquoted) and plain years (`issued: 2020`).
- Any other text with letters in it (`in press`, `7 August 2012, 9:22`) is a literal date, as
  Pandoc takes it; text made only of digits and date punctuation that is not a date is an error.

No maintained Python library reads CSL's date forms (citeproc-py reads only `date-parts`), and
EDTF libraries (edtf) do not know CSL's objects, so this module is ours.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from dossier.model import CslDate

_EDTF = re.compile(r"^(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?([~?%]?)$")
_DATE_PUNCTUATION = re.compile(r"^[\d\s\-/~?%.:]+$")
_SEASON_NAMES = {"spring": 1, "summer": 2, "autumn": 3, "fall": 3, "winter": 4}


class DateError(ValueError):
    """The value is not a date in any CSL form."""


def parse_date(value: Any) -> CslDate:
    """The `CslDate` of a CSL date value; `DateError` if it is none."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return CslDate(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise DateError(value)
    if isinstance(value, int):
        return _checked(value)
    if isinstance(value, str):
        return _from_text(value)
    if isinstance(value, list):
        return _from_legacy_list(value)
    if isinstance(value, dict):
        return _from_object(value)
    raise DateError(value)


def _from_text(text: str) -> CslDate:
    text = text.replace("\\", "").strip()  # Pandoc's Markdown escapes (`1850\~`)
    if not text:
        raise DateError(text)
    if "/" in text and _DATE_PUNCTUATION.match(text):
        start, _, end = text.partition("/")
        first = _edtf(start) if start.strip() else None
        last = _edtf(end) if end.strip() else None
        if first is None or last is None:
            raise DateError(text)  # open ranges (`2020/..`) have no printed form in our styles
        return _range(first, last)
    if _DATE_PUNCTUATION.match(text):
        return _edtf(text)
    return CslDate(None, literal=text)


def _edtf(text: str) -> CslDate:
    match = _EDTF.match(text.strip())
    if not match:
        raise DateError(text)
    year_text, month_text, day_text, qualifier = match.groups()
    year = int(year_text)
    if year_text.startswith("-") or year == 0:
        year -= 1  # astronomical numbering: 0 is 1 BC, -1 is 2 BC (CSL's -1 is 1 BC)
    month = int(month_text) if month_text else None
    season = None
    if month is not None and 21 <= month <= 24:
        season, month = month - 20, None
    day = int(day_text) if day_text else None
    if season and day:
        raise DateError(text)
    return _checked(year, month, day, season=season, circa=bool(qualifier))


def _number(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise DateError(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise DateError(value) from None


def _parts(parts: Any) -> CslDate:
    if not isinstance(parts, list) or not parts or len(parts) > 3:
        raise DateError(parts)
    year, month, day = ([_number(p) for p in parts] + [None, None])[:3]
    if year is None:
        raise DateError(parts)
    season = None
    if month is not None and (13 <= month <= 16 or 21 <= month <= 24):
        season, month = (month - 12 if month <= 16 else month - 20), None
    return _checked(year, month, day, season=season)


def _season(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() in _SEASON_NAMES:
        return _SEASON_NAMES[value.strip().lower()]
    number = _number(value)
    if number is None or not 1 <= number <= 4:
        raise DateError(value)
    return number


def _circa(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes") if value is not None else False


def _from_object(value: dict[str, Any]) -> CslDate:
    if "date-parts" in value:
        parts = value["date-parts"]
        if not isinstance(parts, list) or not parts or not 1 <= len(parts) <= 2:
            raise DateError(value)
        first = _parts(parts[0])
        if len(parts) == 2 and parts[1] and parts[1] != parts[0]:
            first = _range(first, _parts(parts[1]))
        return _with(first, value)
    if "year" in value:  # CSL 0.8's form, still in Pandoc's tests
        date = _checked(_number(value["year"]) or 0, _number(value.get("month")), _number(value.get("day")))
        return _with(date, value)
    if value.get("raw") not in (None, ""):
        return _with(_from_text(str(value["raw"])), value)
    if value.get("literal") not in (None, ""):
        return CslDate(None, literal=str(value["literal"]).strip())
    raise DateError(value)


def _with(date: CslDate, value: dict[str, Any]) -> CslDate:
    """The object's `season` and `circa` applied to a date read from its other keys."""
    season = _season(value.get("season")) if "season" in value else None
    circa = _circa(value.get("circa"))
    if season and date.month is None and date.day is None:
        date = CslDate(date.year, season=season, circa=date.circa, end=date.end)
    if circa and not date.circa:
        date = CslDate(date.year, date.month, date.day, date.season, True, date.literal, date.end)
    return date


def _from_legacy_list(value: list[Any]) -> CslDate:
    """`[{year: 1971}]`, or two such objects for a range."""
    if not value or len(value) > 2 or not all(isinstance(v, dict) for v in value):
        raise DateError(value)
    first = _from_object(value[0])
    if len(value) == 2:
        return _range(first, _from_object(value[1]))
    return first


def _range(first: CslDate, last: CslDate) -> CslDate:
    if last.literal or first.literal or first.end or last.end:
        raise DateError((first, last))
    if (first.year, first.month or 0, first.day or 0) > (last.year, last.month or 0, last.day or 0):
        raise DateError((first, last))
    return CslDate(first.year, first.month, first.day, first.season, first.circa, None, last)


def _checked(
    year: int, month: int | None = None, day: int | None = None, *, season: int | None = None, circa: bool = False
) -> CslDate:
    if year == 0 or abs(year) > 9999:
        raise DateError(year)  # CSL has no year 0: -1 is 1 BC
    if month is not None and not 1 <= month <= 12:
        raise DateError(month)
    if day is not None:
        if month is None:
            raise DateError(day)
        leap = calendar.isleap(year if year > 0 else year + 1)
        length = 29 if month == 2 and leap else calendar.mdays[month]
        if not 1 <= day <= length:
            raise DateError(day)
    return CslDate(year, month, day, season, circa)
