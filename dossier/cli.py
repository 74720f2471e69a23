"""Command line: `dossier build | check | new`. Errors are printed once, never as tracebacks.

Exit status: 0 success, 1 content errors (printed as `path:line:col: error: message`),
2 a bad command line (argparse), 3 an internal error (a bug: run with DOSSIER_DEBUG=1 for
the traceback). Heavy modules are imported inside the commands so `--help` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dossier import __version__
from dossier.errors import DossierError, Report


def _dossier_dir(value: str | None) -> tuple[Path, bool]:
    """The dossier to use: DIR, else the one in the current folder, else the bundled one."""
    if value is not None:
        return Path(value).resolve(), False
    if Path("dossier.toml").is_file():
        return Path.cwd(), False
    from dossier.resources import bundled_dossier

    return bundled_dossier(), True


def _formats(value: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    unknown = [f for f in formats if f not in ("pdf", "epub")]
    if unknown or not formats:
        raise argparse.ArgumentTypeError(f"unknown format {', '.join(unknown) or value!r} (use pdf, epub or pdf,epub)")
    return formats


def _paper(value: str) -> str:
    papers = {"a4": "A4", "a5": "A5", "letter": "Letter"}
    if value.lower() not in papers:
        raise argparse.ArgumentTypeError(f"unknown paper {value!r} (use A4, A5 or Letter)")
    return papers[value.lower()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dossier",
        description="Publish a dossier folder (Markdown chapters, CSL sources) as a PDF and an EPUB 3.",
    )
    parser.add_argument("--version", action="version", version=f"dossier {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the PDF and the EPUB", description="Build the dossier's PDF and EPUB.")
    build.add_argument("dir", nargs="?", metavar="DIR", help="the dossier folder (default: the current folder if it holds a dossier.toml, else the bundled dossier)")
    build.add_argument("--out", metavar="OUT", help="output folder (default: DIR/build, or ./build for the bundled dossier)")
    build.add_argument("--format", type=_formats, default=("pdf", "epub"), metavar="FORMATS", help="pdf, epub or pdf,epub (default)")
    build.add_argument(
        "--pdf-variant",
        default="pdf/ua-1",
        choices=["pdf/ua-1", "pdf/a-3b"],
        help="PDF conformance: tagged PDF/UA-1 (default), or PDF/A-3b (tagged too) for archives",
    )
    build.add_argument(
        "--paper", type=_paper, metavar="PAPER", help="A4, A5 or Letter (default: layout.paper in dossier.toml)"
    )
    build.add_argument(
        "--print-ready", action="store_true", help="add 3 mm of bleed and crop marks to the PDF, for a print shop"
    )

    check = commands.add_parser("check", help="validate the dossier without writing anything", description="Run every validation; write nothing.")
    check.add_argument("dir", nargs="?", metavar="DIR", help="the dossier folder (default as for build)")
    check.add_argument("-v", "--verbose", action="store_true", help="also say which checks ran or were skipped")

    new = commands.add_parser("new", help="create a new dossier folder", description="Scaffold a small dossier that builds as is.")
    new.add_argument("dir", metavar="DIR", help="folder to create (must not exist or be empty)")
    new.add_argument("--locale", default="fr_FR", help="the dossier's locale (default: fr_FR)")
    return parser


def _print_report(report: Report, base: Path | None) -> None:
    for diagnostic in report.diagnostics:
        print(diagnostic.format(base), file=sys.stderr)


def _cmd_build(args: argparse.Namespace, report: Report) -> int:
    from dossier.build import BuildOptions, build

    root, bundled = _dossier_dir(args.dir)
    out = Path(args.out).resolve() if args.out else (Path.cwd() / "build" if bundled else root / "build")
    options = BuildOptions(args.format, args.pdf_variant, args.paper, args.print_ready)
    result = build(root, out, options, report)
    _print_report(report, Path.cwd())
    for path in result.written:
        print(path)
    return 0


def _cmd_check(args: argparse.Namespace, report: Report) -> int:
    from dossier.build import check
    from dossier.validate.spelling import check_spelling

    root, _ = _dossier_dir(args.dir)
    book = check(root, report)
    spelling = check_spelling(book.config, report)
    _print_report(report, Path.cwd())
    if args.verbose:
        print(f"dossier: {spelling.detail}", file=sys.stderr)
    return 1 if report.errors else 0


def _cmd_new(args: argparse.Namespace, report: Report) -> int:
    from dossier.scaffold import scaffold

    target = scaffold(Path(args.dir), args.locale)
    print(target)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    report = Report()
    commands = {"build": _cmd_build, "check": _cmd_check, "new": _cmd_new}
    try:
        return commands[args.command](args, report)
    except DossierError as exc:
        merged = Report(list(report.diagnostics))
        for diagnostic in exc.report.diagnostics:
            if diagnostic not in merged.diagnostics:
                merged.diagnostics.append(diagnostic)
        _print_report(merged, Path.cwd())
        return 1
    except KeyboardInterrupt:
        print("dossier: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a content error: say so in one line
        if os.environ.get("DOSSIER_DEBUG"):
            raise
        print(f"dossier: internal error: {type(exc).__name__}: {exc} (set DOSSIER_DEBUG=1 for details)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
