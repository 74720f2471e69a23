"""What an output declares (`Format`), what a shared result is (`Result`), what both are given (`Job`).

Light on purpose (the standard library only): the manifest reads the declarations to decide
what to rebuild before anything heavy is imported. A format's and a result's functions import
the writers when they run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dossier.build import BuildOptions
    from dossier.errors import Report
    from dossier.model import Book
    from dossier.render import Rendered


@dataclass(frozen=True)
class Job:
    """One build's material, as every format and shared result sees it."""

    book: Book
    rendered: Rendered  # the print HTML and the layout's files; each format renders its own documents
    options: BuildOptions
    epoch: int | None = None  # SOURCE_DATE_EPOCH
    report: Report | None = None  # for warnings (the layout's stylesheets'); errors are raised
    cache: Path | None = None  # where what a later build can reuse is kept (write/layoutcache.py)
    tell: Callable[[str], None] | None = None  # what a stage is doing, for the progress (a chapter laid out)
    # hears shared results foreseen before they are made (the page map and cover, write/foresight.py)
    foresee: Callable[[dict[str, Any]], None] | None = None
    # returns once the build has room for a format's heaviest check (formats/graph.py, write/memory.py)
    room: Callable[[], Any] | None = None


Results = Mapping[str, Any]


@dataclass(frozen=True)
class Result:
    """A shared result: made once per build, from the job and the results it needs, for every
    format that needs it (`dossier.formats.results`)."""

    name: str
    make: Callable[[Job, Results], Any]
    needs: tuple[str, ...] = ()
    stage: str | None = None  # a progress stage of its own (else it counts in the one before)
    label: str = ""  # what the progress shows during that stage
    portable: bool = True  # can be pickled to a format made in a second process


@dataclass(frozen=True)
class Format:
    """An output: one file per build, `SLUG-EDITION.NAME`."""

    name: str  # also the file's suffix (but `suffix`) and the name on the command line
    label: str  # what the progress shows while it is written
    # The output at the target; `results` holds `needs`. It may return warnings (a `Report`: what
    # its checks found); an error is raised (`DossierError`), and then no output is kept.
    write: Callable[[Job, Path, Results], Report | None]
    needs: tuple[str, ...] = ()  # shared results, by name
    # Layout files (names or folder prefixes) no other output reads: a change there rewrites this one alone.
    own_layout_files: tuple[str, ...] = ()
    # Made in a second process while the parent makes the shared results (dossier.write.parallel):
    # its needs must be portable; it receives them as soon as they are made.
    beside: bool = False
    suffix: str = ""  # the file's suffix when it is not the name (`cover.pdf`)
    default: bool = True  # made by `dossier build` when no format is asked for
    # The written output checked while it still has its temporary name (in the process that wrote
    # it): raises `DossierError` for what makes it invalid, returns a `Report` of warnings.
    check: Callable[[Job, Path], Any] | None = None
