"""The outputs, registered by name: each format declares the shared results it needs.

A format is a module of this package whose `FORMAT` (a `dossier.formats.builder.Format`) names
it, says which shared results it takes (`dossier.formats.results`: the print layout, the page
map, the cover) and how it is written; `dossier.formats.graph` makes each shared result once,
in order, only when a requested format needs it. Adding an output is one new module and one
line in `REGISTRY` (Sphinx registers its builders by name the same way).
"""

from __future__ import annotations

import importlib
from functools import cache

from dossier.formats.builder import Format

# The modules that declare an output, in the order outputs are listed.
REGISTRY = ("dossier.formats.pdf", "dossier.formats.epub", "dossier.formats.cover")


@cache
def formats() -> dict[str, Format]:
    """Every registered format, by name."""
    found = {}
    for module in REGISTRY:
        declared: Format = importlib.import_module(module).FORMAT
        found[declared.name] = declared
    _check(found)
    return found


def _check(found: dict[str, Format]) -> None:
    """A registry mistake is a bug: said at once, whatever is built."""
    from dossier.formats.results import RESULTS

    for declared in found.values():
        for need in declared.needs:
            if need not in RESULTS:
                raise ValueError(f"format {declared.name!r} needs an unknown shared result {need!r}")
            if declared.beside and not RESULTS[need].portable:
                raise ValueError(f"format {declared.name!r} is made beside but needs {need!r}, which cannot cross")


def names() -> tuple[str, ...]:
    """The formats' names, in the registry's order."""
    return tuple(formats())


def defaults() -> tuple[str, ...]:
    """What `dossier build` makes when no format is asked for (the cover's own PDF is made for
    a print shop, with `--print-ready`)."""
    return tuple(name for name, declared in formats().items() if declared.default)


def output_name(slug: str, edition: int, name: str) -> str:
    """The file a format writes: `SLUG-EDITION.NAME` (e.g. `allocution-tokayev-2022-01-07-2.pdf`),
    or `SLUG-EDITION.SUFFIX` for a format with a suffix of its own (`….cover.pdf`)."""
    declared = formats().get(name)
    return f"{slug}-{edition}.{declared.suffix if declared and declared.suffix else name}"


def owner(layout_file: str) -> str | None:
    """The format that alone reads this layout file (a path inside the layout), if one does."""
    for declared in formats().values():
        if layout_file.startswith(declared.own_layout_files):
            return declared.name
    return None
