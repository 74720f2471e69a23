"""Content hashes of a build, kept in the output folder (`OUT/.dossier-manifest.json`).

The manifest holds, per edition, a digest of everything the outputs depend on (one per format),
the SHA-256 of each output and of each chapter's text. It answers three questions without
importing anything heavy (the standard library only, so that `dossier build` with nothing to do
returns at once):

- is an output up to date? — its inputs digest and its own bytes are the ones recorded;
- which formats must be made again? — the PDF does not read the EPUB's stylesheet and
  templates, so a change there rewrites the EPUB alone (each format declares the layout files
  only it reads: `dossier.formats`);
- what changed since the previous edition? — its chapters' hashes, recorded when it was built.

The inputs are every file of the dossier folder (hidden files and the output folder aside), the
layout's folder, the shipped assets, the package's own files and version, and the build options.
File times are never consulted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dossier import __version__
from dossier.formats import names as format_names
from dossier.formats import output_name, owner
from dossier.resources import assets_dir, layout_dirs

MANIFEST_NAME = ".dossier-manifest.json"
SCHEMA = 1
_PACKAGE = Path(__file__).resolve().parent
_PACKAGE_SUFFIXES = (".py", ".mo", ".po")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def text_hash(path: Path) -> str:
    """A chapter's text, as its reader sees it: the BOM and line endings do not count."""
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
    return hashlib.sha256(text).hexdigest()


@dataclass(frozen=True)
class Plan:
    """What the light reading of dossier.toml tells: output names, layout, chapter files."""

    slug: str
    edition: int
    previous: int | None  # the newest earlier edition in the history
    layout: str
    chapters: tuple[str, ...]
    layout_path: Path | None = None  # a house layout's folder

    def output_name(self, fmt: str) -> str:
        return output_name(self.slug, self.edition, fmt)


def read_plan(root: Path) -> Plan | None:
    """dossier.toml read with tomllib alone; None when it cannot tell (the full build will say why)."""
    try:
        data = tomllib.loads((root / "dossier.toml").read_text(encoding="utf-8-sig"))
        edition = data["edition"]
        history = edition.get("history") or []
        slug = data.get("slug")
        if slug is None:
            from dossier.load.config import slugify  # pydantic is only imported in the full build

            slug = slugify(data["title"])
        layout = data.get("layout") or {}
        return Plan(
            slug=str(slug),
            edition=int(edition["number"]),
            previous=int(history[0]["number"]) if history else None,
            layout=str(layout.get("name", "default")),
            chapters=tuple(str(c) for c in data.get("chapters", ())),
            layout_path=(root / str(layout["path"])).resolve() if "path" in layout else None,
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError, tomllib.TOMLDecodeError):
        return None


