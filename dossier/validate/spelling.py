"""Spell check of the dossier's own text: hunspell with the locale's dictionary plus spelling.txt.

What is checked: the chapters' text and notes (not code, URLs, HTML or citation keys), the
captions and alternative texts of generated blocks, the labels, places and texts of the
chronology, the printed names of the map and the glossary. The address chapter is checked
like the rest: a misspelling in a supplied text is something the editors must know of (to
mark it *sic* or accept it in the word list), never something to correct silently.

hunspell does the checking (it knows French morphology, which no word list can); what is ours
is finding the words and their places, and splitting elisions (`l’OTSC` → `OTSC`), since a
word list entry cannot carry the elided forms. Without hunspell or the dictionary, the check is
skipped and says why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dossier.errors import Location, Report
from dossier.load.markdown import parse_document, parse_inline
from dossier.load.text import read_text
from dossier.load.tree import inline_nodes
from dossier.load.yamlpos import PosDict, PosList, load_yaml
from dossier.model import Config
from dossier.nodes import (
    Cell,
    Citation,
    Generated,
    Header,
    Image,
    Inline,
    InlineNote,
    Link,
    Para,
    Plain,
    Text,
    children,
    walk,
)

DICTIONARY_DIRS = (
    Path("/usr/share/hunspell"),
    Path("/usr/share/myspell/dicts"),
    Path("/usr/share/myspell"),
    Path("/usr/local/share/hunspell"),
)
# Letters, possibly joined by apostrophes or hyphens: `aujourd’hui`, `Kassym-Jomart`.
_WORD = re.compile(r"[^\W\d_]+(?:[’'\-][^\W\d_]+)*")
# What is not prose: URLs, domain names, anything holding a digit (`1er`, `333-VI`, `10h30`).
_NOT_PROSE = re.compile(r"https?://\S+|www\.\S+|[\w-]+(?:\.[\w-]+)+|\S*\d\S*")
_ELISION = re.compile(
    r"^(?:jusqu|lorsqu|puisqu|quoiqu|presqu|qu|l|d|n|s|j|c|m|t)[’']", re.IGNORECASE
)
_YAML_TEXT_KEYS = {"label", "place", "event", "expansion", "definition", "term", "caption", "alt"}
_MARKDOWN_KEYS = {"event", "definition"}


@dataclass(frozen=True)
class Word:
    text: str
    location: Location


@dataclass(frozen=True)
class SpellStatus:
    ran: bool
    detail: str


def check_spelling(config: Config, report: Report) -> SpellStatus:
    """Warn about every word neither hunspell nor the dossier's word list knows: one line a
    word, at its first place, with the number of times it occurs."""
    if not config.check_spelling:
        return SpellStatus(False, "spell check off ([check] spelling = false in dossier.toml)")
    hunspell = shutil.which("hunspell")
    if hunspell is None:
        return SpellStatus(False, "spell check skipped: hunspell is not installed")
    dictionary = find_dictionary(config.locale)
    if dictionary is None:
        detail = f"spell check skipped: no hunspell dictionary for {config.locale}"
        return SpellStatus(False, detail)
    words = list(dossier_words(config))
    accepted = word_list(config.root / "spelling.txt")
    candidates = {w.text for w in words if not _listed(w.text, accepted)}
    parts = {p for w in candidates for p in w.split("-") if p}
    unknown = unknown_words(hunspell, dictionary, sorted(candidates | parts))
    found: dict[str, list[Location]] = {}
    for word in words:
        if word.text in unknown and not _compound_known(word.text, unknown, accepted):
            found.setdefault(word.text, []).append(word.location)
    for text, places in found.items():
        times = f" ({len(places)} times; add it to spelling.txt if it is right)" if len(places) > 1 else ""
        report.warning("spelling", places[0], f"unknown word '{text}'{times}")
    return SpellStatus(True, f"spell check: {len(words)} words, dictionary {dictionary.name}")


def find_dictionary(locale: str) -> Path | None:
    names = [locale.replace("-", "_"), locale.split("_")[0].split("-")[0]]
    for name in names:
        for directory in DICTIONARY_DIRS:
            if (directory / f"{name}.dic").is_file() and (directory / f"{name}.aff").is_file():
                return directory / name
    return None


def word_list(path: Path) -> set[str]:
    if not path.is_file():
        return set()
    lines = (line.strip() for line in read_text(path).splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def _listed(word: str, accepted: set[str]) -> bool:
    """In the word list as written, or as a lowercase entry capitalised (hunspell's rule)."""
    return word in accepted or (word.lower() in accepted and word.lower() != word)


def _compound_known(word: str, unknown: set[str], accepted: set[str]) -> bool:
    parts = [p for p in word.split("-") if p]
    return len(parts) > 1 and all(p not in unknown or _listed(p, accepted) for p in parts)


def unknown_words(hunspell: str, dictionary: Path, words: list[str]) -> set[str]:
    """The words hunspell rejects, asked in pipe mode (`-a`), one word a line."""
    if not words:
        return set()
    text = "".join(f"^{w}\n" for w in words)
    result = subprocess.run(
        [hunspell, "-a", "-i", "utf-8", "-d", str(dictionary)],
        input=text.encode("utf-8"), capture_output=True, check=True,
    )
    lines = result.stdout.decode("utf-8").split("\n")[1:]  # the first line is the banner
    unknown: set[str] = set()
    index = 0
    for line in lines:
        if index >= len(words):
            break
        if not line:
            index += 1
        elif line[0] in "&#":
            unknown.add(words[index])
    return unknown


# -- finding the words ------------------------------------------------------------------------


def split_words(text: str) -> Iterator[tuple[str, int]]:
    """The words of a text and their offsets; elided articles and pronouns are left out."""
    masked = _NOT_PROSE.sub(lambda m: " " * len(m.group()), text)
    for match in _WORD.finditer(masked):
        word, start = match.group(), match.start()
        while (elision := _ELISION.match(word)) and elision.end() < len(word):
            word, start = word[elision.end():], start + elision.end()
        yield word, start


class _Locator:
    """Finds words in a file's text, in reading order, from a starting offset."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offset(self, line: int, col: int) -> int:
        return self.line_starts[min(line, len(self.line_starts)) - 1] + col - 1

    def location(self, offset: int) -> Location:
        line = max(i for i, start in enumerate(self.line_starts) if start <= offset)
        return Location(self.path, line + 1, offset - self.line_starts[line] + 1)

    def find(self, words: Iterable[str], start: int) -> Iterator[Word]:
        cursor = start
        for word in words:
            pattern = re.compile(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])")
            match = pattern.search(self.text, cursor)
            if match is None:
                yield Word(word, self.location(start))
                continue
            cursor = match.end()
            yield Word(word, self.location(match.start()))


def dossier_words(config: Config) -> Iterator[Word]:
    data_files: dict[Path, None] = {}
    for name in config.chapters:
        path = (config.root / name).resolve()
        if path.is_file():
            yield from _chapter_words(config, path, data_files)
    for path in data_files:
        yield from _yaml_words(path, config)
    if config.glossary and (config.root / config.glossary).is_file():
        yield from _yaml_words(config.root / config.glossary, config)


def _inline_words(inlines: tuple[Inline, ...]) -> Iterator[str]:
    """Prose words of inline nodes: text only, not code, raw HTML, an image's alt text or an
    autolink's URL."""
    for node in inlines:
        if isinstance(node, Text):
            yield from (w for w, _ in split_words(node.text))
        elif isinstance(node, Image | Citation | InlineNote) or (isinstance(node, Link) and node.autolink):
            continue  # an inline note's paragraphs are containers of their own
        else:
            yield from _inline_words(tuple(children(node)))


_INLINE_CONTAINERS = (Para, Plain, Header, Cell)


def _chapter_words(config: Config, path: Path, data_files: dict[Path, None]) -> Iterator[Word]:
    text = read_text(path)
    document = parse_document(path, text)
    if document.front_matter is not None:
        meta = load_yaml(document.front_matter, path) or {}
        if isinstance(meta, dict) and not _same_language(meta.get("lang"), config.locale):
            return
    locator = _Locator(path, text)
    # the text's blocks and its notes' definitions, in the order of the file
    kinds = (*_INLINE_CONTAINERS, Generated)
    nodes = [n for n in walk(document.blocks + tuple(document.notes)) if isinstance(n, kinds)]
    nodes.sort(key=lambda n: n.location.line or 0)
    for node in nodes:
        line = node.location.line
        if line is None:
            continue
        if isinstance(node, Cell) and node.content and not isinstance(node.content[0], Inline.__args__):
            continue  # a cell of blocks: its paragraphs are containers of their own
        if not isinstance(node, Generated):
            yield from locator.find(_inline_words(node.content), locator.offset(line, 1))  # type: ignore[arg-type]
        elif node.options.strip():
            options = load_yaml(node.options, path)
            if not isinstance(options, PosDict):
                continue
            if node.name in ("chronology", "timeline", "map") and "data" in options:
                target = (config.root / str(options["data"])).resolve()
                if target.is_file() and target.is_relative_to(config.root.resolve()):
                    data_files.setdefault(target)
            for key in ("caption", "alt"):
                if isinstance(options.get(key), str):
                    value_line, col = options.value_marks[key]
                    start = locator.offset(line + value_line, col)
                    yield from locator.find((w for w, _ in split_words(options[key])), start)


def _same_language(lang: Any, locale: str) -> bool:
    if not lang:
        return True
    return str(lang).replace("_", "-").split("-")[0].lower() == locale.split("_")[0].lower()


def _yaml_words(path: Path, config: Config) -> Iterator[Word]:
    text = read_text(path)
    locator = _Locator(path, text)
    yield from _walk_yaml(load_yaml(text, path), locator, config, key=None)


def _walk_yaml(value: Any, locator: _Locator, config: Config, key: Any) -> Iterator[Word]:
    if isinstance(value, PosDict):
        skip_term = not _same_language(value.get("lang"), config.locale)
        for k, v in value.items():
            if k == "term" and skip_term:
                continue
            if isinstance(v, str) and (k in _YAML_TEXT_KEYS or key == "labels"):
                words = (
                    _inline_words(inline_nodes(parse_inline(v), Location(locator.path))) if k in _MARKDOWN_KEYS
                    else (w for w, _ in split_words(v))
                )
                yield from locator.find(words, locator.offset(*value.value_marks[k]))
            else:
                yield from _walk_yaml(v, locator, config, key=k)
    elif isinstance(value, PosList):
        for item in value:
            yield from _walk_yaml(item, locator, config, key=key)
