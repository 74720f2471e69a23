"""The benchmark of issue 10: `python bench/run.py` (see bench/README.md).

For the bundled dossier and a synthetic one of about 300 A4 pages (bench/synth.py), each
measured as a whole process (Python start-up included), in the same run so that the machine's
noise touches every figure alike:

- cold build (PDF + EPUB): wall time and peak memory;
- no-op rebuild, and rebuild after one paragraph of one chapter changes;
- the floor: WeasyPrint alone on the print HTML this very build produced (bench/floor.py);
- the peer: Pandoc 3 (pypandoc-binary) on the same Markdown, to EPUB and to PDF via WeasyPrint;
- `dossier --help`; peak memory at two sizes, to see how it grows;
- load + resolve of 1 500 sources (CSL-YAML, CSL-JSON, BibLaTeX) and 1 500 notes (issue 15,
  bench/load_resolve.py), in a process of its own.

Prints a table, writes bench/results.json, and says which of the issue's targets are met.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from synth import synthesise  # noqa: E402  (bench/ is not a package)
from typst_ref import typst_reference  # noqa: E402

MB = 1024 * 1024
TARGETS = {
    "floor_ratio": 1.15, "pandoc_ratio": 1.0, "noop_s": 0.5, "help_s": 0.3, "memory_mb": 1536, "load_resolve_s": 2.0,
    "front_share": 0.02, "front_linearity": 1.3, "post_pass_share": 0.05,
    # issue 19: an edit's rebuild against the cold build, the cold build against the floor (wall)
    "edit_ratio_large": 0.15, "edit_ratio_bundled": 0.35, "floor_ratio_19": 1.0, "noop_s_19": 0.2,
}


@dataclass
class Run:
    wall: float  # seconds, whole process
    cpu: float  # user + system seconds of the process and its children
    maxrss_mb: float  # the largest single process of the tree (wait4's ru_maxrss)
    tree_mb: float  # peak of the summed proportional set size (PSS) of the process and its children
    status: int

    @property
    def peak_mb(self) -> float:
        return max(self.maxrss_mb, self.tree_mb)


class TreeSampler(threading.Thread):
    """Samples the memory of a process and its descendants every `interval` seconds (Linux /proc;
    PSS counts pages shared by a forked child once, RSS when smaps_rollup cannot be read)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.peak = max(self.peak, sum(_memory(p) for p in _tree(self.pid)))

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak / MB


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _memory(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def measure(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, log: Path | None = None
) -> Run:
    """Run `command` to its end; its wall time and memory. A failure is reported, not hidden."""
    errors = log.open("ab") if log else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    tree = sampler.stop()
    if log:
        errors.close()
    if process.returncode != 0:
        where = f" (see {log})" if log else ""
        print(f"bench: {' '.join(command[:4])} … exited with status {process.returncode}{where}", file=sys.stderr)
    rss = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / MB
    return Run(wall, usage.ru_utime + usage.ru_stime, rss, tree, process.returncode)


def python_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), **extra)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # `weasyprint` for Pandoc
    env.pop("DOSSIER_DUMP_HTML", None)
    env.update(extra)
    return env


def page_count(pdf: Path) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(pdf).pages) if pdf.is_file() else None


def chapters_of(root: Path) -> list[str]:
    return tomllib.loads((root / "dossier.toml").read_text(encoding="utf-8"))["chapters"]