def _files(folder: Path, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Regular files under `folder`, hidden names, caches and `skip` folders aside, in a fixed order."""
    skipped = {p.resolve() for p in skip}
    inside = folder.resolve()
    for current, dirs, names in os.walk(folder):
        here = Path(current)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d != "__pycache__" and (here / d).resolve() not in skipped
        )
        for name in sorted(names):
            path = here / name
            # never read what is not a file of the folder: a symbolic link leading out (hostile
            # input, refused by the loader) or a pipe, which would block the build
            if name.startswith(".") or name.endswith("~") or not path.is_file():
                continue
            if path.resolve().is_relative_to(inside):
                yield path


def input_hashes(root: Path, out: Path, plan: Plan) -> dict[str, str]:
    """Every input file's SHA-256, keyed `dossier/…`, `layout/NAME/…`, `assets/…`, `package/…`."""
    hashes: dict[str, str] = {}
    outputs = out.resolve()
    for path in _files(root, skip=[out, root / "build"]):
        if path.suffix.removeprefix(".") in format_names() and path.parent.resolve() == outputs:  # OUT is DIR itself
            continue
        hashes[f"dossier/{path.relative_to(root).as_posix()}"] = sha256_file(path)
    for directory in layout_dirs(plan.layout, plan.layout_path):
        label = "@house" if directory == plan.layout_path else directory.name  # never a shipped layout's name
        for path in _files(directory):
            hashes[f"layout/{label}/{path.relative_to(directory).as_posix()}"] = sha256_file(path)
    assets = assets_dir()
    for path in _files(assets, skip=[assets / "scaffold"]):
        hashes[f"assets/{path.relative_to(assets).as_posix()}"] = sha256_file(path)
    for path in _files(_PACKAGE):
        if path.suffix in _PACKAGE_SUFFIXES:
            hashes[f"package/{path.relative_to(_PACKAGE).as_posix()}"] = sha256_file(path)
    return hashes


def _owner(key: str) -> str | None:
    """The format that alone reads this input, if it is such a layout file."""
    parts = key.split("/", 2)
    return owner(parts[2]) if parts[0] == "layout" and len(parts) == 3 else None


def digests(hashes: dict[str, str], options: dict[str, object], previous: object) -> dict[str, str]:
    """One digest per format: each leaves out the layout files only another format reads (the
    PDF's, the EPUB's stylesheet and templates); `previous` (the previous edition's chapter
    hashes, shown in the colophon) counts for all."""

    def digest(keys: Iterable[str]) -> str:
        material = {
            "version": __version__,
            "options": options,
            "previous": previous,
            "files": {k: hashes[k] for k in keys},
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    owners = {key: _owner(key) for key in hashes}
    return {fmt: digest(k for k in sorted(hashes) if owners[k] in (None, fmt)) for fmt in format_names()}


class Manifest:
    """The manifest of one output folder: a record per edition, keyed by its number."""

    def __init__(self, out: Path) -> None:
        self.path = out / MANIFEST_NAME
        self.editions: dict[str, dict] = {}
        with contextlib.suppress(OSError, ValueError, AttributeError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("schema") == SCHEMA and isinstance(data.get("editions"), dict):
                self.editions = data["editions"]

    def edition(self, number: int | None) -> dict:
        return self.editions.get(str(number), {}) if number is not None else {}

    def chapters(self, number: int | None) -> list[dict]:
        """The chapters of an edition's build: `path`, `title`, `sha256` of the text."""
        return list(self.edition(number).get("chapters", []))

    def stale(self, out: Path, plan: Plan, formats: Iterable[str], current: dict[str, str]) -> list[str]:
        """The formats whose output is missing, altered, or built from other inputs."""
        record = self.edition(plan.edition)
        stale = []
        for fmt in formats:
            name = plan.output_name(fmt)
            recorded = record.get("outputs", {}).get(name)
            fresh = record.get("inputs", {}).get(fmt) == current[fmt] and recorded is not None
            if not (fresh and (out / name).is_file() and sha256_file(out / name) == recorded):
                stale.append(fmt)
        return stale

    def record(
        self, plan: Plan, date: str, current: dict[str, str], outputs: list[Path], chapters: list[dict],
        warnings: int = 0,
    ) -> None:
        """Note a finished build of `plan.edition` (the formats it wrote, how many warnings it gave,
        which `--strict` does not take as up to date); other editions are kept."""
        entry = self.editions.setdefault(str(plan.edition), {})
        entry["date"] = date
        entry["warnings"] = warnings
        entry.setdefault("inputs", {})
        entry.setdefault("outputs", {})
        for path in outputs:
            fmt = path.suffix.removeprefix(".")
            entry["inputs"][fmt] = current[fmt]
            entry["outputs"][path.name] = sha256_file(path)
        entry["chapters"] = chapters

    def save(self) -> None:
        from dossier.write.atomic import staged

        data = {"schema": SCHEMA, "generator": f"dossier {__version__}", "editions": self.editions}
        with staged([self.path]) as (temp,):
            temp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
