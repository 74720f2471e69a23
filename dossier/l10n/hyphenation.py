"""Hyphenation for the print edition: the dossier's exceptions and the words never to hyphenate.

WeasyPrint hyphenates with Pyphen's patterns for each element's `lang` and has no hook for
exceptions. TeX's `\\hyphenation{Ka-zakh-stan}` is, in pattern terms, a whole-word pattern
whose odd digits allow a break and whose even digits forbid one; this module writes such
patterns for the words of `hyphenation.txt` (break points as the file gives them) and for the
proper names of the glossary and of the spelling list (no break at all), appends them to
Pyphen's patterns of each language the document uses, and points Pyphen at the result for
the duration of a layout (`patched`). A digit of 9 outweighs every digit of the shipped
patterns (French goes up to 8, English to 8), and 8 forbids a break they would allow.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dossier.errors import DossierError, Location, Report
from dossier.load.text import read_text

FILE_NAME = "hyphenation.txt"
ALLOW, FORBID = "9", "8"
# The letters of a word as Pango cuts it (UAX #29): letters, marks, and the apostrophe of an
# elision (`l’Organisation` is one word); a digit or a dot ends it.
_WORD = re.compile(r"[^\W\d_]+(?:[’'][^\W\d_]+)*")
_ENTRY = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@dataclass(frozen=True)
class Hyphenation:
    """Words whose breaks the dossier decides: lowercase word → the break positions allowed
    (after so many letters; none: never hyphenated)."""

    words: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def patterns(self) -> list[str]:
        """One pattern per word, at the word's start and after an elision (`l’`, `d’`)."""
        found = []
        for word, breaks in sorted(self.words.items()):
            digits = "".join(
                letter + (ALLOW if index + 1 in breaks else FORBID) for index, letter in enumerate(word[:-1])
            ) + word[-1]
            found += [f".{digits}.", f"’{digits}.", f"'{digits}."]
        return found

    def key(self) -> str:
        return hashlib.sha256("\n".join(self.patterns()).encode()).hexdigest()[:16]


def read_exceptions(path: Path) -> dict[str, tuple[int, ...]]:
    """`hyphenation.txt`: one word a line, a hyphen at each place it may break (`Kazakh-stan`);
    a word without one is never hyphenated. `#` starts a comment. Bad lines are errors."""
    if not path.is_file():
        return {}
    report = Report()
    words: dict[str, tuple[int, ...]] = {}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not _ENTRY.fullmatch(text):
            column = line.index(text) + 1
            report.error(
                "hyphenation-entry", Location(path, number, column),
                f"'{text}' is not a word with hyphens at its break points (one word a line, letters and hyphens)",
            )
            continue
        breaks, position = [], 0
        for part in text.split("-")[:-1]:
            position += len(part)
            breaks.append(position)
        words[text.replace("-", "").lower()] = tuple(breaks)
    if report.errors:
        raise DossierError(report)
    return words


def proper_names(texts: Iterable[str]) -> set[str]:
    """The words of `texts` that are names, lowercased: a single word with a capital letter
    (`Cloudflare`, `Janaozen`), an acronym or a word with an inner capital (`OTSC`,
    `NetBlocks`), a capitalised word after the first of a longer term (`Kazakhstan` in `Parlement
    du Kazakhstan`; not `Organisation`, capitalised as a term's first word). Addresses
    (`click2houston.com`) are set apart by the render stage instead (dossier.render.breaks), as
    Pango reads a word with a digit as one."""
    found = set()
    for text in texts:
        if any(c.isdigit() or c in ".@/" for c in text):
            continue
        words = [m.group().replace("'", "’").split("’")[-1] for m in _WORD.finditer(text)]  # `l’OTSC`
        for index, word in enumerate(words):
            capital = word[:1].isupper() and (index > 0 or len(words) == 1)
            if len(word) > 1 and (capital or any(c.isupper() for c in word[1:])):
                found.add(word.lower())
    return found


SPELLING_FILE = "spelling.txt"


def dossier_hyphenation(root: Path, names: Iterable[str]) -> Hyphenation:
    """The exceptions of `root/hyphenation.txt`, over the names never to hyphenate: `names`
    (the glossary's terms) and those of the spelling list."""
    spelling = root / SPELLING_FILE
    listed = [line.strip() for line in read_text(spelling).splitlines()] if spelling.is_file() else []
    listed = [line for line in listed if line and not line.startswith("#")]
    words: dict[str, tuple[int, ...]] = {name: () for name in proper_names([*names, *listed])}
    words.update(read_exceptions(root / FILE_NAME))
    return Hyphenation(words)


def _pyphen_names(languages: Iterable[str]) -> set[str]:
    import pyphen

    return {name for lang in languages if (name := pyphen.language_fallback(lang))}


@contextmanager
def patched(hyphenation: Hyphenation, languages: Iterable[str]) -> Iterator[None]:
    """Pyphen's dictionaries of `languages` with the dossier's patterns added, while the
    block runs. Pyphen caches parsed dictionaries by path (`hdcache`); each patched one is
    parsed once per process under a name of its own, so no file is left behind."""
    import pyphen

    if not hyphenation.words:
        yield
        return
    saved = dict(pyphen.LANGUAGES)
    extra = "\n".join(hyphenation.patterns())
    try:
        for name in _pyphen_names(languages):
            original = Path(saved[name])
            key = Path(f"{original.stem}+dossier-{hyphenation.key()}.dic")
            if key not in pyphen.hdcache:
                pyphen.hdcache[key] = _parse(original, extra)
            pyphen.LANGUAGES[name] = key
        yield
    finally:
        pyphen.LANGUAGES.clear()
        pyphen.LANGUAGES.update(saved)


def dictionaries(hyphenation: Hyphenation, languages: Iterable[str]) -> dict[str, bytes]:
    """The patched dictionaries' files, by Pyphen's language name (for a dump of the layout)."""
    import pyphen

    if not hyphenation.words:
        return {}
    extra = "\n".join(hyphenation.patterns())
    return {name: _patched_text(Path(pyphen.LANGUAGES[name]), extra) for name in _pyphen_names(languages)}


def _patched_text(original: Path, extra: str) -> bytes:
    text = original.read_bytes()
    encoding = text.split(b"\n", 1)[0].decode().strip()
    if encoding.lower() != "utf-8":  # the dossier's words are written in UTF-8 below
        text = text.decode("cp1251" if encoding.lower() == "microsoft-cp1251" else encoding).encode()
        text = b"UTF-8\n" + text.split(b"\n", 1)[1]
    return text.rstrip(b"\n") + b"\n" + extra.encode() + b"\n"


def _parse(original: Path, extra: str) -> object:
    import pyphen

    with tempfile.TemporaryDirectory(prefix="dossier-hyph-") as folder:
        path = Path(folder) / original.name
        path.write_bytes(_patched_text(original, extra))
        return pyphen.HyphDict(path)
