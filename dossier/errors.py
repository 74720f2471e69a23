"""Diagnostics as data: every stage reports problems as located messages, the CLI prints them.

A `Diagnostic` carries a stable code, a severity and a location. Stages collect them in a
`Report`; a stage that cannot go on raises `DossierError` with what it collected, and the CLI
prints each one as `path:line:col: error[code]: message` (the form rustc and ruff use, which editors link).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def shown(path: Path) -> str:
    """A path as the user sees it: relative to the current folder when it is inside."""
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file; line and column are 1-based, None where they do not apply."""

    path: Path
    line: int | None = None
    col: int | None = None

    def file(self, base: Path | None = None) -> str:
        """The path, relative to `base` when it is inside."""
        path = self.path
        if base is not None:
            with contextlib.suppress(ValueError):  # outside `base`: shown as it is
                path = path.relative_to(base)
        return str(path)

    def display(self, base: Path | None = None) -> str:
        text = self.file(base)
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        return text


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    location: Location
    message: str

    def format(self, base: Path | None = None) -> str:
        return f"{self.location.display(base)}: {self.severity.value}[{self.code}]: {self.message}"

    def as_json(self, base: Path | None = None) -> dict[str, str | int | None]:
        """The fields editors' tools read (`--diagnostics json`); line and column null where they do not apply."""
        location = self.location
        return {
            "code": self.code,
            "level": self.severity.value,
            "file": location.file(base),
            "line": location.line,
            "column": location.col if location.line is not None else None,
            "message": self.message,
        }


@dataclass
class Report:
    """Collects diagnostics across stages so that one run shows every problem at once.

    `strict` (`--strict`): a warning is reported as an error, so the command fails at the stage
    that found it. `ignored`: the warning codes dossier.toml silences (`[diagnostics] ignore`).
    """

    diagnostics: list[Diagnostic] = field(default_factory=list)
    strict: bool = False
    ignored: frozenset[str] = frozenset()

    def error(self, code: str, location: Location, message: str) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, location, message))

    def warning(self, code: str, location: Location, message: str) -> None:
        if code in self.ignored:
            return
        severity = Severity.ERROR if self.strict else Severity.WARNING
        self.diagnostics.append(Diagnostic(code, severity, location, message))

    def extend(self, other: Report) -> None:
        self.diagnostics.extend(other.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise DossierError(self)


class DossierError(Exception):
    """The content cannot be built; carries the report to print. Exit status 1."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(d.format() for d in report.errors))
        self.report = report

    def __reduce__(self) -> tuple[type[DossierError], tuple[Report], dict[str, Any]]:  # pickled from a child
        return (type(self), (self.report,), self.__dict__)

    @classmethod
    def single(cls, code: str, location: Location, message: str) -> DossierError:
        report = Report()
        report.error(code, location, message)
        return cls(report)
