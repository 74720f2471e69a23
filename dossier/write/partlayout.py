"""Each part of the print book laid out: with the page guard's decisions a previous build kept
(write/layoutcache.py), else by the guard, the chapters' guards in worker processes when more
than one job is allowed.

A worker is spawned, not forked (WeasyPrint's Pango and fontconfig may hold threads and locks a
fork would copy half-way), sets up an engine of its own from the build's stylesheets, and
returns for each chapter only what the guard decided and the files its layout read: small and
picklable, where WeasyPrint's pages are neither. The build's process lays each chapter out once
with those decisions (the same pages as the guard's last layout: the same input), while the
workers guard the next ones; an unchanged chapter's decisions come from the cache, and it is
laid out once, in the build's process, while the workers guard the chapters that changed. A
worker whose stylesheets and fonts are not the build's (a file saved while it started), or
that fails (a resource refused, a crash), leaves its chapter to the build's process, which lays
it out as if alone and reports what it finds. Workers are born with Ctrl-C ignored (the build's
process stops them) and stderr on /dev/null (what they would say, the build's process says when
it lays the chapter out), and die with the build (write/parallel.py's `_die_with_parent`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dossier.write.layoutcache import KEEP, Decisions, LayoutCache, PartPages, part_key
from dossier.write.parts import LaidOut, Part

Tell = Callable[[str], None]  # what is being laid out, for the progress
# Called once, while the layout runs, with every chapter's pages as soon as each is known (from the
# cache's entries, or laid out): write/foresight.py foresees the book's page map from them
Foresee = Callable[[Part | None, list[PartPages]], None]
_ENGINE: Any = None  # a worker's engine (write/pdf.py's `Engine`), made once when it starts
_UNFIT: str = ""  # why a worker's engine cannot guard the build's chapters ("" when it can)
# A replayed layout that meets an entry which does not fit the part (written by another
# parser, say) counts as a miss, not as a failed build.
REPLAY_ERRORS = (IndexError, KeyError, ValueError, TypeError, AttributeError)
# A worker costs about 3 s of CPU to start (Python, WeasyPrint, the fonts and stylesheets): it is
# started only when the chapters to guard hold at least this much HTML (DOSSIER_PARALLEL_BYTES
# sets it; 0: always), about a tenth of the bundled dossier, whose guard takes some 0.1 s a KB.
PARALLEL_BYTES = 60_000


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
        self.foresee: Foresee | None = None  # set by the caller (write/pdf.py) when a cache is used
        self.known: dict[str, PartPages] = {}  # key → the pages of a part laid out (or kept) in this build
        self.cache = LayoutCache(cache, engine.fetcher.path_of) if cache is not None else None
        self.jobs = jobs_allowed(jobs)
        self.tell = tell or (lambda _: None)
        self.front: Part | None = None  # the book's front matter, laid out after the chapters
        self.last_key: str | None = None  # of the last part laid out by `one` (the front matter's, settled)
        self.parts = 0  # parts laid out (a front matter laid out again counts again)
        self.guarded = 0  # of which the guard laid out (here or in a worker): not from the cache

    def one(self, part: Part) -> LaidOut:
        """A part laid out in this process, from the cache's decisions if it has them."""
        entry = self._look_up(part)
        self.last_key = entry.key
        return self._finish(entry)

    def chapters(self, parts: list[Part], front: Part | None = None) -> list[LaidOut]:
        """The chapters laid out. With more than one job, the chapters the cache does not have
        are queued, the longest first, and each of `jobs - 1` workers is given the next one
        when it is free; this process lays out the chapters the cache has, takes chapters from
        the queue's other end (the shortest) and guards them itself, and lays each chapter a
        worker guarded out with the worker's decisions. `front`: the front matter to come, for
        `foresee`."""
        self.front = front
        found = [self._look_up(part) for part in parts]
        misses = [index for index, entry in enumerate(found) if entry.decisions is None]
        work = sum(len(found[index].source) for index in misses)
        workers = min(self.jobs - 1, len(misses)) if len(parts) > 1 and work >= _parallel_bytes() else 0
        workers = workers if workers > 0 and _can_spawn() else 0
        laid: dict[int, LaidOut] = {}
        if workers <= 0:  # the chapters to guard first, so that the book's pages are known sooner
            for index in [*misses, *(i for i in range(len(parts)) if i not in misses)]:
                laid[index] = self._finish(found[index])
                self._foresee(found)
            return [laid[index] for index in range(len(parts))]
        queue = deque(sorted(misses, key=lambda i: -len(found[i].source)))
        here = deque(index for index in range(len(parts)) if index not in misses)
        pool = self._pool(workers)
        running: dict[Future[Any], int] = {}
        try:
            while queue or here or running:
                for future in [f for f in running if f.done()]:
                    index = running.pop(future)
                    laid[index] = self._from_worker(future, found[index])
                    self._foresee(found)
                while queue and len(running) < workers and pool is not None:
                    pool = self._submit(pool, running, queue, found)
                if queue:  # while the workers are busy: a chapter of the queue's other end, here
                    index = queue.pop()
                    laid[index] = self._finish(found[index])
                    self._foresee(found)
                elif here:
                    index = here.popleft()
                    laid[index] = self._finish(found[index])
                    self._foresee(found)
                elif running:
                    wait(running, return_when=FIRST_COMPLETED)
        except BaseException:
            if pool is not None:
                _stop(pool)
            raise
        if pool is not None:
            pool.shutdown(wait=True)
        return [laid[index] for index in range(len(parts))]

    def pages_of(self, part: Part) -> PartPages | None:
        """The pages a part's layout would give, if this build knows them without laying it out:
        kept with its decisions, or laid out already (write/foresight.py)."""
        key = self.key_of(part)
        if self.cache is None or key is None:
            return None
        return self.known.get(key) or self.cache.pages_of(key)

    def key_of(self, part: Part) -> str | None:
        """A part's key in the cache (None without one), its entry left unread."""
        return self._keyed(part)[1]

    def _foresee(self, found: list[_Entry]) -> None:
        """Every chapter's pages, to `foresee`, once, as soon as all are known."""
        if self.foresee is None:
            return
        pages = [self.known.get(entry.key) if entry.key is not None else None for entry in found]
        if all(p is not None for p in pages):
            foresee, self.foresee = self.foresee, None
            foresee(self.front, pages)

    def close(self) -> None:
        """The cache pruned, and what it spared said."""
        if self.cache is None:
            return
        self.cache.prune(max(KEEP, 4 * self.parts))
        self.tell(f"{self.parts - self.guarded} of {self.parts} parts laid out with the page guard's kept decisions")

    def _look_up(self, part: Part) -> _Entry:
        source, key = self._keyed(part)
        decisions = self.cache.get(key) if self.cache is not None and key is not None else None
        return _Entry(_title(part), source, key, decisions)

    def _keyed(self, part: Part) -> tuple[str, str | None]:
        """A part's HTML and its key in the cache (None without one)."""
        from dossier.write.pdf import _html

        source = _html(part.tree)
        return source, part_key(self.engine.base, source) if self.cache is not None else None

    def _finish(self, entry: _Entry) -> LaidOut:
        """A part laid out here: with its kept decisions, else by the guard."""
        if entry.decisions is not None:
            laid = self._replay(entry, entry.decisions, "with the decisions kept")
            if laid is not None:
                kept = self.cache.pages.get(entry.key) if self.cache is not None and entry.key else None
                if kept is not None:  # kept with the decisions (an entry without them foresees nothing)
                    self.known[entry.key] = kept
                return laid
        self._say(entry, "page guard")
        return self._guard_here(entry)

    def _say(self, entry: _Entry, how: str) -> None:
        self.parts += 1
        self.tell(f"{entry.title} ({how})")

    def _replay(self, entry: _Entry, decisions: Decisions, how: str) -> LaidOut | None:
        self._say(entry, how)
        try:
            laid = self.engine.replay(entry.source, decisions)
        except REPLAY_ERRORS:
            laid = None
        if laid is None:
            self.parts -= 1
            self.tell(f"{entry.title}: the decisions do not hold for it any more; laid out afresh")
        return laid

    def _guard_here(self, entry: _Entry) -> LaidOut:
        before, self.engine.fetcher.read = self.engine.fetcher.read, {}
        try:
            laid = self.engine.lay_out(entry.source)
            reads = self.engine.fetcher.read
        finally:
            self.engine.fetcher.read = {**before, **self.engine.fetcher.read}
        self.guarded += 1
        self._keep(entry.key, laid.decisions, reads, laid)
        return laid

    def _from_worker(self, future: Future[Any], entry: _Entry) -> LaidOut:
        try:
            decisions, reads = future.result()
        except Exception as exc:  # laid out here, where an error is reported as the build reports it
            self.tell(f"{entry.title}: not guarded in a worker ({type(exc).__name__}); laid out here")
            return self._finish(replace(entry, decisions=None))
        laid = self._replay(entry, decisions, "guarded in a worker")
        if laid is None:
            return self._finish(replace(entry, decisions=None))
        self.guarded += 1
        self._keep(entry.key, decisions, reads, laid)
        return laid

    def _keep(self, key: str | None, decisions: Decisions, reads: dict[str, str], laid: LaidOut) -> None:
        if self.cache is not None and key is not None:
            pages = self._pages(laid)
            self.known[key] = pages
            self.cache.put(key, decisions, reads, pages)

    def _pages(self, laid: LaidOut) -> PartPages:
        from dossier.write.pages import block_lengths, raw_starts
        from dossier.write.parts import anchors

        lengths = block_lengths(self.engine.rendered.print_html)
        return PartPages(tuple(raw_starts(laid.document.pages, lengths)), anchors(laid.document))

    def _pool(self, workers: int) -> ProcessPoolExecutor | None:
        """The workers' pool, given what they need to lay chapters out as this process does: the
        rendered documents without what the print layout does not read, the languages, the
        stylesheets' digests (`base`) their engine must have."""
        import multiprocessing

        engine = self.engine
        rendered = replace(engine.rendered, print_html="", epub_documents=[], epub_files=[], cover_html="")
        arguments = (rendered, engine.config, engine.print_ready, engine.languages, engine.base, os.getpid())
        try:
            pickle.dumps(arguments)
        except Exception:  # a configuration that cannot cross: the chapters laid out here
            return None
        context = multiprocessing.get_context("spawn")
        with _quiet_birth():  # its queues start the resource tracker
            return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=arguments)

    def _submit(
        self, pool: ProcessPoolExecutor, running: dict[Future[Any], int], queue: deque[int], found: list[_Entry]
    ) -> ProcessPoolExecutor | None:
        """The queue's next chapter given to a worker (spawned in this call if none is free);
        None if the pool cannot take it (its workers died): the rest is laid out here."""
        index = queue.popleft()
        try:
            with _quiet_birth():
                running[pool.submit(_guard_in_worker, found[index].source)] = index
        except (BrokenProcessPool, RuntimeError, OSError):
            queue.appendleft(index)
            _stop(pool)
            return None
        return pool


