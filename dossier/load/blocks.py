"""Generated blocks: ```` ```{name} ```` fences, their YAML options and the data files they read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dossier.errors import DossierError, Location, Report
from dossier.load.markdown import parse_inline
from dossier.load.text import read_text
from dossier.load.tree import inline_nodes
from dossier.load.yamlpos import PosDict, PosList, load_yaml
from dossier.nodes import Generated, Inline

# name → (required options, optional options)
BLOCKS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "chronology": (frozenset({"data"}), frozenset({"caption"})),
    "timeline": (frozenset({"data", "alt"}), frozenset({"caption"})),
    "map": (frozenset({"data", "alt"}), frozenset({"caption"})),
    "glossary": (frozenset(), frozenset()),
    "bibliography": (frozenset(), frozenset()),
    "editions": (frozenset(), frozenset()),
}


@dataclass(frozen=True)
class Event:
    """One dated entry of a chronology."""

    date: dt.date
    label: str
    event: tuple[Inline, ...]
    location: Location
    end: dt.date | None = None
    place: str | None = None


@dataclass(frozen=True)
class Block:
    name: str
    options: dict[str, str]
    location: Location
    events: tuple[Event, ...] = ()
    data: Any = None


def load_block(root: Path, path: Path, node: Generated, report: Report) -> Block | None:
    name, location = node.name, node.location
    line = location.line or 1
    if name not in BLOCKS:
        known = ", ".join(f"{{{n}}}" for n in BLOCKS)
        report.error("block-unknown", location, f"unknown block '{{{name}}}' (known: {known})")
        return None
    options = load_yaml(node.options, path, line_offset=line) if node.options.strip() else {}
    if not isinstance(options, dict):
        report.error("block-options", location, f"options of {{{name}}} must be 'key: value' lines")
        return None
    required, optional = BLOCKS[name]
    for key in sorted(required - options.keys()):
        report.error("block-options", location, f"{{{name}}} needs the option '{key}'")
    for key in sorted(options.keys() - required - optional):
        where = Location(path, line + options.key_marks[key][0], options.key_marks[key][1])
        report.error("block-options", where, f"unknown option '{key}' for {{{name}}}")
    if required - options.keys() or options.keys() - required - optional:
        return None
    values = {k: str(v) for k, v in options.items()}
    if "data" not in options:
        return Block(name, values, location)
    data_path = _data_path(root, path, options, line)
    data = load_yaml(read_text(data_path), data_path)
    if name in ("chronology", "timeline"):
        return Block(name, values, location, events=tuple(_events(data_path, data, report)))
    return Block(name, values, location, data=data)


def _data_path(root: Path, path: Path, options: PosDict, line: int) -> Path:
    target = (root / str(options["data"])).resolve()
    where = Location(path, line + options.value_marks["data"][0], options.value_marks["data"][1])
    if not target.is_relative_to(root.resolve()):
        raise DossierError.single("data-outside", where, f"data file '{options['data']}' is outside the dossier")
    if not target.is_file():
        raise DossierError.single("data-missing", where, f"data file '{options['data']}' not found")
    return target


def _events(path: Path, data: Any, report: Report) -> list[Event]:
    if not isinstance(data, PosList):
        report.error("data-format", Location(path, 1, 1), "expected a list of events")
        return []
    events = []
    for item, mark in zip(data, data.item_marks, strict=True):
        location = Location(path, *mark)
        if not isinstance(item, PosDict):
            report.error("data-format", location, "expected an event with 'date', 'label' and 'event'")
            continue
        missing = [k for k in ("date", "label", "event") if k not in item]
        unknown = sorted(item.keys() - {"date", "end", "place", "label", "event"})
        for key in missing:
            report.error("data-format", location, f"event without '{key}'")
        for key in unknown:
            report.error("data-format", Location(path, *item.key_marks[key]), f"unknown key '{key}'")
        dates = [item.get(k) for k in ("date", "end") if k in item]
        bad = [d for d in dates if not isinstance(d, dt.date) or isinstance(d, dt.datetime)]
        for _ in bad:
            report.error("data-date", location, "expected a date such as 2022-01-07")
        if missing or unknown or bad:
            continue
        at = Location(path, *item.value_marks["event"])
        events.append(
            Event(
                date=item["date"],
                end=item.get("end"),
                place=str(item["place"]) if item.get("place") else None,
                label=str(item["label"]),
                event=inline_nodes(parse_inline(str(item["event"])), at),
                location=at,
            )
        )
    return events
