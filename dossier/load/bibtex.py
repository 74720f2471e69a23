"""Read a BibLaTeX (`.bib`) or BibTeX (`.bibtex`) file as CSL items, with Pandoc.

Pandoc (the binary of the `pypandoc-binary` wheel) converts it: `pandoc --from biblatex --to
csljson` gives the CSL that Pandoc users get from the same file. Compared on the same entries
with bibtexparser 2 (with its LaTeX-decoding middleware) and pybtex (with latexcodec), Pandoc is
the only one that gives CSL at all — the two libraries give BibTeX fields, and the mapping to CSL
(entry types, `journaltitle`/`booktitle` to `container-title`, `date`/`urldate` in EDTF to CSL
dates with circa, ranges and years before the common era, `crossref` and `xdata` inheritance
with BibLaTeX's per-type field names, `\\emph` to italics, `--` to an en dash, `{\\'e}` to é,
a braced institution as a literal name rather than split into given and family names) would
be ours to write; bibtexparser also split `{Organisation des Nations unies}` into von and last
parts, and both dropped `\\emph`.

Two things of Pandoc's are set right here. Its BibLaTeX reader takes its locale from `LANG`,
which localises BibLaTeX's keys (`type = {phdthesis}`, `pubstate`): the dossier's locale is given.
In an English locale (and in one it has no CSL locale for, falling back to English) it also turns
titles into sentence case (CSL styles that want title case turn them back; ours print titles as
written, as BibLaTeX's standard styles do): the title fields come from a second run in German,
where Pandoc leaves them alone.

Pandoc's CSL carries no positions: the entries' lines are found in the text (`@type{key,`), so
every source is located at its entry, and an entry Pandoc did not return is an error there (Pandoc
3.9, given a file by name, skips without a word an entry left open at its end; it is given the text
here). A date field it could not read, which it drops, is an error at the field's line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from dossier.errors import DossierError, Location, Report
from dossier.load.yamlpos import PosDict, PosList

_ENTRY = re.compile(r"@[ \t]*([A-Za-z]+)[ \t\n]*[{(][ \t\n]*([^,\s{}()]*)")
_NOT_ENTRIES = {"string", "comment", "preamble", "xdata"}  # xdata feeds other entries; Pandoc returns none
_PANDOC_ERROR = re.compile(r'Error at (?:".*?" )?\(line (\d+), column (\d+)\):\s*(.*)', re.DOTALL)
# The fields Pandoc recases in an English locale (its `getTitle`), taken from the second run.
TITLE_FIELDS = ("title", "title-short", "volume-title", "collection-title", "original-title", "event-title", "event")
TIMEOUT = 120  # seconds: Pandoc reads a 10 000-entry file in a few seconds


@cache
def pandoc_path() -> str | None:
    """The Pandoc binary of the pypandoc-binary wheel (found without importing pypandoc), else one
    on the PATH."""
    import importlib.util

    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for name in ("pandoc", "pandoc.exe"):
                candidate = Path(folder) / "files" / name
                if candidate.is_file():
                    return str(candidate)
    return shutil.which("pandoc")


def entry_marks(text: str) -> list[tuple[str, str, int, int]]:
    """(type, key, line, column) of every entry, in file order."""
    found = []
    for match in _ENTRY.finditer(text):
        kind = match.group(1).lower()
        if kind in _NOT_ENTRIES:
            continue
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        found.append((kind, match.group(2), line, col))
    return found


def _run(pandoc: str, reader: str, text: str, lang: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "LANG": f"{lang}.UTF-8"}
    env.pop("LC_ALL", None)
    return subprocess.run(
        [pandoc, "--from", reader, "--to", "csljson"],
        input=text.encode("utf-8"), capture_output=True, env=env, timeout=TIMEOUT, check=False,
    )


def _syntax_error(path: Path, stderr: str, marks: list[tuple[str, str, int, int]]) -> DossierError:
    """Pandoc's parse error, located at the entry it falls in (the entry before the position:
    an entry left open is only noticed where the next one starts)."""
    match = _PANDOC_ERROR.search(stderr)
    if not match:
        message = " ".join(stderr.split())[:200] or "Pandoc could not read this file"
        return DossierError.single("bib-syntax", Location(path, 1, 1), f"invalid BibLaTeX: {message}")
    line, col = int(match.group(1)), int(match.group(2))
    problem = match.group(3).strip().splitlines()
    reason = "; ".join(p.strip() for p in problem if p.strip() and not p.strip().startswith(("@", "^")))[:160]
    before = [m for m in marks if (m[2], m[3]) < (line, col)]
    if before:
        _, key, entry_line, entry_col = before[-1]
        return DossierError.single(
            "bib-syntax", Location(path, entry_line, entry_col),
            f"invalid BibLaTeX in entry '{key}': {reason} (line {line}, column {col})",
        )
    return DossierError.single("bib-syntax", Location(path, line, col), f"invalid BibLaTeX: {reason}")


def read_bib(path: Path, text: str, reader: str, locale: str, report: Report) -> PosList:
    """The file's entries as CSL items (mappings located at their entry), in file order."""
    pandoc = pandoc_path()
    if pandoc is None:
        raise DossierError.single(
            "bib-pandoc", Location(path), "reading a .bib file needs Pandoc: pip install pypandoc-binary"
        )
    marks = entry_marks(text)
    lang = locale.replace("-", "_")
    result = _run(pandoc, reader, text, lang)
    if result.returncode != 0:
        raise _syntax_error(path, result.stderr.decode("utf-8", "replace"), marks)
    items = json.loads(result.stdout.decode("utf-8"))
    if lang.split("_")[0].lower() != "de":  # Pandoc recases in English, and in a locale it lacks
        as_written = _run(pandoc, reader, text, "de_DE")
        if as_written.returncode == 0:
            titles = {i.get("id"): i for i in json.loads(as_written.stdout.decode("utf-8"))}
            for item in items:
                other = titles.get(item.get("id"), {})
                for name in TITLE_FIELDS:
                    if name in other:
                        item[name] = other[name]
    _check_dates(path, text, items, marks, report)
    return _located(path, items, marks, report)


