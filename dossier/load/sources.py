"""Read the sources: CSL-YAML (Pandoc) or CSL-JSON (Zotero), checked and located."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dossier.errors import DossierError, Location, Report
from dossier.load.text import read_text
from dossier.load.yamlpos import PosDict, PosList, load_yaml
from dossier.model import CslDate, Source

CSL_TYPES = frozenset(
    """article article-journal article-magazine article-newspaper bill book broadcast chapter
    classic collection dataset document entry entry-dictionary entry-encyclopedia event figure
    graphic hearing interview legal_case legislation manuscript map motion_picture musical_score
    pamphlet paper-conference patent performance periodical personal_communication post
    post-weblog regulation report review review-book software song speech standard thesis
    treaty webpage""".split()  # noqa: SIM905 - a word list reads better than 45 quoted strings
)
DATE_FIELDS = ("issued", "accessed", "original-date", "event-date", "submitted", "available-date")
NAME_FIELDS = (
    "author", "editor", "translator", "container-author", "collection-editor", "director",
    "interviewer", "recipient", "reviewed-author", "composer", "illustrator", "contributor",
)
WEB_TYPES = frozenset({"webpage", "post-weblog", "post"})
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def load_sources(path: Path, report: Report) -> dict[str, Source]:
    """Sources by id, in file order. Problems go to `report`; fatal ones raise."""
    if not path.is_file():
        raise DossierError.single("sources-missing", Location(path), "sources file not found")
    items = _read_items(path)
    sources: dict[str, Source] = {}
    for index, item in enumerate(items):
        mark = items.item_marks[index] if isinstance(items, PosList) else (None, None)
        source = _source(path, item, Location(path, *mark), report)
        if source is None:
            continue
        if source.id in sources:
            first = sources[source.id].location
            report.error(
                "source-duplicate",
                source.location,
                f"duplicate source id '{source.id}' (first defined at line {first.line})",
            )
            continue
        sources[source.id] = source
    return sources


def _read_items(path: Path) -> list[Any]:
    text = read_text(path)
    data = _load_json(text, path) if path.suffix.lower() == ".json" else load_yaml(text, path)
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if data is None:
        return PosList()
    if not isinstance(data, list):
        raise DossierError.single(
            "sources-format", Location(path, 1, 1), "expected a list of CSL items (or 'references:')"
        )
    return data


def _load_json(text: str, path: Path) -> Any:
    """CSL-JSON values from `json`, positions from the same text read as YAML where it can be."""
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DossierError.single(
            "json-syntax", Location(path, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}"
        ) from None
    try:
        # Tabs only ever appear between JSON tokens (a raw tab in a string is invalid JSON),
        # so turning them into spaces keeps every position and lets YAML read the layout.
        marks = load_yaml(text.replace("\t", " "), path)
    except DossierError:
        marks = None
    return _graft_marks(values, marks)


def _graft_marks(value: Any, marks: Any) -> Any:
    if isinstance(value, dict):
        result = PosDict()
        result.key_marks, result.value_marks = {}, {}
        if isinstance(marks, PosDict):
            result.mark = marks.mark
        for key, item in value.items():
            sub = marks.get(key) if isinstance(marks, PosDict) else None
            result[key] = _graft_marks(item, sub)
            if isinstance(marks, PosDict) and key in marks.value_marks:
                result.key_marks[key] = marks.key_marks[key]
                result.value_marks[key] = marks.value_marks[key]
        return result
    if isinstance(value, list):
        result_list = PosList(
            _graft_marks(item, marks[i] if isinstance(marks, PosList) and i < len(marks) else None)
            for i, item in enumerate(value)
        )
        if isinstance(marks, PosList) and len(marks) == len(value):
            result_list.mark, result_list.item_marks = marks.mark, marks.item_marks
        else:
            result_list.item_marks = [(None, None)] * len(value)
        return result_list
    return value


def _at(item: PosDict, key: str, path: Path) -> Location:
    marks = getattr(item, "value_marks", {})
    if key in marks:
        return Location(path, *marks[key])
    return Location(path, *getattr(item, "mark", (None, None)))


def _source(path: Path, item: Any, location: Location, report: Report) -> Source | None:
    if not isinstance(item, dict):
        report.error("source-format", location, "expected a CSL item (a mapping with 'id' and 'type')")
        return None
    ident = item.get("id")
    if ident is None or (isinstance(ident, str) and not ident.strip()):
        report.error("source-id", location, "source without 'id'")
        return None
    ident = str(ident)
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in CSL_TYPES:
        where = _at(item, "type", path) if "type" in item else location
        report.error("source-type", where, f"source '{ident}': unknown or missing CSL type {kind!r}")
        return None
    fields: dict[str, Any] = {}
    for key, value in item.items():
        if key in ("id", "type"):
            continue
        if key in DATE_FIELDS:
            parsed = _date(value)
            if parsed is None:
                report.error(
                    "source-date", _at(item, key, path),
                    f"source '{ident}': invalid date in '{key}': {_show(value)}",
                )
                continue
            fields[key] = parsed
        elif key in NAME_FIELDS:
            names = _names(value)
            if names is None:
                report.error(
                    "source-names", _at(item, key, path),
                    f"source '{ident}': '{key}' must be a list of names (family/given or literal)",
                )
                continue
            fields[key] = names
        else:
            fields[key] = value if isinstance(value, dict | list) else str(value)
    _check_url(report, path, item, ident, kind, fields)
    return Source(id=ident, type=kind, fields=fields, location=location)


def _check_url(
    report: Report, path: Path, item: PosDict, ident: str, kind: str, fields: dict[str, Any]
) -> None:
    url = fields.get("URL")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            report.error("source-url", _at(item, "URL", path), f"source '{ident}': invalid URL '{url}'")
            fields.pop("URL")
            return
    location = Location(path, *getattr(item, "mark", (None, None)))
    if kind in WEB_TYPES and url is None:
        report.warning("source-web-url", location, f"web source '{ident}' has no URL")
    if url is not None and "accessed" not in fields:
        report.warning("source-accessed", location, f"web source '{ident}' has no access date ('accessed')")


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f"'{value}'"


def _date(value: Any) -> CslDate | None:
    """A CSL date from `2022-01-07`, a YAML date, or `{date-parts: [[2022, 1, 7]]}`."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return CslDate(value.year, value.month, value.day)
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            try:
                numbers = [int(p) for p in parts[0][:3]]
            except (TypeError, ValueError):
                return None
            return _checked(*numbers)
        raw = value.get("raw")
        return _date(str(raw)) if raw is not None else None
    if isinstance(value, int):
        return _checked(value)
    if isinstance(value, str):
        match = _ISO_DATE.match(value.strip())
        if not match:
            return None
        return _checked(*(int(g) for g in match.groups() if g))
    return None


def _checked(year: int, month: int | None = None, day: int | None = None) -> CslDate | None:
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        return None
    return CslDate(year, month, day)


def _names(value: Any) -> list[dict[str, str]] | None:
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        return None
    names = []
    for name in value:
        if isinstance(name, str):
            names.append({"literal": name})
        elif isinstance(name, dict) and ("literal" in name or "family" in name):
            names.append({k: str(v) for k, v in name.items() if isinstance(v, str | int)})
        else:
            return None
    return names
