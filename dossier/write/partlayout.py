"""Each part of the print book laid out: with the page guard's decisions a previous build kept
(write/layoutcache.py), else by the guard, the chapters' guards in worker processes when more
than one job is allowed.

A worker is spawned, not forked (WeasyPrint's Pango and fontconfig may hold threads and locks a
fork would copy half-way), sets up an engine of its own from the build's rendered documents,
and returns for each chapter only what the guard decided and the files its layout read: small
and picklable, where WeasyPrint's pages are neither. The build's process lays each chapter out
once with those decisions (the same pages as the guard's last layout: the same input), while the
workers guard the next ones; an unchanged chapter's decisions come from the cache, and it is
laid out once, in the build's process, while the workers guard the chapters that changed. A
worker that fails (a resource refused, a crash) leaves its chapter to the build's process,
which lays it out as if alone and reports what it finds. Workers ignore Ctrl-C (the build's
process stops them) and die with the build (write/parallel.py's `_die_with_parent`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dossier.write.layoutcache import Decisions, LayoutCache, part_key
from dossier.write.parts import LaidOut, Part

logger = logging.getLogger(__name__)

Tell = Callable[[str], None]  # what is being laid out, for the progress
_ENGINE: Any = None  # a worker's engine (write/pdf.py's `Engine`), made once when it starts


@dataclass
class _Entry:
    """A part to lay out: its title (for the progress), its HTML, its key in the cache and the
    decisions the cache has for it."""

    title: str
    source: str
    key: str | None
    decisions: Decisions | None


class Layouts:
    """The parts of one print layout laid out with `engine` (write/pdf.py), the guard's
    decisions kept in `cache` (a folder, or None), the chapters guarded by up to `jobs`
    processes; `tell` hears which part is being laid out."""

    def __init__(self, engine: Any, cache: Path | None, jobs: int | None, tell: Tell | None = None) -> None:
        from dossier.write.parallel import jobs_allowed

        self.engine = engine
        self.cache = LayoutCache(cache, engine.fetcher.path_of) if cache is not None else None
        self.jobs = jobs_allowed(jobs)
        self.tell = tell or (lambda _: None)
        self.parts = 0  # parts laid out (a front matter laid out again counts again)
        self.guarded = 0  # of which the guard laid out (here or in a worker): not from the cache

    def one(self, part: Part) -> LaidOut:
        """A part laid out in this process, from the cache's decisions if it has them."""
        return self._finish(self._look_up(part))

    def chapters(self, parts: list[Part]) -> list[LaidOut]:
        """The chapters laid out. With more than one job, the chapters the cache does not have
        are queued, the longest first, for `jobs - 1` workers; this process lays out those it
        has, then takes the queue's chapters from its other end (the shortest) and guards them
        itself, and lays each chapter a worker guarded out with the worker's decisions."""
        found = [self._look_up(part) for part in parts]
        misses = [index for index, entry in enumerate(found) if entry.decisions is None]
        workers = min(self.jobs - 1, len(misses)) if len(parts) > 1 and _can_spawn() else 0
        if workers <= 0:
            return [self._finish(entry) for entry in found]
        laid: dict[int, LaidOut] = {}
        queue = sorted(misses, key=lambda i: -len(found[i].source))
        pool = self._pool(workers)
        try:
            futures = {index: pool.submit(_guard_in_worker, found[index].source) for index in queue}
            for index, entry in enumerate(found):
                if index not in futures:
                    laid[index] = self._finish(entry)
            for index in reversed(queue):  # taken back from the queue's end while no worker has it
                if futures[index].cancel():
                    laid[index] = self._finish(found[index])
            waiting = {futures[index]: index for index in queue if index not in laid}
            for future in as_completed(waiting):
                laid[waiting[future]] = self._from_worker(future, found[waiting[future]])
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True)
        return [laid[index] for index in range(len(parts))]

    def close(self) -> None:
        """The cache pruned, and what it spared said."""
        if self.cache is None:
            return
        self.cache.prune()
        self.tell(f"{self.parts - self.guarded} of {self.parts} parts laid out with the page guard's kept decisions")

    def _look_up(self, part: Part) -> _Entry:
        from dossier.write.pdf import _html

        source = _html(part.tree)
        title = _title(part)
        if self.cache is None:
            return _Entry(title, source, None, None)
        key = part_key(self.engine.base, source)
        return _Entry(title, source, key, self.cache.get(key))

    def _finish(self, entry: _Entry) -> LaidOut:
        """A part laid out here: with its kept decisions, else by the guard."""
        if entry.decisions is not None:
            self._say(entry, "with the decisions kept")
            laid = self._replay(entry.source, entry.decisions)
            if laid is not None:
                return laid
        self._say(entry, "page guard")
        return self._guard_here(entry)

    def _say(self, entry: _Entry, how: str) -> None:
        self.parts += 1
        self.tell(f"{entry.title} ({how})")

    def _replay(self, source: str, decisions: Decisions) -> LaidOut | None:
        laid = self.engine.replay(source, decisions)
        if laid is None:
            self.parts -= 1
            logger.info("layout: the decisions kept for a part no longer hold: laid out again")
        return laid

    def _guard_here(self, entry: _Entry) -> LaidOut:
        before, self.engine.fetcher.read = self.engine.fetcher.read, {}
        try:
            laid = self.engine.lay_out(entry.source)
            reads = self.engine.fetcher.read
        finally:
            self.engine.fetcher.read = {**before, **self.engine.fetcher.read}
        self.guarded += 1
        self._keep(entry.key, laid.decisions, reads)
        return laid

    def _from_worker(self, future: Future[Any], entry: _Entry) -> LaidOut:
        try:
            decisions, reads = future.result()
        except Exception as exc:  # laid out here, where an error is reported as the build reports it
            logger.info("layout: a worker failed (%s): the chapter laid out in the build's process", exc)
            return self._finish(replace(entry, decisions=None))
        self._say(entry, "guarded in a worker")
        laid = self._replay(entry.source, decisions)
        if laid is None:
            return self._finish(replace(entry, decisions=None))
        self.guarded += 1
        self._keep(entry.key, decisions, reads)
        return laid

    def _keep(self, key: str | None, decisions: Decisions, reads: dict[str, str]) -> None:
        if self.cache is not None and key is not None:
            self.cache.put(key, decisions, reads)

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        import multiprocessing

        engine = self.engine
        arguments = (engine.rendered, engine.config, engine.print_ready, os.getpid())
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=arguments)


