"""Load stage: read a dossier folder into a `Dossier` (config, chapters, sources, glossary)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from dossier.errors import DossierError, Location, Report
from dossier.load.blocks import load_block
from dossier.load.config import load_config
from dossier.load.markdown import nesting_cut, parse_inline, parse_markdown
from dossier.load.pandoc import fancy_lists
from dossier.load.sources import load_sources
from dossier.load.text import PARAGRAPH_LIMIT, read_text, remove_forbidden_characters
from dossier.load.tree import Converter, inline_nodes
from dossier.load.yamlpos import PosDict, PosList, load_yaml
from dossier.model import ChapterSource, Config, Dossier, GlossaryEntry
from dossier.nodes import Block, Generated, Header, Text, rebuild

ROLES = ("front", "body", "back")
# What a chapter may say it is (front matter `type`): the EPUB structural semantics that have a
# DPUB-ARIA role of the same name, so that reading systems and screen readers both know it.
CHAPTER_TYPES = (
    "chapter", "foreword", "preface", "introduction", "prologue", "epilogue", "afterword", "conclusion",
    "appendix", "acknowledgments", "dedication", "colophon",
)


def load_dossier(root: Path, report: Report) -> Dossier:
    """Read everything, collecting problems in `report`; raise once if any is an error."""
    root = root.resolve()
    config = load_config(root, report)
    report.ignored |= config.ignore
    _check_catalog(config, report)
    chapters = _load_chapters(config, report)
    sources = load_sources([root / name for name in config.sources], report, config.locale)
    glossary = _load_glossary(config, report) if config.glossary else []
    report.raise_if_errors()
    return Dossier(config=config, chapters=chapters, sources=sources, glossary=glossary)


def _check_catalog(config: Config, report: Report) -> None:
    """A locale without layout words builds, in English words, and says so once."""
    from dossier.l10n.i18n import catalog_languages, has_catalog
    from dossier.load.tomlpos import key_positions

    if has_catalog(config.locale):
        return
    line, col = key_positions(read_text(config.path)).get(("locale",), (None, None))
    report.warning(
        "locale-catalog", Location(config.path, line, col),
        f"no layout words for locale '{config.locale}': the layout's words and the notes' style are "
        f"English (dates and numbers are {config.locale}'s; catalogs: {', '.join(catalog_languages())})",
    )


def _load_chapters(config: Config, report: Report) -> list[ChapterSource]:
    root = config.root
    from dossier.load.tomlpos import key_positions

    positions = key_positions(read_text(config.path))
    listed: list[Path] = []
    for index, name in enumerate(config.chapters):
        path = (root / name).resolve()
        line, col = positions.get(("chapters", index), positions.get(("chapters",), (None, None)))
        where = Location(config.path, line, col)
        if not path.is_relative_to(root):
            report.error("chapter-outside", where, f"chapter '{name}' is outside the dossier")
        elif not path.is_file():
            report.error("chapter-missing", where, f"chapter '{name}' is listed but does not exist")
        elif path in listed:
            report.error("chapter-twice", where, f"chapter '{name}' is listed twice")
        else:
            listed.append(path)
    for path in sorted((root / "chapters").glob("*.md")):
        if path.resolve() not in listed:
            report.error(
                "chapter-unlisted",
                Location(path),
                "chapter file not listed in dossier.toml 'chapters' (add it, or move it out of chapters/)",
            )
    chapters: list[ChapterSource] = []
    for path in listed:
        try:
            chapters.extend(_load_file(config, path, len(chapters), report))
        except DossierError as exc:
            report.extend(exc.report)
    return chapters


def _load_file(config: Config, path: Path, index: int, report: Report) -> list[ChapterSource]:
    """A Markdown file's chapters: one per `# ` heading (a whole book or paper may be one file),
    or one titled by the front matter's `title` (or a Pandoc title block) when it has none."""
    text = remove_forbidden_characters(read_text(path), path, report)
    text, title_block = _title_block(path, text)
    text, list_styles, labels = fancy_lists(text)
    tokens, env = parse_markdown(text, {"example_labels": labels})
    for line, column in env.get("grid_spans", ()):
        report.error(
            "table-span", Location(path, line, column),
            "a grid table's cell spans columns or rows, which dossier does not lay out: "
            "split it into one cell per column and row, or write the table as a pipe or multiline table",
        )
    meta: dict[str, Any] = dict(title_block)
    if tokens and tokens[0].type == "front_matter":
        front = load_yaml(tokens[0].content, path, line_offset=1) or {}
        if not isinstance(front, dict):
            raise DossierError.single("front-matter", Location(path, 2, 1), "front matter must be 'key: value' lines")
        _check_front_matter(path, front, report)
        meta = front  # with the places of its values, for messages
        for key, value in title_block.items():
            meta.setdefault(key, value)
    _check_limits(path, tokens, report)
    language = config.locale.split("_")[0]
    document = Converter(path, text, env, language, list_styles).document(tokens)
    for finding in document.findings:
        report.warning(finding.code, finding.location, finding.message)
    blocks = _load_blocks(config, path, document.blocks, report)
    parts = _split_chapters(blocks)
    title = meta.get("title")
    if parts[0] and not _is_title(parts[0][0]):
        if title:  # text before the first `# `, or no `# ` at all: the front matter's title heads it
            where = Location(path, 1, 1)
            parts[0] = (Header(1, (Text(str(title), where),), where, source=str(title)), *parts[0])
        elif len(parts) > 1:  # a preamble: it opens the first chapter
            parts[1] = (parts[1][0], *parts[0], *parts[1][1:])
    parts = [p for p in parts if p and _is_title(p[0])]
    if not parts:
        report.error(
            "chapter-title", Location(path, 1, 1),
            "chapter without a title: start it with a '# ' heading, or give it a 'title:' in its front matter",
        )
        parts = [blocks]
    chapters = []
    for number, part in enumerate(parts):
        heading = part[0] if part and _is_title(part[0]) else None
        name = heading.source.strip() if isinstance(heading, Header) else ""
        if number == 0 and title and len(parts) == 1:
            name = str(title)
        chapters.append(
            ChapterSource(
                path=path,
                index=index + number,
                text=text,
                body=tuple(part),
                notes=document.notes,
                meta=meta,
                title=name or path.stem,
                role=meta.get("role", "body") if meta.get("role") in ROLES else "body",
                lang=str(meta["lang"]) if meta.get("lang") else None,
                front_matter=document.front_matter if number == 0 else None,
                part=number,
            )
        )
    return chapters


