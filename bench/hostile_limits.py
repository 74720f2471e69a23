"""Time and peak memory of builds at the limits of issue 9 (hostile input), one subprocess each.

    PYTHONPATH=. python bench/hostile_limits.py [CASE ...]

Each case appends text to a copy of tests/fixtures/mini's second chapter and runs
`dossier build` (PDF and EPUB). Cases at a limit should build; cases past it should fail at
once with a located message. Prints one line a case: name, exit status, seconds, peak MB.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"

_RUN = """
import json, resource, sys
from dossier.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _notes(count: int) -> str:
    calls = "".join(f"Phrase {i}, avec sa note[^n{i}].\n\n" for i in range(count))
    return calls + "".join(f"[^n{i}]: Note {i}.\n" for i in range(count))


CASES = {
    "word-5000": "Un mot : " + "a" * 5000 + " fin.\n",
    "url-5000": "Une adresse : <https://example.org/" + "b" * 5000 + ">.\n",
    "nested-50": "".join("  " * depth + "- niveau\n" for depth in range(50)),
    "paragraph-200k": "mot " * 49_999 + "\n",
    "paragraph-1M (refused)": "mot " * 250_000 + "\n",
    "notes-100": _notes(100),
    "notes-300": _notes(300),
    "notes-980": _notes(980),  # the mini dossier has a few notes of its own: just under the limit of 1000
    "notes-5000 (refused)": _notes(5000),
}


def run(name: str, text: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="dossier-bench-") as folder:
        root = Path(folder) / "mini"
        shutil.copytree(MINI, root)
        chapter = root / "chapters" / "02-contexte.md"
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", _RUN, "build", str(root), "--out", str(Path(folder) / "out")],
            capture_output=True, text=True, timeout=3600, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        seconds = time.perf_counter() - start
    record = json.loads(result.stdout.splitlines()[-1])
    message = result.stderr.strip().splitlines()[:1]
    return {"case": name, "exit": record["status"], "seconds": round(seconds, 1), "peak_mb": round(record["peak_mb"]),
            "message": message[0][:100] if message else ""}


def main(names: list[str]) -> None:
    for name in names or list(CASES):
        print(json.dumps(run(name, CASES[name]), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