def _title(part: Part) -> str:
    """A part's first heading, for the progress (its name if it has none)."""
    import re

    for element in part.tree.iter():
        if element.tag in ("h1", "h2"):
            text = re.sub(r"\s+", " ", "".join(element.itertext())).strip()
            if text:
                return text if len(text) <= 60 else text[:59] + "…"
    return part.name


def _can_spawn() -> bool:
    """Whether a spawned worker can import this process's main module: an interactive or
    `python -c` session has none to import, and a worker would fail to start."""
    import sys

    main = sys.modules.get("__main__")
    return main is None or getattr(main, "__spec__", None) is not None or bool(getattr(main, "__file__", None))


def _start_worker(rendered: Any, config: Any, print_ready: bool, parent: int) -> None:
    """A worker's start: it dies with the build, leaves Ctrl-C to it, says nothing of the
    stylesheets (the build's process lays every chapter out again and reports), and makes its engine."""
    from dossier.write.parallel import _die_with_parent
    from dossier.write.pdf import Engine

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("weasyprint").setLevel(logging.CRITICAL + 1)
    global _ENGINE
    _ENGINE = Engine(rendered, config, print_ready)


def _guard_in_worker(source: str) -> tuple[Decisions, dict[str, str]]:
    """A chapter's page guard in a worker: its decisions, and the files its layout read."""
    _ENGINE.fetcher.read = {}
    laid = _ENGINE.lay_out(source)
    return laid.decisions, dict(_ENGINE.fetcher.read)


def _stop(pool: ProcessPoolExecutor) -> None:
    """The workers stopped at once (an interrupted or failed build), not waited for."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
