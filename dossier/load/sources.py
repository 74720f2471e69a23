"""Read the sources: CSL-YAML (Pandoc), CSL-JSON (Zotero) or BibLaTeX/BibTeX, checked and located."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dossier.errors import DossierError, Location, Report
from dossier.l10n.languages import language_tag
from dossier.load.bibtex import read_bib
from dossier.load.csldates import DateError, parse_date
from dossier.load.richtext import RICH_FIELDS, from_csl_html, from_pandoc_markdown, plain
from dossier.load.text import read_text
from dossier.load.yamlpos import PosDict, PosList, load_yaml
from dossier.model import Source

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


def load_sources(paths: Path | Sequence[Path], report: Report, locale: str = "en") -> dict[str, Source]:
    """Sources by id, in file order, from every file (as Pandoc's `bibliography: [a.bib, b.json]`).
    Problems go to `report`; fatal ones raise. `locale` is the dossier's: the language that
    language names are read in, and Pandoc's locale for BibLaTeX's localised keys."""
    sources: dict[str, Source] = {}
    for path in [paths] if isinstance(paths, Path) else paths:
        if not path.is_file():
            raise DossierError.single("sources-missing", Location(path), "sources file not found")
        items = _read_items(path, locale, report)
        for index, item in enumerate(items):
            mark = items.item_marks[index] if isinstance(items, PosList) else (None, None)
            source = _source(path, item, Location(path, *mark), report, locale)
            if source is None:
                continue
            if source.id in sources:
                first = sources[source.id].location
                where = f"line {first.line}" if first.path == path else f"{first.path.name}:{first.line}"
                report.error(
                    "source-duplicate",
                    source.location,
                    f"duplicate source id '{source.id}' (first defined at {where})",
                )
                continue
            sources[source.id] = source
    return sources


BIB_SUFFIXES = {".bib": "biblatex", ".bibtex": "bibtex"}  # as Pandoc's --bibliography reads them


def _read_items(path: Path, locale: str, report: Report) -> list[Any]:
    text = read_text(path)
    suffix = path.suffix.lower()
    if suffix in BIB_SUFFIXES:
        return read_bib(path, text, BIB_SUFFIXES[suffix], locale, report)
    data = _load_json(text, path) if suffix == ".json" else load_yaml(text, path)
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


# CSL's variables written in capitals; Pandoc's YAML writes them in lower case (`url:`, `doi:`).
_UPPER = {"url": "URL", "doi": "DOI", "isbn": "ISBN", "issn": "ISSN", "pmid": "PMID", "pmcid": "PMCID"}


def _source(path: Path, item: Any, location: Location, report: Report, locale: str) -> Source | None:
    if not isinstance(item, dict):
        report.error("source-format", location, "expected a CSL item (a mapping with 'id' and 'type')")
        return None
    ident = item.get("id")
    if ident is None or (isinstance(ident, str) and not ident.strip()):
        report.error("source-id", location, "source without 'id'")
        return None
    ident = str(ident).strip()
    kind = item.get("type")
    if kind == "" and path.suffix.lower() in BIB_SUFFIXES:
        kind = "document"  # Pandoc gives @misc no CSL type; CSL 1.0.2 calls it a document
    if not isinstance(kind, str) or kind not in CSL_TYPES:
        where = _at(item, "type", path) if "type" in item else location
        report.error("source-type", where, f"source '{ident}': unknown or missing CSL type {kind!r}")
        return None
    rich = from_csl_html if path.suffix.lower() in (".json", *BIB_SUFFIXES) else from_pandoc_markdown
    fields: dict[str, Any] = {}
    for raw_key, value in item.items():
        key = _UPPER.get(raw_key, raw_key) if isinstance(raw_key, str) else str(raw_key)
        if key in ("id", "type") or value is None:
            continue
        if key in DATE_FIELDS:
            try:
                fields[key] = parse_date(value)
            except DateError:
                report.error(
                    "source-date", _at(item, raw_key, path),
                    f"source '{ident}': invalid date in '{key}': {_show(value)}",
                )
        elif key in NAME_FIELDS:
            names = _names(value)
            if names is None:
                report.error(
                    "source-names", _at(item, raw_key, path),
                    f"source '{ident}': '{key}' must be a list of names (family/given or literal)",
                )
                continue
            fields[key] = names
        elif key == "language":
            tag = language_tag(value, locale)
            if tag is None or tag == "und":
                report.warning(
                    "source-language", _at(item, raw_key, path),
                    f"source '{ident}': unknown language {_show(value)}, left out "
                    "(write a language tag such as 'en' or 'fr-FR', or its name)",
                )
                continue
            fields[key] = tag
        elif isinstance(value, dict | list):
            fields[key] = value
        elif key in RICH_FIELDS:
            text = str(value).strip()
            fields[key] = rich(text)
        else:
            text = str(value).strip()
            fields[key] = plain(text) if rich is from_pandoc_markdown else text
    _check_url(report, path, item, ident, kind, fields)
    return Source(id=ident, type=kind, fields=fields, location=location)


def _check_url(
    report: Report, path: Path, item: PosDict, ident: str, kind: str, fields: dict[str, Any]
) -> None:
    url = fields.get("URL")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            key = next((k for k in item if _UPPER.get(k, k) == "URL"), "URL")
            report.error("source-url", _at(item, key, path), f"source '{ident}': invalid URL '{url}'")
            fields.pop("URL")
            return
    location = Location(path, *getattr(item, "mark", (None, None)))
    if kind in WEB_TYPES and url is None:
        report.warning("source-web-url", location, f"web source '{ident}' has no URL")
    # An access date says when a page that changes was read: articles and books that carry a
    # URL (a DOI link, a publisher's page) are fixed texts and need none.
    if kind in WEB_TYPES and url is not None and "accessed" not in fields:
        report.warning("source-accessed", location, f"web source '{ident}' has no access date ('accessed')")


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f"'{value}'"


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
