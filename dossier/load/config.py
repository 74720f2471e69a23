"""Read and validate dossier.toml into a `Config`, reporting every problem with its line."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dossier.errors import DossierError, Location, Report
from dossier.load.text import read_text
from dossier.load.tomlpos import key_positions, locate
from dossier.model import Config, Edition, LayoutOptions, Paper

CONFIG_NAME = "dossier.toml"

NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _EditionModel(_Strict):
    number: Annotated[int, Field(ge=1)]
    date: dt.date
    summary: NonEmpty


class _CurrentEditionModel(_EditionModel):
    history: list[_EditionModel] = []


class _LayoutModel(_Strict):
    name: NonEmpty = "default"  # a folder of the shipped layouts/: checked by _check_layout
    path: NonEmpty | None = None  # a house layout's folder, relative to the dossier (dossier.load.layout)
    paper: Paper = "A4"
    notes: Literal["chapter", "continuous"] = "chapter"
    raw_html: Literal["sanitize", "refuse"] = "sanitize"


class _CheckModel(_Strict):
    spelling: bool = True


class _DiagnosticsModel(_Strict):
    ignore: list[NonEmpty] = []  # warning codes (dossier.codes), each checked by _check_ignore


class _ConfigModel(_Strict):
    title: NonEmpty
    subtitle: NonEmpty | None = None
    authors: Annotated[list[NonEmpty], Field(min_length=1)]
    publisher: NonEmpty
    locale: NonEmpty
    identifier: NonEmpty
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")] | None = None
    description: NonEmpty | None = None
    rights: NonEmpty | None = None
    subjects: list[NonEmpty] = []
    date: dt.date | None = None
    chapters: Annotated[list[NonEmpty], Field(min_length=1)]
    # one file, or several as Pandoc's `bibliography: [a.bib, b.json]`
    sources: Annotated[list[NonEmpty], Field(min_length=1)] = ["sources.yaml"]
    glossary: NonEmpty | None = None
    nocite: list[NonEmpty] = []  # sources in the bibliography without a citation ("@*": all)
    edition: _CurrentEditionModel
    layout: _LayoutModel = _LayoutModel()
    check: _CheckModel = _CheckModel()
    diagnostics: _DiagnosticsModel = _DiagnosticsModel()

    @field_validator("sources", mode="before")
    @classmethod
    def _one_or_several(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            raise ValueError("expected a file name or a list of file names")
        return value

    @field_validator("date", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        # TOML has local dates and datetimes; a dossier's dates are days.
        if isinstance(value, dt.datetime):
            raise ValueError("expected a date such as 2022-01-07, not a date and time")
        return value


def slugify(text: str) -> str:
    """ASCII file-name form of a title: `L'OTSC en 2022` → `l-otsc-en-2022`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "dossier"


