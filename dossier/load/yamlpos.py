"""YAML that remembers where each value came from, for located errors.

PyYAML's nodes carry start marks; this loader keeps them on the dicts and lists it builds, so
that a stage can report `sources.yaml:42:5` for a value found wrong much later.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from dossier.errors import DossierError, Location

Mark = tuple[int, int]


class PosDict(dict):
    """A mapping with the 1-based (line, column) of itself and of each key's value."""

    mark: Mark = (1, 1)
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]


class PosList(list):
    """A sequence with the 1-based (line, column) of itself and of each item."""

    mark: Mark = (1, 1)
    item_marks: list[Mark]


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> PosDict:
        self.flatten_mapping(node)
        result = PosDict()
        result.mark = _mark(node)
        result.key_marks = {}
        result.value_marks = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool | dt.date):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value", key_node.start_mark
                )
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> PosList:
        result = PosList(self.construct_object(child, deep=True) for child in node.value)
        result.mark = _mark(node)
        result.item_marks = [_mark(child) for child in node.value]
        return result

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return yaml.constructor.SafeConstructor.construct_yaml_timestamp(self, node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"impossible date '{node.value}' ({exc})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)

# libyaml's parser (PyYAML's C extension), when the wheel has it, reads a 1 500-source file ten
# times faster with the same nodes and marks; its error messages are poorer, so a file it refuses
# is read again by the Python parser, whose message and position are reported.
_Fast: type | None = None
if hasattr(yaml, "CSafeLoader"):
    class _CLoader(yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        construct_mapping = _Loader.construct_mapping
        construct_sequence = _Loader.construct_sequence
        construct_yaml_timestamp = _Loader.construct_yaml_timestamp

    _CLoader.add_constructor("tag:yaml.org,2002:map", _CLoader.construct_mapping)
    _CLoader.add_constructor("tag:yaml.org,2002:seq", _CLoader.construct_sequence)
    _CLoader.add_constructor("tag:yaml.org,2002:timestamp", _CLoader.construct_yaml_timestamp)
    _Fast = _CLoader


def load_yaml(text: str, path: Path, line_offset: int = 0) -> Any:
    """Parse YAML text, raising a located `DossierError` on any syntax problem."""
    if _Fast is not None:
        try:
            return yaml.load(text, Loader=_Fast)  # a CSafeLoader subclass
        except yaml.YAMLError:
            pass  # read again below, for the Python parser's message and position
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        location = (
            Location(path, mark.line + 1 + line_offset, mark.column + 1)
            if mark
            else Location(path)
        )
        raise DossierError.single("yaml-syntax", location, f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character)
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise DossierError.single(
            "yaml-character", Location(path, line + line_offset, col),
            f"character U+{ord(character):04X} is not allowed in YAML: remove it",
        ) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise DossierError.single("yaml-syntax", Location(path), f"invalid YAML: {message}") from None
