"""Load stage: read a dossier folder into a `Dossier` (config, chapters, sources, glossary)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from dossier.errors import DossierError, Location, Report
from dossier.load.blocks import load_block
from dossier.load.config import load_config
from dossier.load.markdown import nesting_cut, parse_inline, parse_markdown
from dossier.load.sources import load_sources
from dossier.load.text import PARAGRAPH_LIMIT, read_text, remove_forbidden_characters
from dossier.load.tree import Converter, inline_nodes
from dossier.load.yamlpos import PosDict, PosList, load_yaml
from dossier.model import ChapterSource, Config, Dossier, GlossaryEntry
from dossier.nodes import Block, Generated, rebuild

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
    config = load_config(root)
    chapters = _load_chapters(config, report)
    sources = load_sources(root / config.sources, report)
    glossary = _load_glossary(config, report) if config.glossary else []
    report.raise_if_errors()
    return Dossier(config=config, chapters=chapters, sources=sources, glossary=glossary)


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
    chapters = []
    for index, path in enumerate(listed):
        try:
            chapters.append(_load_chapter(config, path, index, report))
        except DossierError as exc:
            report.extend(exc.report)
    return chapters


def _load_chapter(config: Config, path: Path, index: int, report: Report) -> ChapterSource:
    text = remove_forbidden_characters(read_text(path), path, report)
    tokens, env = parse_markdown(text)
    meta: dict[str, Any] = {}
    if tokens and tokens[0].type == "front_matter":
        meta = load_yaml(tokens[0].content, path, line_offset=1) or {}
        if not isinstance(meta, dict):
            raise DossierError.single("front-matter", Location(path, 2, 1), "front matter must be 'key: value' lines")
        _check_front_matter(path, meta, report)
    title = meta.get("title") or _first_heading(tokens)
    if not title:
        report.error("chapter-title", Location(path, 1, 1), "chapter without a title: start it with a '# ' heading")
    _check_headings(path, tokens, report)
    _check_limits(path, tokens, report)
    document = Converter(path, text, env).document(tokens)
    return ChapterSource(
        path=path,
        index=index,
        text=text,
        body=_load_blocks(config, path, document.blocks, report),
        notes=document.notes,
        meta=meta,
        title=str(title or path.stem),
        role=meta.get("role", "body"),
        lang=meta.get("lang"),
        front_matter=document.front_matter,
    )


def _load_blocks(config: Config, path: Path, blocks: tuple[Block, ...], report: Report) -> tuple[Block, ...]:
    """The blocks with each generated block's options and data read (`load_block`)."""

    def one(block: Block) -> Block:
        if isinstance(block, Generated):
            return replace(block, block=load_block(config.root, path, block, report))
        return rebuild(block, lambda inner: _load_blocks(config, path, inner, report), lambda inlines: inlines)

    return tuple(one(block) for block in blocks)


_FRONT_MATTER_KEYS = {"title": str, "role": str, "lang": str, "type": str}


def _check_front_matter(path: Path, meta: PosDict, report: Report) -> None:
    for key, value in meta.items():
        line, col = meta.key_marks[key]
        where = Location(path, line + 1, col)
        if key not in _FRONT_MATTER_KEYS:
            report.error("front-matter", where, f"unknown front matter key '{key}' (known: title, role, lang, type)")
        elif not isinstance(value, _FRONT_MATTER_KEYS[key]):
            report.error("front-matter", where, f"'{key}' must be text")
        elif key == "role" and value not in ROLES:
            report.error("front-matter", where, f"role must be one of {', '.join(ROLES)}, not '{value}'")
        elif key == "type" and value not in CHAPTER_TYPES:
            report.error("front-matter", where, f"type must be one of {', '.join(CHAPTER_TYPES)}, not '{value}'")


def _first_heading(tokens: list) -> str | None:
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            return tokens[i + 1].content.strip()
    return None


def _check_headings(path: Path, tokens: list, report: Report) -> None:
    seen_h1 = False
    for token in tokens:
        if token.type == "heading_open" and token.tag == "h1":
            if seen_h1:
                line = token.map[0] + 1 if token.map else None
                report.error(
                    "heading-h1", Location(path, line, 1),
                    "a chapter has one '# ' heading (its title); use '## ' for sections",
                )
            seen_h1 = True


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