def load_config(root: Path, warnings: Report | None = None) -> Config:
    """dossier.toml validated; its errors raised together, its warnings added to `warnings`."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise DossierError.single(
            "config-missing", Location(path), f"no {CONFIG_NAME} here: not a dossier folder"
        )
    text = read_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        location = _toml_error_location(path, exc)
        raise DossierError.single("config-syntax", location, _toml_message(exc, text, location)) from None
    if not raw:
        raise DossierError.single(
            "config-empty", Location(path), f"{CONFIG_NAME} is empty: it needs at least title, authors, "
            "publisher, locale, identifier, chapters and [edition] (`dossier new` writes one)"
        )
    positions = key_positions(text)
    report = Report()
    try:
        model = _ConfigModel.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            _report_validation_error(report, path, positions, raw, error)
        raise DossierError(report) from None
    ignore = _check_ignore(warnings if warnings is not None else Report(), path, positions, model.diagnostics.ignore)
    config = _to_config(root, path, model, ignore)
    _check_locale(report, path, positions, config.locale)
    _check_layout(report, path, positions, config.layout.name)
    if not report.errors:
        config = _house_layout(report, path, positions, config)
    for index, name in enumerate(config.sources):
        _check_inside(report, path, positions, root, "sources", name, index)
    _check_inside(report, path, positions, root, "glossary", config.glossary)
    report.raise_if_errors()
    return config


def _toml_error_location(path: Path, exc: tomllib.TOMLDecodeError) -> Location:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if match:
        return Location(path, int(match.group(1)), int(match.group(2)))
    return Location(path)


_TOML_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _toml_message(exc: tomllib.TOMLDecodeError, text: str, location: Location) -> str:
    message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
    if message == "Invalid date or datetime" and location.line and location.col:
        # tomllib does not say why: name the impossible date, as the YAML reader does.
        line = text.splitlines()[location.line - 1]
        found = _TOML_DATE.match(line, location.col - 1)
        if found:
            return f"impossible date '{found.group()}'"
    return f"invalid TOML: {message[:1].lower()}{message[1:]}"


def _report_validation_error(
    report: Report, path: Path, positions: dict, raw: dict, error: dict[str, Any]
) -> None:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    # pydantic adds the union branch or tag to the path (e.g. 'str'); keep only real keys.
    loc = tuple(part for part in loc if not (isinstance(part, str) and part in _TYPE_TAGS))
    where = locate(positions, loc) or (1, 1)
    location = Location(path, *where)
    dotted = ".".join(str(p) for p in loc)
    kind = error["type"]
    if kind == "missing":
        parent = ".".join(str(p) for p in loc[:-1])
        in_table = f" in [{parent}]" if parent else ""
        if loc[:-1]:
            location = Location(path, *(locate(positions, loc[:-1]) or (1, 1)))
        report.error("config-missing-key", location, f"missing key '{loc[-1]}'{in_table}")
    elif kind == "extra_forbidden":
        report.error("config-unknown-key", location, f"unknown key '{dotted}'{_suggest(loc)}")
    else:
        report.error("config-type", location, f"'{dotted}': {_describe(error)}")


_TYPE_TAGS = {"str", "int", "list[str]", "date", "function-after", "function-before", "literal"}


def _suggest(loc: tuple[str | int, ...]) -> str:
    """A close known key for an unknown one: typos are the usual cause."""
    tables: dict[tuple[str, ...], type[BaseModel]] = {
        (): _ConfigModel,
        ("edition",): _CurrentEditionModel,
        ("edition", "history"): _EditionModel,
        ("layout",): _LayoutModel,
        ("check",): _CheckModel,
        ("diagnostics",): _DiagnosticsModel,
    }
    model = tables.get(tuple(str(p) for p in loc[:-1] if isinstance(p, str)))
    if model is None:
        return ""
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    value = error.get("input")
    messages = {
        "string_type": "expected a string",
        "int_type": "expected an integer",
        "list_type": "expected a list",
        "date_type": "expected a date such as 2022-01-07",
        "model_type": "expected a table",
        "greater_than_equal": "expected a number of 1 or more",
        "string_too_short": "must not be empty",
        "too_short": "must not be empty",
        "string_pattern_mismatch": "expected lowercase letters, digits, '-', '_' or '.'",
    }
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{value!r} is not one of {expected}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return messages.get(kind, error["msg"][:1].lower() + error["msg"][1:])


def _check_locale(report: Report, path: Path, positions: dict, locale: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        where = locate(positions, ("locale",)) or (1, 1)
        report.error("config-locale", Location(path, *where), f"unknown locale '{locale}'")


def _check_layout(report: Report, path: Path, positions: dict, name: str) -> None:
    """A layout is a folder of the shipped layouts/, named plainly: never a path elsewhere."""
    from dossier.resources import layouts_dir

    known = sorted(p.name for p in layouts_dir().iterdir() if (p / "print.html.j2").is_file())
    if name not in known:
        where = locate(positions, ("layout", "name")) or (1, 1)
        report.error(
            "config-layout", Location(path, *where), f"unknown layout '{name}' (known: {', '.join(known)})"
        )


def _check_ignore(report: Report, path: Path, positions: dict, codes: list[str]) -> frozenset[str]:
    """The warning codes to silence; a code that is unknown, or an error's, is itself a warning."""
    from dossier.codes import CODES, WARNINGS

    silenced = set()
    for index, code in enumerate(codes):
        where = Location(path, *(locate(positions, ("diagnostics", "ignore", index)) or (1, 1)))
        if code in WARNINGS:
            silenced.add(code)
        elif code in CODES:
            report.warning("config-ignore", where, f"'{code}' is an error: only warnings can be silenced")
        else:
            close = difflib.get_close_matches(code, sorted(WARNINGS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else " (see docs/diagnostics.md)"
            report.warning("config-ignore", where, f"unknown diagnostic code '{code}'{hint}")
    return frozenset(silenced)


def _house_layout(report: Report, path: Path, positions: dict, config: Config) -> Config:
    """The layout's folders, fonts and stylesheets (dossier.load.layout), `[layout] path` resolved."""
    from dossier.load.layout import load_layout

    folder = None
    if config.layout.path is not None:
        where = Location(path, *(locate(positions, ("layout", "path")) or (1, 1)))
        folder = (config.root / config.layout.path).resolve()
        if config.layout.name != "default":  # a house layout says what it extends, in its layout.toml
            report.error("config-layout", where, "give [layout] either 'name' (a shipped layout) or 'path', not both")
        if not folder.is_dir():
            report.error("config-layout", where, f"layout folder '{config.layout.path}' not found")
            return config
    layout = load_layout(config.layout.name, folder, report)
    return replace(config, layout=replace(config.layout, path=folder), layout_files=layout)


def _check_inside(
    report: Report, path: Path, positions: dict, root: Path, key: str, name: str | None, index: int | None = None
) -> None:
    """The files dossier.toml names are the dossier's own: never read from elsewhere."""
    if name is not None and not (root / name).resolve().is_relative_to(root.resolve()):
        where = (locate(positions, (key, index)) if index is not None else None) or locate(positions, (key,)) or (1, 1)
        report.error("config-outside", Location(path, *where), f"'{key}': '{name}' is outside the dossier")


def _edition(model: _EditionModel) -> Edition:
    return Edition(number=model.number, date=model.date, summary=model.summary)


def _to_config(root: Path, path: Path, m: _ConfigModel, ignore: frozenset[str]) -> Config:
    return Config(
        root=root,
        path=path,
        title=m.title,
        subtitle=m.subtitle,
        authors=tuple(m.authors),
        publisher=m.publisher,
        locale=m.locale,
        identifier=m.identifier,
        slug=m.slug or slugify(m.title),
        description=m.description,
        rights=m.rights,
        subjects=tuple(m.subjects),
        date=m.date,
        chapters=tuple(m.chapters),
        sources=tuple(m.sources),
        glossary=m.glossary,
        nocite=tuple(m.nocite),
        edition=_edition(m.edition),
        history=tuple(_edition(h) for h in m.edition.history),
        layout=LayoutOptions(**m.layout.model_dump()),
        check_spelling=m.check.spelling,
        ignore=ignore,
    )
