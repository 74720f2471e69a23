"""The build's small graph: the requested formats, the shared results they need, made once, in order.

Each shared result is made only when a requested format needs it (directly or through another
result), after the results it needs. A format declared `beside` is started first, in a second
process when there is a second core (`dossier.write.parallel`), and handed its results as soon
as they are made: the EPUB renders its documents while the parent lays the book out. A result
may be foreseen before it is made (the page map and the cover, from what a previous build kept:
write/foresight.py): a format beside is then handed the foreseen values at once, and when the
real ones are made they are compared; a format handed values that do not hold is stopped and
started again with the real ones, so that foresight changes when it is made, never what. The
other formats are written once every result is made. With a format beside and a second core,
the results and the other formats are made in a process of their own (`Beside.apart`), which
ends before the build waits for the formats beside: the layouts' memory, which Python's
allocator would keep in the build's process, goes with it; what it says is relayed to the
build's progress. Each format's own check runs where it was written, before the build renames
anything into place. A format beside may also wait, before its heaviest check (DAISY Ace),
until the other formats are written and the layouts are gone, when running it beside them would
pass the build's memory budget (write/memory.py): each is handed a second `Handoff`, its "room".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from dossier.errors import Report
from dossier.formats import formats
from dossier.formats.builder import Format, Job
from dossier.formats.results import RESULTS

Progress = Callable[[str], None]


def needed(chosen: Iterable[Format]) -> list[str]:
    """The shared results the formats need, each after the ones it needs (depth first, in the
    order the formats and results name them)."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for need in RESULTS[name].needs:
            visit(need)
        order.append(name)

    for declared in chosen:
        for name in declared.needs:
            visit(name)
    return order


def make(job: Job, targets: dict[str, Path], progress: Progress = lambda _: None, check: bool = True) -> Report:
    """Every format of `targets` written to its path and, with `check`, checked there (each
    format's `check`: its errors raised, its warnings returned)."""
    chosen = [formats()[name] for name in targets]
    warnings = Report()
    beside = Beside(job, targets, check, progress)
    for declared in chosen:
        if declared.beside:
            beside.start(declared)
    try:
        if beside.started and needed(chosen):
            warnings.extend(beside.apart(lambda job, stage: _front(job, chosen, targets, check, beside, stage)))
        else:
            warnings.extend(_front(job, chosen, targets, check, beside, progress))
        beside.make_room()
    except BaseException:
        beside.cancel()
        raise
    for declared, _, _, background in beside.started:
        progress(declared.name)
        warnings.extend(background.wait())
    return warnings


def _front(
    job: Job, chosen: list[Format], targets: dict[str, Path], check: bool, beside: Beside, progress: Progress
) -> Report:
    """The shared results, each handed over to the formats beside as soon as it is made, and the
    formats not made beside, written and checked: their warnings."""
    warnings = Report()
    done: dict[str, Any] = {}
    made = replace(job, foresee=lambda values: beside.hand_over(values, foreseen=True)) if beside.started else job
    beside.hand_over(done)
    for name in needed(chosen):
        result = RESULTS[name]
        if result.stage:
            progress(result.stage)
        done[name] = result.make(made, done)
        beside.hand_over(done)
        beside.check_foreseen(done)
    for declared in chosen:
        if not declared.beside:
            progress(declared.name)
            warnings.extend(declared.write(job, targets[declared.name], done) or Report())
            warnings.extend(_checked(declared, job, targets[declared.name], check))
    return warnings


Started = tuple[Format, Any, Any, Any]  # a format made beside, its handoff, its room, its background job


