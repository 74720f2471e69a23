"""Diagnostics with codes: every code documented, warnings silenced by dossier.toml, `--strict`
for CI, `--diagnostics json` for editors."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

from dossier.codes import ERRORS, WARNINGS
from dossier.validate import tags
from dossier.write import csslog
from dossier.write.validate import EPUB_CHECK_CODES
from tests.conftest import Built
from tests.helpers import CACHE, ROOT, copy_fixture, run_cli

DOC_ROW = re.compile(r"^\| `([a-z0-9-]+)` \| (error|warning|error, warning) \|", re.MULTILINE)
REPORTERS = {"error": "error", "warning": "warning", "single": "error"}  # Report.error/.warning, DossierError.single


def codes_in_the_code() -> dict[str, set[str]]:
    """Each code the package reports, with the levels it is reported at (read from the source).
    A code is a literal where it is reported, or a parameter the function passes on (a forwarder
    such as `DossierError.single`, whose callers give literal codes, keyword ones included)."""
    used: dict[str, set[str]] = {}
    for path in sorted((ROOT / "dossier").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]:
            parameters = {a.arg for a in function.args.args + function.args.kwonlyargs}
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                for keyword in call.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        used.setdefault(keyword.value.value, set()).add("error")
                if not (isinstance(call.func, ast.Attribute) and call.func.attr in REPORTERS and len(call.args) == 3):
                    continue
                code = call.args[0]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    used.setdefault(code.value, set()).add(REPORTERS[call.func.attr])
                elif isinstance(code, ast.Subscript) and ast.unparse(code.value) == "EPUB_CHECK_CODES":
                    for name in EPUB_CHECK_CODES.values():
                        used.setdefault(name, set()).add(REPORTERS[call.func.attr])
                elif relative == "dossier/write/epub.py" and isinstance(code, ast.Subscript) and ast.unparse(
                    code.value) == "_CODES":  # the EPUB's own accessibility checks, by check
                    for name in epub_codes():
                        used.setdefault(name, set()).add(REPORTERS[call.func.attr])
                elif relative == "dossier/build.py" and ast.unparse(code) == "diagnostic.code":
                    pass  # the formats' warnings passed on (under --strict), each reported with its code where made
                elif relative == "dossier/write/pdf.py" and ast.unparse(code) == "message.code":  # WeasyPrint's remarks
                    for name in csslog.CODES:
                        used.setdefault(name, set()).add(REPORTERS[call.func.attr])
                elif relative == "dossier/write/pdf.py" and ast.unparse(code) == "finding.code":  # the tag checks'
                    for name in tags.CODES:
                        used.setdefault(name, set()).add(REPORTERS[call.func.attr])
                elif relative == "dossier/load/__init__.py" and ast.unparse(code) == "finding.code":
                    for name in deferred_findings():  # what the Markdown conversion noticed (load/tree.py)
                        used.setdefault(name, set()).add(REPORTERS[call.func.attr])
                else:
                    assert isinstance(code, ast.Name) and code.id in parameters, (
                        f"{relative}:{call.lineno}: a code that is neither a literal nor passed on"
                    )
    used.setdefault("internal", set()).add("error")  # the CLI's, for a bug (cli.print_failure)
    return used


def epub_codes() -> set[str]:
    from dossier.write.epub import _CODES

    return set(_CODES.values())


def deferred_findings() -> set[str]:
    """The codes of the conversion's `Finding(code, location, message)`s, reported later by load."""
    tree = ast.parse((ROOT / "dossier" / "load" / "tree.py").read_text(encoding="utf-8"))
    return {
        call.args[0].value
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Finding"
        and call.args and isinstance(call.args[0], ast.Constant)
    }


def test_every_code_is_listed_and_documented_and_nothing_else() -> None:
    used = codes_in_the_code()
    listed = {code: {level for level, codes in (("error", ERRORS), ("warning", WARNINGS)) if code in codes}
              for code in ERRORS | WARNINGS}
    documented = {code: set(levels.split(", ")) for code, levels in DOC_ROW.findall(
        (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8"))}
    assert len(used) > 60  # the scan sees them (74 when this was written)
    assert used == listed, "dossier/codes.py and the code disagree"
    assert documented == listed, "docs/diagnostics.md and dossier/codes.py disagree"


UNCITED = """- id: inutile
  type: webpage
  title: Une page jamais citée
  URL: https://example.org/inutile
  accessed: 2026-11-24
"""


def _warned_dossier(tmp_path: Path) -> Path:
    """The mini fixture with one warning and no error: a source no chapter cites."""
    root = copy_fixture("mini", tmp_path)
    sources = root / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8") + UNCITED, encoding="utf-8")
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != CACHE}


def test_strict_fails_on_warnings_and_leaves_the_outputs_and_silencing_removes_them(
    mini_build: Built, tmp_path: Path
) -> None:
    root = _warned_dossier(tmp_path)
    out = root / "build"
    out.mkdir()
    for built in (mini_build.pdf, mini_build.epub):  # a previous edition's files, which must stay
        shutil.copy(built, out / built.name)
    before = _snapshot(out)
    where = "sources.yaml:26:3"

    strict = run_cli("build", "--strict", cwd=root)
    assert strict.returncode == 1, strict.stderr
    assert strict.stderr.splitlines() == [f"{where}: error[source-uncited]: source 'inutile' is never cited"]
    assert strict.stdout == "" and _snapshot(out) == before
    checked = run_cli("check", "--strict", cwd=root)
    assert checked.returncode == 1 and "error[source-uncited]" in checked.stderr

    as_json = run_cli("build", "--strict", "--diagnostics", "json", cwd=root)
    assert as_json.returncode == 1
    assert json.loads(as_json.stderr) == [{
        "code": "source-uncited", "level": "error", "file": "sources.yaml", "line": 26, "column": 3,
        "message": "source 'inutile' is never cited",
    }]

    # an unknown code in the list is itself a located warning (an error under --strict)
    config = root / "dossier.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + '\n[diagnostics]\nignore = ["source-uncited", "source-uncitd"]\n', encoding="utf-8")
    line = len(text.splitlines()) + 3
    typo = run_cli("build", "--strict", cwd=root)
    assert typo.returncode == 1 and _snapshot(out) == before
    assert typo.stderr.splitlines() == [
        f"dossier.toml:{line}:29: error[config-ignore]: unknown diagnostic code 'source-uncitd'"
        " (did you mean 'source-uncited'?)"
    ]

    # silenced: the strict build goes through, and says nothing
    config.write_text(text + '\n[diagnostics]\nignore = ["source-uncited"]\n', encoding="utf-8")
    silenced = run_cli("build", "--strict", cwd=root)
    assert (silenced.returncode, silenced.stderr) == (0, ""), silenced.stderr
    assert silenced.stdout.split() == [str(out / "essai-2.pdf"), str(out / "essai-2.epub")]
    assert run_cli("build", "--strict", "--diagnostics", "json", cwd=root).stderr == "[]\n"  # nothing to do

    # not silenced, not strict: a warning, the build goes on; then --strict does not take it as up to date
    config.write_text(text, encoding="utf-8")
    warned = run_cli("build", cwd=root)
    assert warned.returncode == 0
    assert warned.stderr.splitlines()[0] == f"{where}: warning[source-uncited]: source 'inutile' is never cited"
    after = _snapshot(out)
    again = run_cli("build", "--strict", cwd=root)
    assert again.returncode == 1 and "error[source-uncited]" in again.stderr and _snapshot(out) == after