def _is_title(block: Block) -> bool:
    return isinstance(block, Header) and block.level == 1


def _split_chapters(blocks: tuple[Block, ...]) -> list[tuple[Block, ...]]:
    """The blocks cut before each `# ` heading; the first part is what comes before the first one."""
    parts: list[list[Block]] = [[]]
    for block in blocks:
        if _is_title(block):
            parts.append([])
        parts[-1].append(block)
    if not parts[0]:
        parts.pop(0)
        return [tuple(p) for p in parts] if parts else [()]
    return [tuple(p) for p in parts]


_TITLE_BLOCK = re.compile(r"\A((?:%[^\n]*\n(?:[ \t]+[^\n]*\n)*){1,3})")


def _title_block(path: Path, text: str) -> tuple[str, dict[str, Any]]:
    """Pandoc's title block (`% Title`, `% Author`, `% Date` on the first lines): read into
    `title`, `author` and `date`, and blanked so that the text's lines keep their numbers."""
    match = _TITLE_BLOCK.match(text)
    if not match:
        return text, {}
    lines = match.group(1).split("\n")[:-1]
    fields: list[str] = []
    for line in lines:
        if line.startswith("%"):
            fields.append(line[1:].strip())
        else:
            fields[-1] += " " + line.strip()
    meta = {key: value for key, value in zip(("title", "author", "date"), fields, strict=False) if value}
    return "\n" * len(lines) + text[match.end() :], meta


def _load_blocks(config: Config, path: Path, blocks: tuple[Block, ...], report: Report) -> tuple[Block, ...]:
    """The blocks with each generated block's options and data read (`load_block`)."""

    def one(block: Block) -> Block:
        if isinstance(block, Generated):
            return replace(block, block=load_block(config.root, path, block, report))
        return rebuild(block, lambda inner: _load_blocks(config, path, inner, report), lambda inlines: inlines)

    return tuple(one(block) for block in blocks)