# BibLaTeX's date fields and the CSL variable each becomes; Pandoc drops a date it cannot read.
_DATE_FIELDS = {"date": "issued", "year": "issued", "urldate": "accessed", "origdate": "original-date",
                "eventdate": "event-date"}
_DATE_FIELD = re.compile(r"(?im)^[ \t]*(date|year|urldate|origdate|eventdate)[ \t]*=[ \t]*[{\"]?([^,}\"\n]*)")


Marks = list[tuple[str, str, int, int]]  # (entry type, key, line, column)


def _check_dates(path: Path, text: str, items: list[Any], marks: Marks, report: Report) -> None:
    """A date field Pandoc could not read (`date = {20xx}`) is an error at its line, not a lost date."""
    by_id = {str(item.get("id")): item for item in items}
    offsets = [0] + [m.end() for m in re.finditer("\n", text)]
    starts = [offsets[line - 1] + col - 1 for _, _, line, col in marks] + [len(text)]
    for index, (_, key, _, _) in enumerate(marks):
        item = by_id.get(key)
        if item is None:
            continue
        for match in _DATE_FIELD.finditer(text, starts[index], starts[index + 1]):
            value = item.get(_DATE_FIELDS[match.group(1).lower()])
            if not value or value == {"date-parts": []}:
                at = text.count("\n", 0, match.start(1)) + 1
                col = match.start(1) - offsets[at - 1] + 1
                report.error(
                    "source-date", Location(path, at, col),
                    f"source '{key}': invalid date in '{match.group(1).lower()}': '{match.group(2).strip()}'",
                )
                item.pop(_DATE_FIELDS[match.group(1).lower()], None)


def _located(path: Path, items: list[Any], marks: list[tuple[str, str, int, int]], report: Report) -> PosList:
    positions: dict[str, list[tuple[int, int]]] = {}
    for _, key, line, col in marks:
        positions.setdefault(key, []).append((line, col))
    returned = [str(item.get("id", "")) for item in items]
    for _, key, line, col in marks:
        if key not in returned:
            report.error(
                "bib-entry", Location(path, line, col),
                f"entry '{key}' could not be read: is a brace or a quote left open, or its key missing?",
            )
    located = PosList()
    located.item_marks = []
    seen: dict[str, int] = {}
    for item in items:
        ident = str(item.get("id", ""))
        index = seen.get(ident, 0)
        seen[ident] = index + 1
        candidates = positions.get(ident, [])
        mark = candidates[index] if index < len(candidates) else (candidates or [(1, 1)])[-1]
        entry = PosDict(item)
        entry.mark, entry.key_marks = mark, dict.fromkeys(item, mark)
        entry.value_marks = dict.fromkeys(item, mark)
        located.append(entry)
        located.item_marks.append(mark)
    return located