@contextlib.contextmanager
def _quiet_birth() -> Iterator[None]:
    """While workers are spawned (in `submit`, from this thread): stderr on /dev/null, which
    they inherit from birth, as does the resource tracker that multiprocessing starts for their
    queues (else a killed build's tracker warns of leaked semaphores on the user's terminal).
    Ctrl-C is not ignored here: the build must hear it; a worker interrupted while it starts
    says so to /dev/null, and the build stops the others."""
    from multiprocessing import resource_tracker

    null, saved = os.open(os.devnull, os.O_WRONLY), os.dup(2)
    try:
        os.dup2(null, 2)
        resource_tracker.ensure_running()
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _title(part: Part) -> str:
    """A part's first heading, for the progress (its name if it has none)."""
    import re

    for element in part.tree.iter():
        if element.tag in ("h1", "h2"):
            text = re.sub(r"\s+", " ", "".join(element.itertext())).strip()
            if text:
                return text if len(text) <= 60 else text[:59] + "…"
    return part.name


def _parallel_bytes() -> int:
    value = os.environ.get("DOSSIER_PARALLEL_BYTES", "").strip()
    return int(value) if value.isdigit() else PARALLEL_BYTES


def _can_spawn() -> bool:
    """Whether workers may be spawned: only under dossier's own command line. A spawned worker
    imports the main module of the process that spawns it; any other program's (a user's script
    that builds without a `__main__` guard, a test runner) could run again in every worker, and
    write what that program writes."""
    import sys

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        return spec.name == "dossier.__main__"
    return Path(getattr(main, "__file__", "") or "").name == "dossier"  # the console script


def _start_worker(
    rendered: Any, config: Any, print_ready: bool, languages: set[str], base: dict[str, Any], parent: int
) -> None:
    """A worker's start: it dies with the build and makes its engine, which must read the
    stylesheets and fonts the build's did (`base`); what goes wrong is said by its tasks."""
    from dossier.write.parallel import _die_with_parent

    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build's process stops its workers
    global _ENGINE, _UNFIT
    try:
        from dossier.write.pdf import Engine

        _ENGINE = Engine(rendered, config, print_ready, languages)
        if _ENGINE.base != base:
            _UNFIT = "the layout's files changed while the worker started"
    except BaseException as exc:  # the build's process lays the chapters out, and reports
        _UNFIT = f"{type(exc).__name__}: {exc}"


def _guard_in_worker(source: str) -> tuple[Decisions, dict[str, str]]:
    """A chapter's page guard in a worker: its decisions, and the files its layout read."""
    if _UNFIT:
        raise RuntimeError(_UNFIT)
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
