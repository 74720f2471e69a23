"""`dossier import PATH [DIR]`: a Pandoc project made into a dossier folder that builds.

A Pandoc project is Markdown files (one paper, or a book's chapters), metadata (YAML front
matter, a `--metadata-file`, a `--defaults` file naming the inputs), a bibliography (CSL-JSON,
CSL-YAML, BibLaTeX) and images. The import reads it as Pandoc would: the inputs in the order the
defaults file gives (else every Markdown file, in natural order), metadata merged as Pandoc
merges it (metadata files, then the documents, then the defaults' `metadata`), images found in
the Markdown file's folder, the project's folder or the defaults' `resource-path`.

It writes a new folder (`DIR`, by default `PATH-dossier` beside the project), never into the
project: dossier.toml made from the metadata, the chapters (the Markdown as written, its
metadata moved into dossier.toml), the bibliography files and the images the chapters show.
What a dossier says otherwise (a CSL style, LaTeX settings) is named, not carried over.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from dossier.errors import DossierError, Location
from dossier.load.config import slugify
from dossier.resources import assets_dir

MARKDOWN = (".md", ".markdown", ".mdown", ".mkd")
# A folder's files that are about the project, not part of the text.
NOT_TEXT = {"readme", "license", "licence", "changelog", "contributing", "authors", "notes", "todo"}
SKIPPED_FOLDERS = {"build", "_book", "_site", "node_modules", "output", "out", "dist"}
# Pandoc defaults-file keys (a YAML file with one of these is a defaults file, not metadata).
DEFAULTS_KEYS = {
    "input-files", "input-file", "metadata-files", "metadata-file", "metadata", "from", "reader", "to", "writer",
    "output-file", "resource-path", "citeproc", "filters", "variables", "standalone", "template", "pdf-engine",
}  # fmt: skip
SOURCE_SUFFIXES = (".json", ".yaml", ".yml", ".bib", ".bibtex")
# Metadata keys dossier.toml holds, and those a chapter's front matter keeps.
MOVED = {"title", "subtitle", "author", "date", "lang", "abstract", "description", "keywords", "subject",
         "publisher", "identifier", "bibliography", "references"}  # fmt: skip
KEPT = {"title", "role", "lang", "nocite"}
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
TITLE_BLOCK = re.compile(r"\A((?:%[^\n]*\n(?:[ \t]+[^\n]*\n)*){1,3})")


@dataclass
class Project:
    """A Pandoc project as the import reads it."""

    root: Path
    origin: Path  # what the user named
    inputs: list[Path]
    meta: dict[str, Any]
    resource_path: list[Path]
    notes: list[str] = field(default_factory=list)


@dataclass
class Imported:
    target: Path
    written: list[Path]
    notes: list[str]


def default_target(path: Path) -> Path:
    """`thesis/` → `thesis-dossier/`, `paper.md` → `paper-dossier/`, beside the project."""
    path = path.resolve()
    name = path.stem if path.is_file() else path.name
    return path.parent / f"{name}-dossier"


def import_project(path: Path, target: Path | None = None) -> Imported:
    project = read_project(path)
    target = (target or default_target(path)).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DossierError.single("import-exists", Location(target), "already exists and is not empty: nothing written")
    if target == project.root or project.root.is_relative_to(target):
        raise DossierError.single("import-exists", Location(target), "is the project's own folder: nothing written")
    return _write(project, target)


# --- reading the project ---------------------------------------------------------------


def read_project(path: Path) -> Project:
    path = path.resolve()
    if not path.exists():
        raise DossierError.single("import-missing", Location(path), "not found")
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return _from_defaults(path)
    if path.is_file():
        meta = _front_matter(path)
        return Project(path.parent, path, [path], meta, [path.parent])
    defaults = [p for p in _yaml_files(path) if _is_defaults(p)]
    if defaults:
        project = _from_defaults(defaults[0])
        if len(defaults) > 1:
            project.notes.append(f"several defaults files: {defaults[0].name} read, not {defaults[1].name}")
        return project
    inputs = _markdown_files(path)
    if not inputs:
        raise DossierError.single(
            "import-empty", Location(path), "no Markdown file here (.md, .markdown): nothing to import"
        )
    meta: dict[str, Any] = {}
    for file in (p for p in _yaml_files(path) if _is_metadata(p)):
        meta.update(_yaml(file))
        _relative_paths(meta, file.parent, path)
    _documents_metadata(meta, inputs)
    return Project(path, path, inputs, meta, [path])


def _documents_metadata(meta: dict[str, Any], inputs: list[Path]) -> None:
    """The documents' own metadata over the metadata files' (as in Pandoc): the first file's is
    the document's; a later file's front matter is its chapter's (its title, its language), and
    adds only what the document does not say."""
    for index, file in enumerate(inputs):
        own = _front_matter(file)
        if index == 0:
            meta.update(own)
        else:
            meta.update({k: v for k, v in own.items() if k not in meta and k not in KEPT})


def _from_defaults(path: Path) -> Project:
    """A Pandoc defaults file: `input-files`, `metadata-files`, `metadata`, `bibliography`, `resource-path`."""
    defaults = _yaml(path)
    here = path.parent

    def paths(*keys: str) -> list[Path]:
        found: list[Path] = []
        for key in keys:
            value = defaults.get(key)
            for item in value if isinstance(value, list) else [value] if value else []:
                found.append((here / str(item).replace("${.}", str(here))).resolve())
        return found

    inputs = paths("input-files", "input-file") or _markdown_files(here)
    for missing in (p for p in inputs if not p.is_file()):
        raise DossierError.single("import-missing", Location(path), f"input file '{missing.name}' not found")
    meta: dict[str, Any] = {}
    for file in paths("metadata-files", "metadata-file"):
        if not file.is_file():
            raise DossierError.single("import-missing", Location(path), f"metadata file '{file.name}' not found")
        meta.update(_yaml(file))
        _relative_paths(meta, file.parent, here)
    _documents_metadata(meta, inputs)
    meta.update(defaults.get("metadata") or {})
    if defaults.get("bibliography"):
        meta["bibliography"] = [str(p) for p in paths("bibliography")]
    resource = paths("resource-path") or [here]
    return Project(here, path, inputs, meta, resource)


def _relative_paths(meta: dict[str, Any], folder: Path, root: Path) -> None:
    """A metadata file's `bibliography` is relative to where Pandoc runs: the project's folder,
    or the metadata file's own when it is not found there."""
    value = meta.get("bibliography")
    if not value:
        return
    items = value if isinstance(value, list) else [value]
    meta["bibliography"] = [str(root / v) if (root / str(v)).exists() else str(folder / str(v)) for v in items]


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())


