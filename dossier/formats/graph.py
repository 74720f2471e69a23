"""The build's small graph: the requested formats, the shared results they need, made once, in order.

Each shared result is made only when a requested format needs it (directly or through another
result), after the results it needs. A format declared `beside` is started first, in a second
process when there is a second core (`dossier.write.parallel`), and handed its results as soon
as they are made: the EPUB renders its documents while the parent lays the book out. The other
formats are written in this process once every result is made. Each format's own check runs
where it was written, before the build renames anything into place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
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
    from dossier.write.parallel import Background, Handoff, parallel_allowed

    chosen = [formats()[name] for name in targets]
    warnings = Report()
    beside: list[tuple[Format, Handoff, Background]] = []
    for declared in chosen:
        if declared.beside:
            jobs = job.options.jobs
            handoff = Handoff(parallel_allowed(jobs))  # a pipe only when a child reads it
            job_beside = _beside(declared, job, targets[declared.name], handoff, check)
            beside.append((declared, handoff, Background(job_beside, handoff, jobs)))
    done: dict[str, Any] = {}
    sent: set[str] = set()
    try:
        _hand_over(beside, done, sent)
        for name in needed(chosen):
            result = RESULTS[name]
            if result.stage:
                progress(result.stage)
            done[name] = result.make(job, done)
            _hand_over(beside, done, sent)
        for declared in chosen:
            if not declared.beside:
                progress(declared.name)
                warnings.extend(declared.write(job, targets[declared.name], done) or Report())
                warnings.extend(_checked(declared, job, targets[declared.name], check))
    except BaseException:
        for _, _, background in beside:
            background.cancel()
        raise
    for declared, _, background in beside:
        progress(declared.name)
        warnings.extend(background.wait())
    return warnings


def _beside(declared: Format, job: Job, target: Path, handoff: Any, check: bool) -> Callable[[], Report]:
    def run() -> Report:
        found = declared.write(job, target, _Received(handoff)) or Report()  # its own checks' warnings
        found.extend(_checked(declared, job, target, check))
        return found

    return run


def _checked(declared: Format, job: Job, target: Path, check: bool) -> Report:
    return declared.check(job, target) if check and declared.check else Report()


def _hand_over(beside: list[tuple[Format, Any, Any]], done: dict[str, Any], sent: set[str]) -> None:
    """Each format made beside gets its results as soon as all of them are made."""
    for declared, handoff, _ in beside:
        if declared.name not in sent and all(name in done for name in declared.needs):
            handoff.put({name: done[name] for name in declared.needs})
            sent.add(declared.name)


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