class Beside:
    """The formats made beside: started, handed their results (real or foreseen), checked against
    the real ones, given room for their heaviest check. Their results may be made `apart`, in a
    process of its own, and handed over from there."""

    def __init__(self, job: Job, targets: dict[str, Path], check: bool, progress: Progress) -> None:
        self.job, self.targets, self.check, self.progress = job, targets, check, progress
        self.tell: Progress = job.tell or (lambda _: None)
        # the progress's own threads stopped (a spinner's) for a while, so that the process may fork
        self.paused: Callable[[], Any] = getattr(progress, "paused", nullcontext)
        self.started: list[Started] = []
        self.sent: dict[str, dict[str, Any] | None] = {}  # format → the foreseen values it was handed (None: real ones)
        self.roomy: bool | None = None  # whether their checks fit beside the layouts (decided at the first hand-over)
        self.opened: set[str] = set()  # the formats told they have room
        self.restarts: dict[str, dict[str, Any]] = {}  # apart: the formats to start again, with the real values
        self.in_front: bool = False  # this is the process the results are made in apart
        self.front: Any = None  # that process, seen from the build's

    def start(self, declared: Format, at: int | None = None) -> Started:
        from dossier.write.parallel import Background, Handoff, parallel_allowed

        jobs = self.job.options.jobs
        with self.paused():
            parallel = parallel_allowed(jobs)
            handoff, room = Handoff(parallel), Handoff(parallel)  # pipes only for a child
            job = replace(self.job, room=room.get)
            run = _beside(declared, job, self.targets[declared.name], handoff, self.check)
            started = (declared, handoff, room, Background(run, (handoff, room), jobs))
        if at is None:
            self.started.append(started)
        else:
            self.started[at] = started
        self.opened.discard(declared.name)
        if self.roomy:
            self._open(declared, room, None)
        return started

    def apart(self, front: Callable[[Job, Progress], Report]) -> Report:
        """`front(job, stage)` (the shared results and the formats not made beside) run in
        a process of its own, which ends before the formats beside are waited for: the layouts'
        memory, which Python's allocator keeps, goes with it (write/memory.py). What it says is
        relayed to this process's progress; formats whose foreseen values did not hold are
        started again here. In this process if it cannot fork."""
        from dossier.write.parallel import Background, Events

        progress = self.progress
        events = Events()
        report = self.job.report
        known = len(report.diagnostics) if report is not None else 0

        def run() -> tuple[Report, list[Any], dict[str, dict[str, Any]], bool | None, set[str]]:
            self.in_front = True
            self.tell = tell = partial(events.tell, "tell")
            job = replace(self.job, tell=tell)
            try:
                warnings = front(job, partial(events.tell, "stage"))
            except BaseException as exc:  # what the layout had reported goes with its error
                exc.dossier_added = report.diagnostics[known:] if report is not None else []
                raise
            added = report.diagnostics[known:] if report is not None else []
            return warnings, added, self.restarts, self.roomy, self.opened

        if any(background.process is None for *_, background in self.started):
            events.close()  # a format beside made in this process: its values are handed here
            return front(self.job, progress)
        with self.paused():
            self.front = Background(run, (), self.job.options.jobs, events, daemon=False, name="layout process")
        if self.front.process is None:
            events.close()
            self.front = None
            return front(self.job, progress)
        hear = {"tell": self.tell, "stage": progress}
        try:
            warnings, added, restarts, self.roomy, self.opened = self.front.wait(lambda kind, text: hear[kind](text))
        except BaseException as exc:
            if report is not None:
                report.diagnostics.extend(getattr(exc, "dossier_added", []))
            raise
        if report is not None:
            report.diagnostics.extend(added)
        for index, (declared, _, _, background) in enumerate(self.started):
            if declared.name in restarts:
                background.cancel()
                self.start(declared, at=index)[1].put(restarts[declared.name])
        return warnings

    def hand_over(self, values: Mapping[str, Any], foreseen: bool = False) -> None:
        """Each format made beside gets its results as soon as all of them are in `values`, once:
        the real ones, or foreseen ones (kept in `sent`, for `check_foreseen`)."""
        for declared, handoff, room, _ in self.started:
            if declared.name not in self.sent and all(name in values for name in declared.needs):
                chosen = {name: values[name] for name in declared.needs}
                handoff.put(chosen)
                self.sent[declared.name] = chosen if foreseen else None
                if foreseen:
                    self.tell(f"{declared.name}: made beside the layout, from the page map and cover it foresees")
                self._decide_room(declared, room)

    def _decide_room(self, declared: Format, room: Any) -> None:
        from dossier.write.memory import budget_mb, checks_fit, resident_mb

        if self.roomy is None:
            size = resident_mb()
            self.roomy = checks_fit(size)
            if not self.roomy:
                self.tell(f"{declared.name}: its accessibility check waits for the PDF (the build is at "
                          f"{size:.0f} MB, the budget {budget_mb()} MB)")
        if self.roomy:
            self._open(declared, room, None)

    def _open(self, declared: Format, room: Any, measured: Any) -> None:
        room.put(measured)
        self.opened.add(declared.name)

    def check_foreseen(self, done: dict[str, Any]) -> None:
        """Each format handed foreseen values, once the real ones are made: kept going if they are the
        same, else stopped and started again with the real ones (by the build's process, when
        this one makes the results apart)."""
        for index, (declared, _, _, background) in enumerate(self.started):
            foreseen = self.sent.get(declared.name)
            if foreseen is None or not all(name in done for name in declared.needs):
                continue
            real = {name: done[name] for name in declared.needs}
            self.sent[declared.name] = None
            if all(_same(foreseen[name], real[name]) for name in declared.needs):
                self.tell(f"{declared.name}: the foreseen page map and cover hold")
                continue
            self.tell(f"{declared.name}: the foreseen page map or cover does not hold; made again from the layout's")
            if self.in_front:
                self.restarts[declared.name] = real
                continue
            background.cancel()
            self.start(declared, at=index)[1].put(real)

    def make_room(self) -> None:
        """The layouts dropped: what they held given back, and the formats that waited let go on,
        told this process's size (and which it is), for their checks to keep within the budget."""
        from dossier.write.memory import give_back, resident_mb

        waiting = [(d, room) for d, _, room, _ in self.started if d.name not in self.opened]
        if waiting:
            if self.front is None:  # the layouts were made here
                give_back()
            measured = (os.getpid(), resident_mb())
            for declared, room in waiting:
                self._open(declared, room, measured)

    def cancel(self) -> None:
        if self.front is not None:
            self.front.cancel()
        for _, _, _, background in self.started:
            background.cancel()


def _same(foreseen: Any, real: Any) -> bool:
    return type(foreseen) is type(real) and foreseen == real


def _beside(declared: Format, job: Job, target: Path, handoff: Any, check: bool) -> Callable[[], Report]:
    def run() -> Report:
        found = declared.write(job, target, _Received(handoff)) or Report()  # its own checks' warnings
        found.extend(_checked(declared, job, target, check))
        return found

    return run


def _checked(declared: Format, job: Job, target: Path, check: bool) -> Report:
    return declared.check(job, target) if check and declared.check else Report()


class _Received(Mapping[str, Any]):
    """The results a format made beside receives: asked for at its first use (in a second process,
    it waits there for the parent to make them)."""

    def __init__(self, handoff: Any) -> None:
        self.handoff = handoff
        self.values: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self.values is None:
            self.values = self.handoff.get()
        return self.values

    def __getitem__(self, name: str) -> Any:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
