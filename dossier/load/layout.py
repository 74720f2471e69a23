"""Read a layout's folder: its layout.toml, its fonts and licences, and what its stylesheets name.

A layout is a folder of templates, stylesheets and fonts with a small manifest, `layout.toml`:

    name = "Maison"                  # what it is called
    extends = "default"              # a shipped layout for the files it does not have; without it, it replaces it
    formats = ["pdf", "epub"]        # the outputs it styles
    [stylesheets]                    # its own sheets, after those of the layout it extends
    pdf = ["maison.css"]             # print stylesheets, in cascade order
    epub = ["maison-epub.css"]       # added to the end of the EPUB's stylesheet
    [[fonts]]                        # every font it ships, with its licence
    file = "fonts/Maison-Regular.otf"
    licence = "fonts/OFL.txt"

A house layout (`[layout] path` in dossier.toml) is data, not trusted code: everything it uses
is read from its own folder. Its stylesheets may name files of that folder only (no `../` out,
no `file:` or remote URL, no symbolic link leading out), and in its EPUB stylesheets only the
fonts a layout declares (`../fonts/NAME`, where the EPUB keeps them); each breach is an error at
its place. The shipped layouts are checked by the tests, and may use the shipped assets.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dossier.errors import Location, Report
from dossier.load.tomlpos import key_positions, locate
from dossier.model import Layout
from dossier.resources import LAYOUT_MANIFEST, assets_dir, layout_dirs, layouts_dir
from dossier.write.fonts import EPUB_FONTS

FONT_SUFFIXES = (".ttf", ".otf")  # what the EPUB's subsetter writes back as it read it

NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _FontModel(_Strict):
    file: NonEmpty
    licence: NonEmpty


class _ManifestModel(_Strict):
    name: NonEmpty
    extends: NonEmpty | None = None
    formats: Annotated[list[NonEmpty], Field(min_length=1)] | None = None
    stylesheets: dict[str, list[NonEmpty]] = {}
    fonts: list[_FontModel] = []


def load_layout(name: str, path: Path | None, report: Report) -> Layout:
    """The layout `[layout]` names: a shipped one (`name`) or a house folder (`path`), checked."""
    from dossier.formats import names

    dirs = layout_dirs(name, path)
    fonts: list[Path] = []
    for directory in dirs:
        manifest = _read_manifest(directory, report, house=directory == path)
        if manifest is None:
            continue
        fonts += _fonts(directory, manifest, report, house=directory == path)
    if path is None:
        return Layout(dirs=tuple(dirs), fonts=tuple(fonts), formats=names())
    manifest = _read_manifest(path, Report(), house=True)  # read once more, its problems said above
    if manifest is None:
        return Layout(dirs=tuple(dirs), fonts=tuple(fonts), house=path)
    model, positions = manifest
    where = Location(path / LAYOUT_MANIFEST, *(locate(positions, ("extends",)) or (1, 1)))
    if model.extends is not None and not (layouts_dir() / model.extends / LAYOUT_MANIFEST).is_file():
        report.error("layout-manifest", where, f"'extends': no shipped layout '{model.extends}' (known: default)")
    formats = tuple(model.formats or names())
    for index, fmt in enumerate(formats):
        if fmt not in names():
            where = Location(path / LAYOUT_MANIFEST, *(locate(positions, ("formats", index)) or (1, 1)))
            report.error("layout-manifest", where, f"unknown format '{fmt}' (known: {', '.join(names())})")
    stylesheets = _stylesheets(path, model, positions, formats, report)
    if model.extends is None:
        _check_complete(path, formats, report)
    epub_sheets = {sheet for fmt, sheet in stylesheets if fmt == "epub"} | {path / "epub.css"}
    references = _check_references(path, epub_sheets, {f.name for f in fonts}, report)
    _check_links(path, report)
    return Layout(
        dirs=tuple(dirs),
        fonts=tuple(fonts),
        stylesheets=tuple(stylesheets),
        formats=formats,
        extends=model.extends is not None,
        house=path,
        references=tuple(references),
    )


def _read_manifest(directory: Path, report: Report, house: bool) -> tuple[_ManifestModel, dict] | None:
    path = directory / LAYOUT_MANIFEST
    if not path.is_file():
        if house:
            report.error("layout-missing", Location(path), f"no {LAYOUT_MANIFEST} in the layout's folder")
        return None
    text = path.read_text(encoding="utf-8-sig")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        report.error("layout-manifest", Location(path), f"invalid TOML: {exc}")
        return None
    positions = key_positions(text)
    try:
        return _ManifestModel.model_validate(raw), positions
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
            where = Location(path, *(locate(positions, loc) or (1, 1)))
            dotted = ".".join(str(p) for p in loc)
            kind = error["type"]
            message = {
                "missing": f"missing key '{dotted}'",
                "extra_forbidden": f"unknown key '{dotted}' (known: name, extends, formats, stylesheets, fonts)",
            }.get(kind, f"'{dotted}': {error['msg'][:1].lower()}{error['msg'][1:]}")
            report.error("layout-manifest", where, message)
        return None


def _inside(folder: Path, relative: str) -> Path | None:
    """`relative` as a file of `folder`, or None if it leads out (symbolic links followed)."""
    if os.path.isabs(relative) or urlsplit(relative).scheme:
        return None
    candidate = (folder / relative).resolve()
    return candidate if candidate.is_relative_to(folder.resolve()) else None


def _fonts(directory: Path, manifest: tuple[_ManifestModel, dict], report: Report, house: bool) -> list[Path]:
    """The declared fonts that exist, with their licences; a house layout's are inside its folder."""
    model, positions = manifest
    path = directory / LAYOUT_MANIFEST
    roots = [directory] if house else [directory, assets_dir()]
    found = []
    for index, font in enumerate(model.fonts):
        for key in ("file", "licence"):
            value = getattr(font, key)
            where = Location(path, *(locate(positions, ("fonts", index, key)) or (1, 1)))
            target = None if os.path.isabs(value) or urlsplit(value).scheme else (directory / value).resolve()
            if target is None or not any(target.is_relative_to(root.resolve()) for root in roots):
                report.error("layout-outside", where, f"'{value}' is outside the layout's folder")
            elif not target.is_file():
                report.error("layout-font", where, f"'{value}' not found")
            elif key == "file" and target.suffix.lower() not in FONT_SUFFIXES:
                report.error("layout-font", where, f"'{value}': a font is a .ttf or .otf file")
            elif key == "file":
                found.append(target)
    return found