_FRONT_MATTER_KEYS = {"title": str, "role": str, "lang": str, "type": str, "nocite": (str, list)}
# Pandoc's metadata keys that mean nothing for one chapter of a dossier, and where the dossier says it.
_PANDOC_KEYS = {
    "subtitle": "the dossier's subtitle is 'subtitle' in dossier.toml",
    "author": "the dossier's authors are 'authors' in dossier.toml",
    "date": "the dossier's date is 'date' in dossier.toml",
    "abstract": "the dossier's summary is 'description' in dossier.toml",
    "keywords": "the dossier's keywords are 'subjects' in dossier.toml",
    "toc-title": "the contents' title is the layout's word for the dossier's locale",
    "bibliography": "the dossier's sources are 'sources' in dossier.toml",
    "link-citations": "notes are always linked to their calls",
    "csl": "the notes follow the layout's style (docs/format.md)",
}


def _check_front_matter(path: Path, meta: PosDict, report: Report) -> None:
    """Our keys, checked; Pandoc's and others ignored with a warning (never an error: a file
    written for Pandoc builds)."""
    for key, value in meta.items():
        line, col = meta.key_marks[key]
        where = Location(path, line + 1, col)
        if key in _FRONT_MATTER_KEYS and isinstance(value, _FRONT_MATTER_KEYS[key]):
            if key == "role" and value not in ROLES:
                report.error("front-matter", where, f"role must be one of {', '.join(ROLES)}, not '{value}'")
            elif key == "type" and value not in CHAPTER_TYPES:
                report.error("front-matter", where, f"type must be one of {', '.join(CHAPTER_TYPES)}, not '{value}'")
        elif key in _FRONT_MATTER_KEYS:
            report.error("front-matter", where, f"'{key}' must be text")
        elif key in _PANDOC_KEYS:
            report.warning("front-matter-ignored", where, f"front matter '{key}' is not used: {_PANDOC_KEYS[key]}")
        else:
            report.warning(
                "front-matter-ignored", where,
                f"unknown front matter key '{key}' is not used (a chapter's keys: title, role, lang, type, nocite)",
            )


def _check_limits(path: Path, tokens: list, report: Report) -> None:
    """Nesting deeper than the parser reads, and paragraphs too long to lay out in reasonable
    time (a whole text pasted without blank lines): errors, located at their first line."""
    cut = nesting_cut(tokens)
    if cut is not None:
        line = cut.map[0] + 1 if cut.map else None
        report.error(
            "limit-nesting", Location(path, line, 1 if line else None),
            "lists or quotes nested too deep: the text stops being read here; nest at most 50 levels",
        )
    for token in tokens:
        if token.type == "inline" and len(token.content) > PARAGRAPH_LIMIT:
            line = token.map[0] + 1 if token.map else None
            report.error(
                "limit-paragraph", Location(path, line, 1 if line else None),
                f"paragraph of {len(token.content):,} characters: the limit is {PARAGRAPH_LIMIT:,}; "
                "separate paragraphs with a blank line",
            )


def _load_glossary(config: Config, report: Report) -> list[GlossaryEntry]:
    path = config.root / str(config.glossary)
    data = load_yaml(read_text(path), path)
    if not isinstance(data, PosList):
        report.error("glossary-format", Location(path, 1, 1), "expected a list of terms")
        return []
    entries = []
    for item, mark in zip(data, data.item_marks, strict=True):
        location = Location(path, *mark)
        if not isinstance(item, PosDict) or "term" not in item or "definition" not in item:
            report.error("glossary-format", location, "expected an entry with 'term' and 'definition'")
            continue
        unknown = sorted(item.keys() - {"term", "expansion", "definition", "lang"})
        for key in unknown:
            report.error("glossary-format", Location(path, *item.key_marks[key]), f"unknown key '{key}'")
        at = Location(path, *item.value_marks["definition"])
        entries.append(
            GlossaryEntry(
                term=str(item["term"]),
                expansion=str(item["expansion"]) if item.get("expansion") else None,
                definition=inline_nodes(parse_inline(str(item["definition"])), at),
                lang=str(item["lang"]) if item.get("lang") else None,
                location=at,
            )
        )
    return entries
