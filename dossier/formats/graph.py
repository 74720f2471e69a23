"""The build's small graph: the requested formats, the shared results they need, made once, in order.

Each shared result is made only when a requested format needs it (directly or through another
result), after the results it needs. A format declared `beside` is started first, in a second
process when there is a second core (`dossier.write.parallel`), and handed its results as soon
as they are made: the EPUB renders its documents while the parent lays the book out. A result
may be foreseen before it is made (the page map and the cover, from what a previous build kept:
write/foresight.py): a format beside is then handed the foreseen values at once, and when the
real ones are made they are compared; a format handed values that do not hold is stopped and
started again with the real ones, so that foresight changes when it is made, never what. The
other formats are written in this process once every result is made. Each format's own check
runs where it was written, before the build renames anything into place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
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
    beside: list[Started] = []
    for declared in chosen:
        if declared.beside:
            beside.append(_start(declared, job, targets[declared.name], check))
    done: dict[str, Any] = {}
    sent: dict[str, dict[str, Any] | None] = {}  # format → the foreseen values it was handed (None: real ones)
    tell = job.tell or (lambda _: None)
    made = replace(job, foresee=lambda values: _hand_over(beside, values, sent, tell)) if beside else job
    try:
        _hand_over(beside, done, sent)
        for name in needed(chosen):
            result = RESULTS[name]
            if result.stage:
                progress(result.stage)
            done[name] = result.make(made, done)
            _hand_over(beside, done, sent)
            _check_foreseen(beside, done, sent, lambda d: _start(d, job, targets[d.name], check), tell)
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


Started = tuple[Format, Any, Any]  # a format made beside, its handoff, its background job


def _start(declared: Format, job: Job, target: Path, check: bool) -> Started:
    from dossier.write.parallel import Background, Handoff, parallel_allowed

    jobs = job.options.jobs
    handoff = Handoff(parallel_allowed(jobs))  # a pipe only when a child reads it
    return declared, handoff, Background(_beside(declared, job, target, handoff, check), handoff, jobs)


def _check_foreseen(
    beside: list[Started],
    done: dict[str, Any],
    sent: dict[str, Any],
    start: Callable[[Format], Started],
    tell: Progress,
) -> None:
    """Each format handed foreseen values, once the real ones are made: kept going if they are the
    same, else stopped and started again (`start`) with the real ones."""
    for index, (declared, _, background) in enumerate(beside):
        foreseen = sent.get(declared.name)
        if foreseen is None or not all(name in done for name in declared.needs):
            continue
        real = {name: done[name] for name in declared.needs}
        sent[declared.name] = None
        if all(_same(foreseen[name], real[name]) for name in declared.needs):
            tell(f"{declared.name}: the foreseen page map and cover hold")
            continue
        tell(f"{declared.name}: the foreseen page map or cover does not hold; made again from the layout's")
        background.cancel()
        beside[index] = restarted = start(declared)
        restarted[1].put(real)


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


def _hand_over(
    beside: list[Started], values: Mapping[str, Any], sent: dict[str, Any], tell: Progress | None = None
) -> None:
    """Each format made beside gets its results as soon as all of them are in `values`, once:
    the real ones, or foreseen ones when `tell` is given (kept in `sent`, for `_check_foreseen`)."""
    for declared, handoff, _ in beside:
        if declared.name not in sent and all(name in values for name in declared.needs):
            chosen = {name: values[name] for name in declared.needs}
            handoff.put(chosen)
            sent[declared.name] = chosen if tell is not None else None
            if tell is not None:
                tell(f"{declared.name}: made beside the layout, from the page map and cover it foresees")


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
