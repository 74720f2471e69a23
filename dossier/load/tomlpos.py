"""Where each key of a TOML file is, so that schema errors can name a line and column.

`tomllib` gives values but no positions, and no maintained TOML parser exposes them
(tomlkit keeps formatting, not line numbers), hence this small scanner. It understands the
subset of TOML a dossier.toml uses: `[table]`, `[[array.of.tables]]`, `key = value`, dotted
and quoted keys, and arrays of scalars spread over several lines.
"""

from __future__ import annotations

import re

Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[int, int]]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")
_STRING_ITEM = re.compile(r""""(?:[^"\\]|\\.)*"|'[^']*'|[^\s,\[\]#]+""")


def _split_key(key: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def key_positions(text: str) -> Positions:
    """Map each key path (tables, keys, array items) to its 1-based (line, column)."""
    positions: Positions = {}
    table: Path_ = ()
    array_counts: dict[Path_, int] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            names = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = array_counts.get(names, 0)
                array_counts[names] = index + 1
                table = (*names, index)
            else:
                table = names
            positions.setdefault(table, (i + 1, line.index("[") + 1))
            i += 1
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *_split_key(key.group(2)))
            positions.setdefault(path, (i + 1, len(key.group(1)) + 1))
            rest = line[key.end():]
            if rest.strip().startswith("["):
                i = _scan_array(lines, i, line.index("[", key.end()), path, positions)
                continue
        i += 1
    return positions


def _scan_array(lines: list[str], start: int, col: int, path: Path_, positions: Positions) -> int:
    """Record the position of each item of an array value; return the line after it ends."""
    depth = 0
    index = 0
    i, pos = start, col
    while i < len(lines):
        line = lines[i]
        while pos < len(line):
            ch = line[pos]
            if ch == "#":
                break
            if ch == "[":
                depth += 1
                pos += 1
                continue
            if ch == "]":
                depth -= 1
                pos += 1
                if depth == 0:
                    return i + 1
                continue
            if ch in " ,\t":
                pos += 1
                continue
            if ch == "{":
                if depth == 1:
                    positions.setdefault((*path, index), (i + 1, pos + 1))
                    index += 1
                close = line.find("}", pos)
                pos = close + 1 if close >= 0 else len(line)
                continue
            item = _STRING_ITEM.match(line, pos)
            if depth == 1:
                positions.setdefault((*path, index), (i + 1, pos + 1))
                index += 1
            pos = item.end() if item else pos + 1
        i += 1
        pos = 0
    return i


def locate(positions: Positions, path: Path_) -> tuple[int, int] | None:
    """Position of `path`, or of its nearest enclosing key or table."""
    for end in range(len(path), 0, -1):
        found = positions.get(tuple(path[:end]))
        if found:
            return found
    return None