def edit_paragraph(root: Path) -> str:
    """Change one paragraph (a sentence appended) of the chapter nearest the middle that has one."""
    chapters = chapters_of(root)
    middle = len(chapters) // 2
    for name in sorted(chapters, key=lambda n: abs(chapters.index(n) - middle)):
        path = root / name
        lines = path.read_text(encoding="utf-8").split("\n")
        fence = lines.index("---", 1) + 1 if lines[:1] == ["---"] and "---" in lines[1:] else 0
        body = [i for i in range(fence, len(lines)) if len(lines[i]) > 80 and lines[i][:1].isalpha()]
        if body:
            lines[body[len(body) // 2]] += " Phrase ajoutée par le banc d’essai."
            path.write_text("\n".join(lines), encoding="utf-8")
            return name
    raise ValueError(f"no paragraph to change in {root}")


def pandoc_inputs(root: Path, work: Path) -> tuple[list[str], Path]:
    """The chapters in order, and the sources as a Pandoc bibliography (CSL-YAML under `references:`)."""
    text = (root / "sources.yaml").read_text(encoding="utf-8")
    bibliography = work / "pandoc-references.yaml"
    if text.lstrip().startswith("references:") or "\nreferences:" in text:
        bibliography.write_text(text, encoding="utf-8")
    else:
        bibliography.write_text("references:\n" + "\n".join("  " + line for line in text.split("\n")), encoding="utf-8")
    return chapters_of(root), bibliography


def pandoc(root: Path, work: Path, target: Path, log: Path) -> Run:
    import pypandoc

    chapters, bibliography = pandoc_inputs(root, work)
    config = tomllib.loads((root / "dossier.toml").read_text(encoding="utf-8"))
    command = [
        pypandoc.get_pandoc_path(),
        *chapters,
        "--citeproc",
        f"--bibliography={bibliography}",
        f"--metadata=title:{config['title']}",
        f"--metadata=lang:{config.get('locale', 'fr_FR').replace('_', '-')}",
        "--toc",
        f"--resource-path={root}",
        "-o",
        str(target),
    ]
    if target.suffix == ".pdf":
        command.insert(-2, "--pdf-engine=weasyprint")
    return measure(command, cwd=root, env=python_env(), log=log)


def build_command(root: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "dossier", "build", str(root), "--out", str(out)]


def bench_dossier(name: str, source: Path, work: Path, repeats: int, peer: bool) -> dict[str, Any]:
    """Every measure of one dossier, `repeats` times, each repetition in a fresh copy."""
    runs: dict[str, list[Run]] = {k: [] for k in ("cold", "noop", "edit", "floor", "pandoc_epub", "pandoc_pdf")}
    ratios: dict[str, list[float]] = {"floor": [], "pandoc": [], "floor_cpu": [], "pandoc_cpu": []}
    pages = None
    log = work / f"{name}.log"
    for repetition in range(repeats):
        print(f"bench: {name}, run {repetition + 1}/{repeats}", file=sys.stderr)
        root = work / f"{name}-{repetition}"
        shutil.copytree(source, root)
        out, dump, cache = work / f"{name}-{repetition}-out", work / f"{name}-{repetition}-html", work / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        env = python_env(XDG_CACHE_HOME=str(cache))
        cold = measure(build_command(root, out), env={**env, "DOSSIER_DUMP_HTML": str(dump)}, log=log)
        runs["cold"].append(cold)
        pages = pages or page_count(next(out.glob("*.pdf"), out / "none.pdf"))
        floor_pdf = work / f"{name}-floor.pdf"
        floor = measure([sys.executable, str(HERE / "floor.py"), str(dump), str(floor_pdf)], env=env, log=log)
        runs["floor"].append(floor)
        ratios["floor"].append(cold.wall / floor.wall)
        ratios["floor_cpu"].append(cold.cpu / floor.cpu)
        if peer:
            epub = pandoc(root, work, work / f"{name}-pandoc.epub", log)
            pdf = pandoc(root, work, work / f"{name}-pandoc.pdf", log)
            runs["pandoc_epub"].append(epub)
            runs["pandoc_pdf"].append(pdf)
            ratios["pandoc"].append(cold.wall / (epub.wall + pdf.wall))
            ratios["pandoc_cpu"].append(cold.cpu / (epub.cpu + pdf.cpu))
        if repetition == 0:  # the tag post-pass against write_pdf, on the same dump (CPU, in one process)
            result_tagging = tagging(dump, work / f"{name}-tagging.json", log)
        if repetition == 0 and peer:  # what a user would pick instead: Pandoc to Typst (bench/typst_ref.py)
            result_typst = typst_reference(root, work, log)
        front = front_time(root)
        ratios.setdefault("front", []).append(front / cold.wall)
        runs["noop"].append(measure(build_command(root, out), env=env, log=log))
        edit_paragraph(root)
        runs["edit"].append(measure(build_command(root, out), env=env, log=log))
    result: dict[str, Any] = {"pages": pages, "runs": {k: [asdict(r) for r in v] for k, v in runs.items() if v}}
    for key, values in runs.items():
        if values:
            result[f"{key}_s"] = statistics.median(r.wall for r in values)
            result[f"{key}_cpu_s"] = statistics.median(r.cpu for r in values)
            result[f"{key}_peak_mb"] = statistics.median(r.peak_mb for r in values)
            result[f"{key}_failed"] = sum(r.status != 0 for r in values)
    result["tagging"] = result_tagging
    if peer:
        result["typst"] = result_typst
    result["load_resolve_share"] = statistics.median(ratios["front"])
    result["build_over_floor"] = statistics.median(ratios["floor"])
    result["build_over_floor_cpu"] = statistics.median(ratios["floor_cpu"])
    if ratios["pandoc"]:
        result["build_over_pandoc"] = statistics.median(ratios["pandoc"])
        result["build_over_pandoc_cpu"] = statistics.median(ratios["pandoc_cpu"])
    return result


def tagging(dump: Path, target: Path, log: Path) -> dict[str, Any]:
    """bench/tagging.py on a build's dumped print HTML: the post-pass's CPU time over `write_pdf`'s."""
    command = [sys.executable, str(HERE / "tagging.py"), str(dump), "--repeat", "3", "--json", str(target)]
    with log.open("a", encoding="utf-8") as stream:
        subprocess.run(command, check=True, env=python_env(), stdout=stream, stderr=stream)
    figures = json.loads(target.read_text(encoding="utf-8"))
    return {k: v for k, v in figures.items() if k != "runs"}


def front_time(root: Path) -> float:
    """Load + resolve of the dossier, in a process of its own (bench/front.py, best of 3)."""
    command = [sys.executable, str(HERE / "front.py"), str(root)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, env=python_env())
    times = json.loads(result.stdout)
    return times["load_s"] + times["resolve_s"]


def front_linearity() -> float:
    """Time per unit of the front (load, resolve, print HTML) of one chapter of every construct,
    at 8 times the size over 1 time (bench/front.py --linearity): about 1 if linear."""
    result = subprocess.run(
        [sys.executable, str(HERE / "front.py"), "--linearity"], capture_output=True, text=True, check=True,
        env=python_env(),
    )
    return float(json.loads(result.stdout)["per_unit_ratio"])


def cold_memory(name: str, source: Path, work: Path) -> dict[str, Any]:
    """One cold build, for its peak memory and page count."""
    root, out = work / f"{name}-mem", work / f"{name}-mem-out"
    shutil.copytree(source, root)
    env = python_env(XDG_CACHE_HOME=str(work / "cache-mem"))
    run = measure(build_command(root, out), env=env, log=work / f"{name}.log")
    return {"pages": page_count(next(out.glob("*.pdf"), out / "none.pdf")), "peak_mb": run.peak_mb, "cold_s": run.wall}


def help_time(repeats: int) -> float:
    runs = [measure([sys.executable, "-m", "dossier", "--help"], env=python_env()) for _ in range(max(5, repeats))]
    return statistics.median(r.wall for r in runs)


def load_resolve(work: Path) -> dict[str, Any]:
    """Issue 15's case: load + resolve of 1 500 sources (YAML, JSON, .bib) and 1 500 notes, in a
    process of its own (bench/load_resolve.py), with one YAML file as the reference."""
    target = work / "load-resolve.json"
    subprocess.run([sys.executable, str(HERE / "load_resolve.py"), "--json", str(target)], check=True, env=python_env(),
                   stdout=subprocess.DEVNULL)
    return json.loads(target.read_text(encoding="utf-8"))


def verdicts(results: dict[str, Any], large: str) -> list[dict[str, Any]]:
    """Each target of issue 10: its figure, met or not, and by how much."""
    big = results["dossiers"][large]
    noop = max(d["noop_s"] for d in results["dossiers"].values())
    memory = results["memory"]
    small, high = memory["small"], memory["large"]
    growth = (high["peak_mb"] / small["peak_mb"]) / (high["pages"] / small["pages"]) if small["pages"] else None
    rows = [
        ("cold build / WeasyPrint floor", big["build_over_floor"], TARGETS["floor_ratio"], "×"),
        ("cold build / Pandoc EPUB + PDF", big.get("build_over_pandoc"), TARGETS["pandoc_ratio"], "×"),
        ("no-op rebuild", noop, TARGETS["noop_s"], "s"),
        ("dossier --help", results["help_s"], TARGETS["help_s"], "s"),
        (f"peak memory at {high['pages']} pages", high["peak_mb"], TARGETS["memory_mb"], "MB"),
        ("memory growth per page, large/small (≤ 1: no worse than linear)", growth, 1.0, "×"),
        (f"load + resolve / cold build, {large}", big.get("load_resolve_share"), TARGETS["front_share"], "×"),
        ("front per unit of a chapter, 8× / 1× (≈ 1: linear)", results.get("front_linearity"),
         TARGETS["front_linearity"], "×"),
    ]
    rows.append((f"issue 19: edit rebuild / cold build, {large}", _edit_ratio(big), TARGETS["edit_ratio_large"], "×"))
    if "bundled" in results["dossiers"]:
        bundled = _edit_ratio(results["dossiers"]["bundled"])
        rows.append(("issue 19: edit rebuild / cold build, bundled", bundled, TARGETS["edit_ratio_bundled"], "×"))
    floor = big["build_over_floor"]
    rows.append((f"issue 19: cold build / WeasyPrint floor, {large}", floor, TARGETS["floor_ratio_19"], "×"))
    rows.append(("issue 19: no-op rebuild", noop, TARGETS["noop_s_19"], "s"))
    tagged = big.get("tagging", {})
    share = tagged.get("post_pass_over_write_pdf")
    label = f"tag post-pass / write_pdf, {tagged.get('pages')} pages (CPU)"
    rows.append((label, share, TARGETS["post_pass_share"], "×"))
    if "load_resolve" in results:
        figures = results["load_resolve"]
        label = f"load + resolve, {figures['sources']} sources and {figures['notes']} notes (first run)"
        rows.append((label, figures["first_s"], TARGETS["load_resolve_s"], "s"))
    out = []
    for label, value, limit, unit in rows:
        met = value is not None and value <= limit
        by = None if value is None else (value / limit - 1) * 100
        out.append({"target": label, "value": value, "limit": limit, "unit": unit, "met": met, "over_by_percent": by})
    return out


def _edit_ratio(dossier: dict[str, Any]) -> float | None:
    """The edit's rebuild over the cold build, wall time, medians of the same run."""
    return dossier["edit_s"] / dossier["cold_s"] if dossier.get("edit_s") and dossier.get("cold_s") else None


def table(results: dict[str, Any]) -> str:
    columns = [
        ("pages", "pages", "{:.0f}"),
        ("cold_s", "cold s", "{:.2f}"),
        ("cold_peak_mb", "peak MB", "{:.0f}"),
        ("noop_s", "no-op s", "{:.2f}"),
        ("edit_s", "edit s", "{:.2f}"),
        ("floor_s", "floor s", "{:.2f}"),
        ("build_over_floor", "build/floor", "{:.2f}"),
        ("build_over_floor_cpu", "(cpu)", "{:.2f}"),
        ("pandoc_epub_s", "pandoc epub s", "{:.2f}"),
        ("pandoc_pdf_s", "pandoc pdf s", "{:.2f}"),
        ("build_over_pandoc", "build/pandoc", "{:.2f}"),
        ("build_over_pandoc_cpu", "(cpu)", "{:.2f}"),
        ("load_resolve_share", "load+resolve/cold", "{:.3f}"),
    ]
    lines = [" | ".join(["dossier".ljust(10)] + [title for _, title, _ in columns])]
    for name, figures in results["dossiers"].items():
        cells = [name.ljust(10)]
        for key, title, form in columns:
            value = figures.get(key)
            cells.append((form.format(value) if value is not None else "–").rjust(len(title)))
        lines.append(" | ".join(cells))
    for name, figures in results["dossiers"].items():
        typst = figures.get("typst")
        if typst and typst.get("pages") and figures.get("pages"):
            lines.append(
                f"{name}: dossier {figures['pages']} pages in {figures['cold_s']:.1f} s "
                f"({figures['pages'] / figures['cold_s']:.1f} pages/s); Pandoc + Typst {typst['pages']} pages in "
                f"{typst['pandoc_s']:.1f} + {typst['typst_s']:.1f} s ({typst['pages_per_s']:.1f} pages/s, "
                f"Typst alone {typst['typst_pages_per_s']:.1f})"
            )
    lines.append(f"dossier --help: {results['help_s']:.3f} s")
    memory = results["memory"]
    lines.append(
        "peak memory (cold build): "
        + ", ".join(f"{m['pages']} pages {m['peak_mb']:.0f} MB" for m in (memory["small"], memory["large"]))
    )
    if "load_resolve" in results:
        figures = results["load_resolve"]
        lines.append(
            f"load + resolve, {figures['sources']} sources in YAML, JSON and .bib, {figures['notes']} notes: "
            f"first {figures['first_s']:.2f} s, best {figures['best_s']:.2f} s; the same in one YAML file: "
            f"best {figures['yaml_only_best_s']:.2f} s ({figures['mixed_over_yaml']:.2f}×)"
        )
    lines.append("")
    for verdict in results["targets"]:
        value = verdict["value"]
        figure = "n/a" if value is None else f"{value:.3f} {verdict['unit']}"
        state = "met" if verdict["met"] else f"MISSED by {verdict['over_by_percent']:.0f} %"
        if verdict["met"] and verdict["over_by_percent"] is not None:
            state += f" ({-verdict['over_by_percent']:.0f} % under)"
        lines.append(f"{verdict['target']}: {figure} (limit {verdict['limit']} {verdict['unit']}): {state}")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    import pypandoc
    import weasyprint

    from dossier import __version__

    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average": os.getloadavg(),
        "weasyprint": weasyprint.__version__,
        "pandoc": pypandoc.get_pandoc_version(),
        "dossier": __version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark of issue 10 (see bench/README.md).")
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="runs of each measure; medians are reported")
    parser.add_argument("--quick", action="store_true", help="a 60-page synthetic dossier (memory at 20 and 60 pages)")
    parser.add_argument("--pages", type=int, help="pages of the synthetic dossier (default 300, or 60 with --quick)")
    parser.add_argument("--small-pages", type=int, help="the smaller size for the memory check (default a third)")
    parser.add_argument("--bundled", type=Path, default=REPO / "content", help="the bundled dossier (or a copy)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the results")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed after)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    pages = args.pages or (60 if args.quick else 300)
    small_pages = args.small_pages or max(20, pages // 3)
    work = args.work or Path(tempfile.mkdtemp(prefix="dossier-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        results: dict[str, Any] = {"machine": machine(), "repeat": args.repeat, "quick": args.quick, "dossiers": {}}
        results["help_s"] = help_time(args.repeat)
        results["dossiers"]["bundled"] = bench_dossier("bundled", args.bundled.resolve(), work, args.repeat, True)
        large = f"synth-{pages}"
        synthetic = synthesise(work / "source-large", pages)
        results["dossiers"][large] = bench_dossier(large, synthetic, work, args.repeat, True)
        small = cold_memory(f"synth-{small_pages}", synthesise(work / "source-small", small_pages), work)
        figures = results["dossiers"][large]
        results["memory"] = {"small": small, "large": {"pages": figures["pages"], "peak_mb": figures["cold_peak_mb"]}}
        results["load_resolve"] = load_resolve(work)
        results["front_linearity"] = front_linearity()
        results["targets"] = verdicts(results, large)
        results["machine"]["load_average_after"] = os.getloadavg()
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(table(results))
        print(f"\nwritten {args.json}")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
