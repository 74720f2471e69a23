"""Command line: `dossier build | watch | check | new | import`. Errors are printed once, never as tracebacks.

Exit status: 0 success (a build with nothing to do included), 1 content errors (printed as
`path:line:col: error[code]: message`), 2 a bad command line (argparse), 3 an internal error (a bug:
run with DOSSIER_DEBUG=1 for the traceback), 130 interrupted (Ctrl-C; `watch` exits 0). Heavy
modules are imported inside the commands, and only when there is work to do, so `--help` and a
build with nothing changed stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dossier import __version__
from dossier.errors import DossierError, Location, Report, shown
from dossier.formats import defaults, names
from dossier.formats.pdf import PAPERS

if TYPE_CHECKING:
    from dossier.progress import Level


def _dossier_dir(value: str | None) -> tuple[Path, bool]:
    """The dossier to use: DIR, else the one in the current folder, else the bundled one. A folder
    of Markdown without a dossier.toml is not silently replaced by the bundled dossier."""
    if value is not None:
        _refuse_markdown_folder(Path(value).resolve(), value)
        return Path(value).resolve(), False
    if Path("dossier.toml").is_file():
        return Path.cwd(), False
    from dossier.resources import bundled_dossier

    if not _is_checkout(Path.cwd()):  # dossier's own source (the README's first command) has Markdown too
        _refuse_markdown_folder(Path.cwd(), ".")
    return bundled_dossier(), True


def _is_checkout(folder: Path) -> bool:
    """A checkout of dossier's own source: the bundled dossier's folder and the package beside it."""
    return all((folder / part).is_file() for part in ("pyproject.toml", "content/dossier.toml", "dossier/cli.py"))


def _refuse_markdown_folder(root: Path, given: str) -> None:
    """A folder with Markdown but no dossier.toml (a Pandoc project, say): say what makes it a dossier."""
    if (root / "dossier.toml").exists() or not root.is_dir():
        return
    found = sorted(p for pattern in ("*.md", "*.markdown", "*/*.md") for p in root.glob(pattern) if p.is_file())
    if not found:
        return
    listed = ", ".join(p.relative_to(root).as_posix() for p in found[:3]) + (", …" if len(found) > 3 else "")
    raise DossierError.single(
        "config-missing",
        Location(root / "dossier.toml"),
        f"no dossier.toml here, but Markdown ({listed}): `dossier import {given}` makes a dossier of it, "
        "`dossier new DIR` starts a new one",
    )


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in names()]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or value!r} (use {_FORMATS_HELP})")
    return formats


def _paper(value: str) -> str:
    papers = {paper.lower(): paper for paper in PAPERS}
    if value.lower() not in papers:
        raise argparse.ArgumentTypeError(f"unknown paper {value!r} (use {_one_of(PAPERS)})")
    return papers[value.lower()]


def _jobs(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"takes a positive integer, not {value!r}")
    return int(value)


def _one_of(words: Sequence[str]) -> str:
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else words[0]


_FORMATS_HELP = _one_of([*names(), ",".join(defaults())])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier",
        description="Publish a dossier folder (Markdown chapters, CSL sources) as a PDF and an EPUB 3.",
    )
    parser.add_argument("--version", action="version", version=f"dossier {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser(
        "build", help="build the PDF and the EPUB", description="Build the dossier's PDF and EPUB (what is stale)."
    )
    _build_arguments(build, many=True)
    build.add_argument("--force", action="store_true", help="build even if nothing changed since the last build")
    build.add_argument(
        "--no-cache",
        action="store_true",
        help="lay every chapter out afresh: the page guard's decisions kept by earlier builds"
        " (OUT/.dossier-cache) are neither read nor kept",
    )
    build.add_argument(  # `watch` makes drafts: it never runs Ace
        "--no-ace",
        action="store_true",
        help="do not run DAISY Ace on the EPUB (faster; the EPUB then makes no accessibility conformance claim)",
    )

    watch = commands.add_parser(
        "watch", help="rebuild on every save", description="Build, then rebuild whenever a file of the dossier changes."
    )
    _build_arguments(watch)
    watch.add_argument(
        "--debounce", type=int, default=300, metavar="MS", help="wait for MS milliseconds of quiet (default: 300)"
    )

    check = commands.add_parser(
        "check",
        help="validate the dossier without writing anything",
        description="Run every validation; write nothing.",
    )
    check.add_argument("dir", nargs="*", metavar="DIR", help="the dossier folder, or several (default as for build)")
    check.add_argument("-v", "--verbose", action="store_true", help="also say which checks ran or were skipped")
    _diagnostic_arguments(check)

    new = commands.add_parser(
        "new", help="create a new dossier folder", description="Scaffold a small dossier that builds as is."
    )
    new.add_argument("dir", metavar="DIR", help="folder to create (must not exist or be empty)")
    new.add_argument("--locale", default="fr_FR", help="the dossier's locale (default: fr_FR)")
    new.add_argument(
        "--layout", action="store_true",
        help="create a house layout instead: a copy of the default layout, to name in [layout] path",
    )

    imp = commands.add_parser(
        "import",
        help="make a dossier of a Pandoc project",
        description="Make a dossier folder of a Pandoc project: its Markdown, metadata, bibliography and images "
        "(the project is read, never changed).",
    )
    imp.add_argument("path", metavar="PATH", help="the project's folder, one Markdown file, or a Pandoc defaults file")
    imp.add_argument("dir", nargs="?", metavar="DIR", help="folder to create (default: PATH-dossier, beside PATH)")
    return parser


def _build_arguments(command: argparse.ArgumentParser, many: bool = False) -> None:
    command.add_argument(
        "dir",
        nargs="*" if many else "?",
        metavar="DIR",
        help=("the dossier folder, or several (built in parallel)" if many else "the dossier folder")
        + " (default: the current folder if it holds a dossier.toml, else the bundled dossier)",
    )
    command.add_argument(
        "--out",
        metavar="OUT",
        help="output folder (default: DIR/build, or ./build for the bundled dossier)"
        + ("; with several DIRs, OUT/NAME for each, NAME the dossier folder's name" if many else ""),
    )
    command.add_argument(
        "-j", "--jobs", type=_jobs, metavar="N",
        help="run N processes at most at once (default: DOSSIER_JOBS, else the cores available; 1: one at a time)",
    )
    command.add_argument(
        "--format", type=_formats, default=defaults(), metavar="FORMATS",
        help=f"{_FORMATS_HELP}; default: {','.join(defaults())}",
    )
    command.add_argument(
        "--pdf-variant",
        default="pdf/ua-1",
        choices=["pdf/ua-1", "pdf/a-3b"],
        help="PDF conformance: tagged PDF/UA-1 (default), or PDF/A-3b (tagged too) for archives",
    )
    command.add_argument(
        "--paper", type=_paper, metavar="PAPER", help=f"{_one_of(PAPERS)} (default: layout.paper in dossier.toml)"
    )
    command.add_argument(
        "--print-ready",
        action="store_true",
        help="for a print shop: a PDF/X-4 interior (CMYK, 3 mm of bleed, crop marks in a slug, an even page count) "
        "and the cover as a PDF of its own",
    )
    talk = command.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print errors only (and the outputs on stdout)")
    talk.add_argument("-v", "--verbose", action="store_true", help="also print each stage's time")
    _diagnostic_arguments(command)


def _diagnostic_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--strict", action="store_true", help="treat warnings as errors: exit 1, outputs left as they were (for CI)"
    )
    command.add_argument(
        "--diagnostics",
        choices=["text", "json"],
        default="text",
        help="how stderr shows diagnostics: 'path:line:col: level[code]: message' lines (default), or one JSON"
        " array of {code, level, file, line, column, message} and nothing else",
    )


def _print_report(report: Report, base: Path | None, form: str = "text") -> None:
    if form == "json":
        import json

        print(json.dumps([d.as_json(base) for d in report.diagnostics], ensure_ascii=False), file=sys.stderr)
        return
    for diagnostic in report.diagnostics:
        print(diagnostic.format(base), file=sys.stderr)


def _build_setup(args: argparse.Namespace) -> tuple[Path, Path, Any]:
    from dossier.build import BuildOptions

    root, bundled = _dossier_dir(args.dir)
    out = Path(args.out).resolve() if args.out else (Path.cwd() / "build" if bundled else root / "build")
    formats = args.format
    if args.print_ready and "cover" not in formats:
        formats = (*formats, "cover")  # a print shop takes the cover apart from the interior
    ace = not getattr(args, "no_ace", True)  # `watch` has no --no-ace: its drafts never run Ace
    cache = not getattr(args, "no_cache", False)
    return root, out, BuildOptions(formats, args.pdf_variant, args.paper, args.print_ready, ace, args.jobs, cache)


def _level(args: argparse.Namespace) -> Level:
    """How much the build says on stderr; nothing with JSON diagnostics, which stderr carries alone."""
    return "quiet" if args.quiet or args.diagnostics == "json" else "verbose" if args.verbose else "normal"


def _cmd_build(args: argparse.Namespace, report: Report) -> int:
    from dossier.build import build
    from dossier.progress import make_progress

    if len(args.dir) > 1:
        return _cmd_build_many(args)
    args.dir = args.dir[0] if args.dir else None
    root, out, options = _build_setup(args)
    progress = make_progress(_level(args))
    try:
        result = build(root, out, options, report, progress, force=args.force)
    finally:
        progress.finish()
    _print_report(report, Path.cwd(), args.diagnostics)
    if not result.written:
        progress.say(f"nothing changed since the last build: nothing written to {shown(out)}")
    elif result.unchanged:
        progress.say(f"up to date, not rewritten: {', '.join(p.name for p in result.unchanged)}")
    for path in result.outputs:
        print(path)
    return 0


def _cmd_build_many(args: argparse.Namespace) -> int:
    """Several dossiers, each by a `dossier build DIR` of its own (`dossier.many`)."""
    from dossier.many import build_many, slots
    from dossier.write.parallel import jobs_allowed

    folders = [Path(d).resolve() for d in args.dir]
    _refuse_clashes(args.dir, folders, bool(args.out))
    jobs = jobs_allowed(args.jobs)
    _, each = slots(jobs, len(folders))
    out = Path(args.out).resolve() if args.out else None
    argv = [_one_build(args, d, out / f.name if out else None, each) for d, f in zip(args.dir, folders, strict=True)]
    return build_many(args.dir, argv, jobs, args.diagnostics)


def _refuse_clashes(given: list[str], folders: list[Path], out: bool) -> None:
    """Two builds never write one folder: a dossier named twice, or (with --out) two of one name."""
    seen: dict[Path | str, Path] = {}
    for named, folder in zip(given, folders, strict=True):
        key: Path | str = folder.name if out else folder
        if key in seen:
            twice = seen[key] == folder
            clash = "is named twice" if twice else f"has the name of {shown(seen[key])}"
            why = "it would be built twice at once" if twice else f"with --out, each dossier goes to OUT/{folder.name}"
            message = f"usage: dossier build [options] DIR [DIR ...]\ndossier build: error: {named} {clash}: {why}"
            print(message, file=sys.stderr)
            raise SystemExit(2)
        seen[key] = folder


def _one_build(args: argparse.Namespace, folder: str, out: Path | None, jobs: int) -> list[str]:
    """The command line of one dossier's build, with this one's options."""
    argv = ["build", folder, "--format", ",".join(args.format), "--pdf-variant", args.pdf_variant]
    argv += ["--jobs", str(jobs), "--diagnostics", args.diagnostics, "-v" if args.verbose else "-q"]
    argv += ["--out", str(out)] if out else []
    argv += ["--paper", args.paper] if args.paper else []
    flags = {
        "--print-ready": args.print_ready, "--force": args.force, "--no-ace": args.no_ace, "--strict": args.strict,
        "--no-cache": args.no_cache,
    }  # fmt: skip
    return argv + [flag for flag, on in flags.items() if on]


def _cmd_watch(args: argparse.Namespace, report: Report) -> int:
    from dossier.watch import watch

    root, out, options = _build_setup(args)
    return watch(root, out, options, _level(args), args.debounce, args.strict, args.diagnostics)


def _cmd_check(args: argparse.Namespace, report: Report) -> int:
    if len(args.dir) > 1:
        return _cmd_check_many(args, report)
    root, _ = _dossier_dir(args.dir[0] if args.dir else None)
    detail = _check_one(root, report)
    _print_report(report, Path.cwd(), args.diagnostics)
    if args.verbose and args.diagnostics == "text":
        print(f"dossier: {detail}", file=sys.stderr)
    return 1 if report.errors else 0


def _check_one(root: Path, report: Report) -> str:
    """Every validation of one dossier; what the spelling check did."""
    from dossier.build import check
    from dossier.validate.spelling import check_spelling

    book = check(root, report)
    return check_spelling(book.config, report).detail


def _cmd_check_many(args: argparse.Namespace, report: Report) -> int:
    """Each dossier checked in turn, one that fails not stopping the next; one report of them all."""
    details = []
    for folder in args.dir:
        found = Report(strict=report.strict)
        try:
            details.append(f"{folder}: {_check_one(_dossier_dir(folder)[0], found)}")
        except DossierError as exc:
            found.diagnostics += [d for d in exc.report.diagnostics if d not in found.diagnostics]
        report.extend(found)
    _print_report(report, Path.cwd(), args.diagnostics)
    if args.verbose and args.diagnostics == "text":
        for detail in details:
            print(f"dossier: {detail}", file=sys.stderr)
    return 1 if report.errors else 0


def _cmd_new(args: argparse.Namespace, report: Report) -> int:
    from dossier.scaffold import scaffold, scaffold_layout

    target = scaffold_layout(Path(args.dir)) if args.layout else scaffold(Path(args.dir), args.locale)
    print(target)
    return 0


def _cmd_import(args: argparse.Namespace, report: Report) -> int:
    from dossier.importer import check_written, import_project

    imported = import_project(Path(args.path), Path(args.dir) if args.dir else None)
    for note in imported.notes:
        print(f"dossier: {note}", file=sys.stderr)
    found = check_written(imported.target)
    _print_report(found, Path.cwd())
    print(imported.target)
    if found.errors:
        where = shown(imported.target)
        print(f"dossier: {where} was written; fix the errors above, then `dossier build {where}`", file=sys.stderr)
        return 1
    print(f"dossier: next: dossier build {shown(imported.target)}", file=sys.stderr)
    return 0


def print_failure(report: Report, exc: BaseException | None, form: str = "text") -> None:
    """What a failed command says: its diagnostics and the error's, once each; a bug in one line."""
    merged = Report(list(report.diagnostics))
    if isinstance(exc, DossierError):
        for diagnostic in exc.report.diagnostics:
            if diagnostic not in merged.diagnostics:
                merged.diagnostics.append(diagnostic)
    internal = exc is not None and not isinstance(exc, DossierError)
    detail = f"internal error: {type(exc).__name__}: {exc} (set DOSSIER_DEBUG=1 for details)" if internal else ""
    if internal and form == "json":  # a bug, said in the one JSON array
        merged.error("internal", Location(Path("dossier")), detail)
    _print_report(merged, Path.cwd(), form)
    if internal and form == "text":
        print(f"dossier: {detail}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    report = Report(strict=getattr(args, "strict", False))
    form = getattr(args, "diagnostics", "text")
    commands = {
        "build": _cmd_build, "watch": _cmd_watch, "check": _cmd_check, "new": _cmd_new, "import": _cmd_import,
    }  # fmt: skip
    try:
        return commands[args.command](args, report)
    except DossierError as exc:
        print_failure(report, exc, form)
        return 1
    except KeyboardInterrupt:
        print("dossier: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a content error: say so in one line
        if os.environ.get("DOSSIER_DEBUG"):
            raise
        print_failure(Report(), exc, form)
        return 3


if __name__ == "__main__":
    sys.exit(main())
