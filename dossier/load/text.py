"""Read a dossier's text files: UTF-8 only, BOM and CRLF accepted, bad bytes located."""

from __future__ import annotations

import re
from pathlib import Path

from dossier.errors import DossierError, Location, Report

FILE_LIMIT = 5_000_000  # bytes: keeps a build bounded; a long book is a few hundred kB a chapter
PARAGRAPH_LIMIT = 200_000  # characters in one paragraph (see load.markdown)

# Characters XML 1.0 forbids (C0 controls but tab, newline, carriage return), plus the
# C1 range and noncharacters that word processors leave behind.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")


def read_text(path: Path) -> str:
    """The file's text with BOM removed and line endings normalised to `\\n`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DossierError.single("file-missing", Location(path), "file not found") from None
    except IsADirectoryError:
        raise DossierError.single("file-missing", Location(path), "is a folder, not a file") from None
    if len(data) > FILE_LIMIT:
        raise DossierError.single(
            "limit-file", Location(path), f"file of {len(data):,} bytes: the limit is {FILE_LIMIT:,}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8")) + 1  # in characters, as editors count
        raise DossierError.single(
            "encoding",
            Location(path, line, col),
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; save the file as UTF-8",
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def remove_forbidden_characters(text: str, path: Path, report: Report) -> str:
    """Drop control characters XML cannot carry, warning at each one's position."""
    if not FORBIDDEN.search(text):
        return text
    for match in FORBIDDEN.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        report.warning(
            "control-character",
            Location(path, line, col),
            f"control character U+{ord(match.group()):04X} removed",
        )
    return FORBIDDEN.sub("", text)
