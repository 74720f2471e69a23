"""The reference a user would pick instead (issue 19): the same Markdown through Pandoc to Typst,
compiled by Typst (the `typst` package from PyPI, Typst's own compiler), its pages per second
beside the build's.

Pandoc writes one `.typ` file of the chapters in order, its notes as Typst footnotes (at the foot
of the page), the sources cited by citeproc (Pandoc's default style: author-date, so a citation
is not a note there, as it is in the dossier) and a table of contents; Typst lays it out with its
own fonts and template. Both steps are timed, each in a process of its own (`run.measure`).

    python bench/typst_ref.py DOSSIER [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TYPST_SOURCE = "_bench-typst.typ"  # beside the chapters: Typst reads images only inside its root


def typst_reference(root: Path, work: Path, log: Path) -> dict[str, Any]:
    """Pandoc to Typst, then Typst to PDF, on the dossier at `root`: times, pages, pages/s."""
    import pypandoc

    sys.path.insert(0, str(HERE))
    from run import measure, page_count, pandoc_inputs, python_env

    chapters, bibliography = pandoc_inputs(root, work)
    config = tomllib.loads((root / "dossier.toml").read_text(encoding="utf-8"))
    source, target = root / TYPST_SOURCE, work / "typst.pdf"
    convert = [
        pypandoc.get_pandoc_path(), *chapters, "--citeproc", f"--bibliography={bibliography}", "--standalone",
        "--to=typst", "--toc", f"--metadata=title:{config['title']}",
        f"--metadata=lang:{config.get('locale', 'fr_FR').split('_')[0]}", "-o", str(source),
    ]  # fmt: skip
    compile_ = [
        sys.executable, "-c", "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3])",
        str(source), str(target), str(root),
    ]  # fmt: skip
    try:
        pandoc = measure(convert, cwd=root, env=python_env(), log=log)
        typst = measure(compile_, cwd=root, env=python_env(), log=log)
    finally:
        source.unlink(missing_ok=True)
    pages = page_count(target) if typst.status == 0 else None
    total = pandoc.wall + typst.wall
    return {
        "pages": pages,
        "pandoc_s": pandoc.wall,
        "typst_s": typst.wall,
        "typst_cpu_s": typst.cpu,
        "typst_peak_mb": typst.peak_mb,
        "failed": int(pandoc.status != 0 or typst.status != 0),
        "pages_per_s": pages / total if pages else None,
        "typst_pages_per_s": pages / typst.wall if pages else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dossier", type=Path)
    parser.add_argument("--json", type=Path, help="where to write the figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dossier-typst-") as folder:
        work = Path(folder)
        figures = typst_reference(args.dossier.resolve(), work, work / "typst.log")
        if figures["failed"]:
            print((work / "typst.log").read_text(encoding="utf-8", errors="replace")[-2000:], file=sys.stderr)
    text = json.dumps(figures, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