def _stylesheets(
    path: Path, model: _ManifestModel, positions: dict, formats: tuple[str, ...], report: Report
) -> list[tuple[str, Path]]:
    sheets = []
    for fmt, names in model.stylesheets.items():
        if fmt not in formats:
            where = Location(path / LAYOUT_MANIFEST, *(locate(positions, ("stylesheets", fmt)) or (1, 1)))
            report.error("layout-manifest", where, f"stylesheets for '{fmt}', which the layout does not style")
            continue
        for index, name in enumerate(names):
            where = Location(path / LAYOUT_MANIFEST, *(locate(positions, ("stylesheets", fmt, index)) or (1, 1)))
            target = _inside(path, name)
            if target is None:
                report.error("layout-outside", where, f"'{name}' is outside the layout's folder")
            elif not target.is_file() or target.suffix != ".css":
                report.error("layout-manifest", where, f"stylesheet '{name}' not found (a .css file of the layout)")
            else:
                sheets.append((fmt, target))
    return sheets


def _check_complete(path: Path, formats: tuple[str, ...], report: Report) -> None:
    """A layout that extends none replaces the default: it has every template and stylesheet
    the default has, for the formats it styles (the EPUB's own, `epub.css` and `epub/`, only if
    it styles the EPUB)."""
    default = layouts_dir() / "default"
    missing = []
    for file in sorted(default.rglob("*")):
        relative = file.relative_to(default).as_posix()
        if file.suffix not in (".j2", ".css") or (relative.startswith(("epub.css", "epub/")) and "epub" not in formats):
            continue
        if not (path / relative).is_file():
            missing.append(relative)
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        report.error(
            "layout-files", Location(path / LAYOUT_MANIFEST),
            f"a layout that extends none needs every file of the default layout: missing {shown}"
            " (or add extends = \"default\")",
        )


def _check_references(
    path: Path, epub_sheets: set[Path], fonts: set[str], report: Report
) -> list[tuple[Path, Location]]:
    """Every URL the house stylesheets name stays in the folder; where each file is named."""
    import tinycss2

    references = []
    for sheet in sorted(path.rglob("*.css")):
        if not sheet.resolve().is_relative_to(path.resolve()):
            continue  # a symbolic link out: said by _check_links
        epub = sheet in epub_sheets
        rules = tinycss2.parse_stylesheet(sheet.read_text(encoding="utf-8-sig"), skip_comments=True)
        for url, line, col in _urls(rules):
            where = Location(sheet, line, col)
            if url.startswith("data:"):
                continue
            if epub:
                if not (url.startswith(EPUB_FONTS) and unquote(url.removeprefix(EPUB_FONTS)) in fonts):
                    report.error(
                        "layout-outside", where,
                        f"'{url[:120]}': an EPUB stylesheet names only the layouts' fonts, as '{EPUB_FONTS}NAME'",
                    )
                continue
            target = _inside(sheet.parent, unquote(urlsplit(url).path)) if not urlsplit(url).scheme else None
            if target is None or urlsplit(url).netloc:
                report.error("layout-outside", where, f"'{url[:120]}' is outside the layout's folder")
            else:
                references.append((target, where))
    return references


def _urls(nodes: Any) -> Any:
    """(url, line, column) of each `url(…)` and `@import "…"` in tinycss2's nodes, nested ones included."""
    for node in nodes or ():
        kind = getattr(node, "type", None)
        if kind == "url":
            yield node.value, node.source_line, node.source_column
        elif kind == "function" and node.lower_name == "url":
            for argument in node.arguments:
                if argument.type == "string":
                    yield argument.value, node.source_line, node.source_column
        elif kind == "at-rule" and node.lower_at_keyword == "import":
            for token in node.prelude:
                if token.type == "string":
                    yield token.value, token.source_line, token.source_column
        for part in ("prelude", "content", "arguments"):
            children = getattr(node, part, None)
            if isinstance(children, list):
                yield from _urls(children)


def _check_links(path: Path, report: Report) -> None:
    """No symbolic link in the folder leads out of it."""
    root = path.resolve()
    for current, dirs, files in os.walk(path):
        for name in sorted(dirs + files):
            entry = Path(current) / name
            if entry.is_symlink() and not entry.resolve().is_relative_to(root):
                report.error("layout-outside", Location(entry), "a symbolic link leading out of the layout's folder")
        dirs[:] = [d for d in dirs if not (Path(current) / d).is_symlink()]