def _is_defaults(path: Path) -> bool:
    data = _yaml(path, mapping=False)
    return isinstance(data, dict) and bool(DEFAULTS_KEYS & data.keys())


def _is_metadata(path: Path) -> bool:
    """A metadata file (not a defaults file, not CSL-YAML sources, not a dossier's data)."""
    data = _yaml(path, mapping=False)
    return isinstance(data, dict) and "references" not in data and bool(MOVED & data.keys())


def _markdown_files(folder: Path) -> list[Path]:
    found = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in MARKDOWN
        and p.is_file()
        and not any(part.startswith(".") or part in SKIPPED_FOLDERS for part in p.relative_to(folder).parts[:-1])
        and not p.name.startswith(".")
    ]
    text = [p for p in found if p.stem.lower() not in NOT_TEXT]
    return sorted(text or found, key=lambda p: _natural(p.relative_to(folder).as_posix()))


def _natural(name: str) -> list[Any]:
    """`ch2` before `ch10`, as a person numbers files."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _yaml(path: Path, mapping: bool = True) -> Any:
    """A YAML file of the project; with `mapping`, it must be one (metadata, defaults)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
        raise DossierError.single("import-yaml", location, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if mapping and data is not None and not isinstance(data, dict):
        raise DossierError.single("import-yaml", Location(path, 1, 1), "expected a mapping of metadata keys")
    return data if data is not None else {}


def _front_matter(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8-sig")
    match = FRONT_MATTER.match(text)
    meta: dict[str, Any] = {}
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            location = Location(path, mark.line + 2, mark.column + 1) if mark else Location(path)
            raise DossierError.single("import-yaml", location, f"invalid YAML front matter: {exc}") from None
        meta = loaded if isinstance(loaded, dict) else {}
    elif block := TITLE_BLOCK.match(text):
        lines = [line[1:].strip() for line in block.group(1).splitlines() if line.startswith("%")]
        meta = {k: v for k, v in zip(("title", "author", "date"), lines, strict=False) if v}
    if "bibliography" in meta:
        _relative_paths(meta, path.parent, path.parent)
    return meta


# --- writing the dossier -----------------------------------------------------------------


def _write(project: Project, target: Path) -> Imported:
    meta, notes = project.meta, list(project.notes)
    written: list[Path] = []
    target.mkdir(parents=True, exist_ok=True)

    def put(relative: str, content: bytes | str) -> None:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            destination.write_text(content, encoding="utf-8")
        else:
            destination.write_bytes(content)
        written.append(destination)

    copied: dict[Path, str] = {}
    chapters = []
    for index, source in enumerate(project.inputs, 1):
        name = _chapter_name(index, source)
        text = _chapter_text(source, meta)
        text = _copy_images(project, source, text, target, copied, notes, put)
        put(name, text)
        chapters.append(name)
    sources = _copy_sources(project, meta, target, put, notes)
    locale = _locale(meta.get("lang"), notes)
    put("dossier.toml", _config(project, meta, chapters, sources, locale, notes))
    ignored = sorted(k for k in meta if k not in MOVED | KEPT | {"csl"})
    if ignored:
        notes.append(
            f"Pandoc metadata not carried over: {', '.join(ignored)} (a dossier's layout and dossier.toml "
            "say what they mean their own way: docs/format.md)"
        )
    return Imported(target, written, notes)


def _chapter_name(index: int, source: Path) -> str:
    """`chapters/NN-name.md`, numbered in the order read (`02-methods.md` keeps its name)."""
    stem = slugify(re.sub(r"^\d+[-_. ]*", "", source.stem) or source.stem)
    return f"chapters/{index:02d}-{stem}.md"


def _chapter_text(source: Path, meta: dict[str, Any]) -> str:
    """The Markdown as written, its metadata (now in dossier.toml) taken out of the front matter.
    A file without a `# ` heading keeps its title: it is the chapter's."""
    text = source.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    body = text[match.end() :] if match else text
    own: dict[str, Any] = {}
    if match:
        loaded = yaml.safe_load(match.group(1)) or {}
        own = loaded if isinstance(loaded, dict) else {}
    elif block := TITLE_BLOCK.match(text):
        body = text[block.end() :]
        first = block.group(1).splitlines()[0]
        own = {"title": first[1:].strip()} if first[1:].strip() else {}
    kept = {k: v for k, v in own.items() if k in KEPT and k not in ("lang", "title")}
    if own.get("lang") and own.get("lang") != meta.get("lang"):
        kept["lang"] = own["lang"]  # a chapter in another language than the dossier's
    if own.get("title") and not re.search(r"(?m)^# ", body):
        kept["title"] = _plain(own["title"])
    if not kept:
        return body.lstrip("\n")
    return "---\n" + yaml.safe_dump(kept, allow_unicode=True, sort_keys=False) + "---\n" + body


IMAGE = re.compile(r"!\[(?:[^\]\\]|\\.|\[[^\]]*\])*\]\(\s*(?:<([^>\n]+)>|([^)\s]+))")
REFERENCE = re.compile(r"(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=[\"']([^\"']+)[\"']", re.I)


def _copy_images(
    project: Project, source: Path, text: str, target: Path, copied: dict[Path, str], notes: list[str], put: Any
) -> str:
    """Copy the images the chapter shows; a path that would leave the dossier is given a place in
    `images/` and the chapter's text points to it."""
    found = {m.group(1) or m.group(2) for m in IMAGE.finditer(text)} | {m.group(1) for m in HTML_IMAGE.finditer(text)}
    found |= {m.group(1) for m in REFERENCE.finditer(text) if _looks_like_image(m.group(1))}
    for src in sorted(found):
        parts = urlsplit(src)
        if parts.scheme or parts.netloc or not _looks_like_image(parts.path):
            continue
        relative = unquote(parts.path)
        folders = [source.parent, project.root, *project.resource_path]
        file = next((f / relative for f in folders if (f / relative).is_file()), None)
        if file is None:
            notes.append(f"{source.name}: image '{src}' not found: the build will say where it is wanted")
            continue
        file = file.resolve()
        if file not in copied:
            inside = PurePosixPath(relative)
            clean = not inside.is_absolute() and ".." not in inside.parts
            name = inside.as_posix() if clean else _free_name(f"images/{file.name}", set(copied.values()))
            copied[file] = name
            put(name, file.read_bytes())
        name = copied[file]
        if name != relative:
            text = re.sub(r"(\]\(\s*<?|\]:\s*<?|src=[\"'])" + re.escape(src), lambda m, n=name: m.group(1) + n, text)
    return text


def _looks_like_image(path: str) -> bool:
    return PurePosixPath(unquote(path)).suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")


def _free_name(name: str, used: set[str]) -> str:
    path, n = PurePosixPath(name), 2
    while name in used:
        name = str(path.with_stem(f"{path.stem}-{n}"))
        n += 1
    return name


def _copy_sources(project: Project, meta: dict[str, Any], target: Path, put: Any, notes: list[str]) -> list[str]:
    """The bibliography files as they are (a dossier reads Pandoc's formats), inline `references`
    as CSL-YAML; an empty `sources.yaml` when the project cites nothing."""
    value = meta.get("bibliography") or []
    items = value if isinstance(value, list) else [value]
    files = [Path(v) if Path(str(v)).is_absolute() else project.root / str(v) for v in items]
    names: list[str] = []
    for file in files:
        if not file.is_file():
            notes.append(f"bibliography '{file.name}' not found: not copied")
            continue
        if file.suffix.lower() not in SOURCE_SUFFIXES:
            notes.append(f"bibliography '{file.name}': a dossier reads CSL-JSON, CSL-YAML or BibLaTeX, not this")
            continue
        name = _free_name(file.name, set(names))
        put(name, file.read_bytes())
        names.append(name)
    if meta.get("references"):
        name = _free_name("references.yaml", set(names))
        put(name, yaml.safe_dump({"references": meta["references"]}, allow_unicode=True, sort_keys=False))
        names.append(name)
    if not names:
        put("sources.yaml", "# The dossier's sources, in CSL-YAML: docs/format.md\n[]\n")
        names.append("sources.yaml")
    if meta.get("csl"):
        notes.append(f"csl '{meta['csl']}' not used: the notes follow the dossier's layout (docs/format.md)")
    return names


def _locale(lang: Any, notes: list[str]) -> str:
    """Pandoc's `lang` (BCP 47: `fr`, `en-GB`) as a locale (`fr_FR`, `en_GB`); Pandoc's default is en-US."""
    from babel import Locale, UnknownLocaleError
    from babel.core import get_global

    if not lang:
        notes.append("no 'lang' in the metadata: the dossier's locale is en_US, Pandoc's default (check it)")
        return "en_US"
    try:
        locale = Locale.parse(str(lang).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        notes.append(f"lang '{lang}' is not a language tag Babel knows: the dossier's locale is en_US (check it)")
        return "en_US"
    if locale.territory:
        return f"{locale.language}_{locale.territory}"
    likely = get_global("likely_subtags").get(locale.language, "")
    territory = next((part for part in likely.split("_")[1:] if part.isupper() and len(part) == 2), None)
    return f"{locale.language}_{territory}" if territory else locale.language


def _config(
    project: Project, meta: dict[str, Any], chapters: list[str], sources: list[str], locale: str, notes: list[str]
) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    checks: dict[str, str] = {}
    title = _plain(meta.get("title")) or _first_heading(project.inputs)
    if not meta.get("title"):
        checks["title"] = "no title in the metadata: the first heading"
    authors = _authors(meta.get("author"))
    if not authors:
        authors = ["Unknown author"]
        checks["authors"] = "no author in the metadata"
    publisher = _plain(meta.get("publisher"))
    if not publisher:
        publisher = authors[0]
        checks["publisher"] = "no publisher in the metadata: the first author"
    if not meta.get("lang"):
        checks["locale"] = "no lang in the metadata: Pandoc's default"
    folder = assets_dir() / "scaffold" / "import"
    env = Environment(
        loader=FileSystemLoader(str(folder)), undefined=StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, autoescape=False,  # TOML, not HTML: values are quoted by the `toml` filter
    )  # fmt: skip
    env.filters["toml"] = lambda value: json.dumps(value, ensure_ascii=False)
    values = {
        "origin": project.origin.name,
        "title": title,
        "subtitle": _plain(meta.get("subtitle")),
        "authors": authors,
        "publisher": publisher,
        "locale": locale,
        "identifier": _identifier(meta.get("identifier")),
        "slug": slugify(title)[:60].strip("-") or "dossier",
        "description": _plain(meta.get("abstract") or meta.get("description")),
        "subjects": _subjects(meta.get("keywords") or meta.get("subject")),
        "date": _date(meta.get("date"), notes),
        "chapters": chapters,
        "sources": sources[0] if len(sources) == 1 else sources,
        "today": dt.date.today().isoformat(),
        "summary": _first_edition(locale),
        "note": lambda key: f"  # check: {checks[key]}" if key in checks else "",
    }
    return env.get_template("dossier.toml.j2").render(values)


def _plain(value: Any) -> str:
    """Pandoc's metadata is Markdown: the text a dossier.toml value holds (no markup, no notes)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n\n".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return _plain(value.get("name") or value.get("text") or "")
    from markdown_it import MarkdownIt

    text = re.sub(r"\^\[[^\]]*\]", "", str(value))  # inline notes (an author's affiliation)
    tokens = MarkdownIt("commonmark").parse(text)
    paragraphs = []
    for token in tokens:
        if token.type == "inline":
            words = (" " if c.type in ("softbreak", "hardbreak") else c.content for c in token.children or [])
            paragraphs.append("".join(w for c, w in zip(token.children or [], words, strict=True) if c.type in _TEXT))
    return " ".join(" ".join(p.split()) for p in paragraphs if p.strip())


_TEXT = ("text", "code_inline", "softbreak", "hardbreak")


def _authors(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value] if value else []
    return [name for name in (_plain(item) for item in items) if name]


def _subjects(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [s for s in (_plain(v) for v in value or []) if s]


def _identifier(value: Any) -> str:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("text")
    return str(value) if value else f"urn:uuid:{uuid.uuid4()}"


def _date(value: Any, notes: list[str]) -> str | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if value:
        text = _plain(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return text
        notes.append(f"date '{text}' is not a day (YYYY-MM-DD): left out of dossier.toml")
    return None


def _first_heading(inputs: list[Path]) -> str:
    for file in inputs:
        match = re.search(r"(?m)^# +(.+?)(?:\s+\{[^}]*\})?\s*$", file.read_text(encoding="utf-8-sig"))
        if match:
            return _plain(match.group(1))
    return inputs[0].stem


def _first_edition(locale: str) -> str:
    """The scaffold's words for a first edition, in the dossier's language (`dossier new`'s)."""
    from babel import Locale

    language = Locale.parse(locale).language
    folder = assets_dir() / "scaffold" / language
    template = (folder if folder.is_dir() else assets_dir() / "scaffold" / "en") / "dossier.toml.j2"
    summary = re.search(r'(?m)^summary = "(.*)"$', template.read_text(encoding="utf-8"))
    return summary.group(1) if summary else "First edition."


def check_written(target: Path) -> Any:
    """Load and resolve the new dossier, as a build would: its diagnostics, at once."""
    from dossier.errors import Report
    from dossier.load import load_dossier
    from dossier.resolve import resolve

    report = Report()
    try:
        resolve(load_dossier(target, report), report)
    except DossierError as exc:
        for diagnostic in exc.report.diagnostics:
            if diagnostic not in report.diagnostics:
                report.diagnostics.append(diagnostic)
    return report

