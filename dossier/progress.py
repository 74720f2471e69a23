"""What a build says while it runs, on stderr. In a terminal: the stages with rich (a spinner,
a tick per stage done). Otherwise (a log, a pipe, a test) plain lines, and fewer of them: the
outcome only (nothing to do, what was up to date), since scripts and the tests read stderr
as the diagnostics alone; with `--verbose`, each stage and its time. `--quiet`: errors only.

rich is imported only for a terminal, so a build that has nothing to do stays light.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, TextIO

from dossier.formats import formats
from dossier.formats.results import RESULTS

Level = Literal["quiet", "normal", "verbose"]
STAGES = {
    "check": "checking what changed",
    "load": "reading the dossier",
    "resolve": "numbering notes and citations",
    "render": "rendering documents",
    **{r.stage: r.label for r in RESULTS.values() if r.stage},  # the shared results' and the formats' stages
    **{f.name: f.label for f in formats().values()},
}


class Progress:
    """Called with each stage's name as it starts; `finish()` when the build ends, `say()` for a result."""

    def __init__(self, level: Level = "normal", stream: TextIO | None = None) -> None:
        self.level = level
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.stage: str | None = None
        self.stage_started = self.started

    def __call__(self, stage: str) -> None:
        self._end_stage()
        self.stage, self.stage_started = stage, time.perf_counter()
        self._show(stage)

    def _end_stage(self) -> None:
        if self.stage is not None and self.level == "verbose":
            self._line(f"{self.stage}: {time.perf_counter() - self.stage_started:.2f} s")
        self.stage = None

    def _show(self, stage: str) -> None:
        if self.level == "verbose":
            self._line(f"{stage}: {STAGES.get(stage, '')}")

    def _line(self, text: str) -> None:
        print(f"dossier: {text}", file=self.stream, flush=True)

    def detail(self, text: str) -> None:
        """What the current stage is doing (the chapter being laid out): a line when verbose."""
        if self.level == "verbose":
            self._line(f"{self.stage}: {text}")

    def say(self, text: str) -> None:
        """A result line (what was written, or that nothing was); not shown with --quiet."""
        if self.level != "quiet":
            self._line(text)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """What the progress runs beside the build (a spinner's thread) stopped for a while."""
        yield

    def finish(self) -> None:
        self._end_stage()
        if self.level == "verbose":
            self._line(f"total: {time.perf_counter() - self.started:.2f} s")
        self.started = time.perf_counter()


class RichProgress(Progress):
    """A spinner on the current stage; finished stages stay as lines (with their time when verbose)."""

    def __init__(self, level: Level = "normal", stream: TextIO | None = None) -> None:
        super().__init__(level, stream)
        from rich.console import Console

        self.console = Console(file=self.stream, highlight=False)
        self.status: Any = None

    def _show(self, stage: str) -> None:
        if self.level == "quiet":
            return
        if self.status is None:
            self.status = self.console.status("")
            self.status.start()
        self.status.update(f"[bold]dossier[/]: {STAGES.get(stage, stage)}…")

    def _end_stage(self) -> None:
        if self.stage is not None and self.level != "quiet":
            elapsed = time.perf_counter() - self.stage_started
            timing = f" [dim]{elapsed:.2f} s[/]" if self.level == "verbose" else ""
            self.console.print(f"[green]✓[/] {STAGES.get(self.stage, self.stage)}{timing}")
        self.stage = None

    def detail(self, text: str) -> None:
        """The spinner's text (the chapter being laid out), and a line when verbose."""
        super().detail(text)
        if self.status is not None and self.stage is not None:
            self.status.update(f"[bold]dossier[/]: {STAGES.get(self.stage, self.stage)}: {_escape(text)}…")

    def _line(self, text: str) -> None:
        self.console.print(f"[bold]dossier[/]: {_escape(text)}")

    def finish(self) -> None:
        super().finish()
        if self.status is not None:
            self.status.stop()
            self.status = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The spinner stopped and its refresh thread ended for a while: the EPUB's process is
        forked only when no other thread runs (`dossier.write.parallel`), since a fork copies
        only the calling thread and another's locks could stay held in the child."""
        if self.status is None:
            yield
            return
        self.status.stop()
        for thread in threading.enumerate():  # rich's stop() only tells its thread to end
            if thread is not threading.current_thread() and type(thread).__module__.startswith("rich"):
                thread.join(timeout=5)
        try:
            yield
        finally:
            self.status.start()


def _escape(text: str) -> str:
    """Text shown as it is, not read as rich's markup (a chapter's title may hold brackets)."""
    from rich.markup import escape

    return escape(text)


def make_progress(level: Level, stream: TextIO | None = None) -> Progress:
    stream = stream or sys.stderr
    if level != "quiet" and stream.isatty():
        return RichProgress(level, stream)
    return Progress(level, stream)
