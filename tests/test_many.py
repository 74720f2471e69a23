"""`dossier build A B`: several dossiers in one command (dossier.many), and EPUBCheck started
beside DAISY Ace (dossier.write.validate): what each gives is what it gives alone."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from dossier.many import slots
from tests.helpers import CACHE, run_cli

CHEAP = ("--no-ace", "--format", "epub")  # the layout still runs (the EPUB's page map), the PDF is not written


def _scaffold(tmp_path: Path, *names: str) -> None:
    for name in names:
        assert run_cli("new", name, cwd=tmp_path).returncode == 0


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != CACHE}  # the cache folder aside


def test_several_dossiers_one_broken(tmp_path: Path) -> None:
    """The good one built, the broken one's error said at its path and its outputs left as they
    were, exit 1; each dossier's output the same bytes as when it is built alone."""
    _scaffold(tmp_path, "a", "b")
    first = run_cli("build", "a", "b", "--out", "out", *CHEAP, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["a", "b"]  # one line each, in the order given
    assert re.fullmatch(r"a: out/a/titre-du-dossier-1\.epub \(\d+\.\d s\)", lines[0])
    previous = _outputs(tmp_path / "out" / "b")
    assert "titre-du-dossier-1.epub" in previous

    broken = tmp_path / "b" / "chapters" / "01-introduction.md"
    broken.write_text(broken.read_text(encoding="utf-8") + "\nVoir [@inconnue].\n", encoding="utf-8")
    second = run_cli("build", "a", "b", "--out", "out", "--force", *CHEAP, cwd=tmp_path)
    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if ": error[" in line]
    assert len(errors) == 1
    assert re.match(r"b/chapters/01-introduction\.md:\d+:\d+: error\[source-unknown\]: .*'@inconnue'", errors[0])
    lines = second.stdout.splitlines()
    assert re.fullmatch(r"a: out/a/titre-du-dossier-1\.epub \(\d+\.\d s\)", lines[0])
    assert re.fullmatch(r"b: failed, 1 error \(\d+\.\d s\)", lines[1])
    assert _outputs(tmp_path / "out" / "b") == previous

    alone = run_cli("build", "a", "--out", "alone", *CHEAP, cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    epub = "titre-du-dossier-1.epub"
    assert (tmp_path / "alone" / epub).read_bytes() == (tmp_path / "out" / "a" / epub).read_bytes()
    assert alone.stdout.strip() == str(tmp_path / "alone" / epub)  # one dossier: the output's path alone, as ever


def test_several_dossiers_that_would_write_one_folder_are_refused(tmp_path: Path) -> None:
    _scaffold(tmp_path, "a")
    (tmp_path / "elsewhere").mkdir()
    shutil.copytree(tmp_path / "a", tmp_path / "elsewhere" / "a")
    same_name = run_cli("build", "a", "elsewhere/a", "--out", "out", cwd=tmp_path)
    assert same_name.returncode == 2
    assert "elsewhere/a has the name of a: with --out, each dossier goes to OUT/a" in same_name.stderr
    twice = run_cli("build", "a", "./a", cwd=tmp_path)
    assert twice.returncode == 2
    assert "./a is named twice" in twice.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "a" / "build").exists()


def test_check_several_dossiers(tmp_path: Path) -> None:
    """Each checked, a broken one not stopping the next; its error at its path; exit 1."""
    _scaffold(tmp_path, "a", "b")
    (tmp_path / "a" / "sources.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    result = run_cli("check", "a", "b", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error[" in line]
    assert [e.split(":")[0] for e in errors] == ["a/sources.yaml"]
    assert "b/" not in "\n".join(errors)
    assert not (tmp_path / "a" / "build").exists() and not (tmp_path / "b" / "build").exists()


@pytest.mark.parametrize(
    ("jobs", "count", "expected"), [(2, 3, (2, 1)), (1, 3, (1, 1)), (4, 2, (2, 2)), (4, 1, (1, 4))]
)
def test_jobs_are_shared_between_dossiers(jobs: int, count: int, expected: tuple[int, int]) -> None:
    """At most `jobs` builds at once, and each allowed its share of the jobs."""
    assert slots(jobs, count) == expected


def _withdrawn(epub: Path, target: Path) -> None:
    """A copy of `epub` that EPUBCheck rejects: its package document's unique identifier gone."""
    with zipfile.ZipFile(epub) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith(".opf"):
                data = re.sub(rb"<dc:identifier[^>]*>[^<]*</dc:identifier>", b"", data)
            copy.writestr(info, data)


def test_epubcheck_started_beside_gives_the_findings_of_the_bytes_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started on an EPUB that is then replaced, EPUBCheck's findings are those of the EPUB as
    it is when they are taken (checked again); unchanged, those of a run after."""
    from dossier.write.validate import run_epubcheck, start_epubcheck

    monkeypatch.setenv("DOSSIER_EPUBCHECK", "")
    _scaffold(tmp_path, "a")
    assert run_cli("build", "a", "--out", "out", *CHEAP, cwd=tmp_path).returncode == 0
    good = tmp_path / "out" / "titre-du-dossier-1.epub"
    bad = tmp_path / "bad.epub"
    _withdrawn(good, bad)
    alone = run_epubcheck(bad)
    assert any(f.level == "error" for f in alone)  # the copy is one EPUBCheck rejects

    start_epubcheck(bad)
    assert run_epubcheck(bad) == alone
    target = tmp_path / "target.epub"
    shutil.copyfile(bad, target)
    start_epubcheck(target)
    shutil.copyfile(good, target)  # as a withdrawn claim rewrites the EPUB while EPUBCheck runs
    assert run_epubcheck(target) == run_epubcheck(good) == []


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _as_a_terminal() -> None:
    """Ctrl-C heard as a command started from a shell hears it: the test runner's process may
    ignore or block SIGINT (its workers do, at times), which a child inherits across exec."""
    import signal

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_stops_every_build_and_keeps_the_previous_outputs(tmp_path: Path) -> None:
    """Ctrl-C during `dossier build a b`: both builds stop (none left running), each dossier's
    previous outputs are as they were (or, if it was done, its new ones, whole), the dossiers
    are each reported, exit 130, no traceback; the next build is right."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import ROOT

    _scaffold(tmp_path, "a", "b")
    first = run_cli("build", "a", "b", "--out", "out", "--no-ace", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    previous = {name: _outputs(tmp_path / "out" / name) for name in ("a", "b")}
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "dossier", "build", "a", "b", "--out", "out", "--no-ace", "--force", "-j", "2"]
    command.append("--no-cache")  # laid out in full, as long as a first build: still running when interrupted
    parent = subprocess.Popen(
        command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_as_a_terminal
    )
    deadline = time.monotonic() + 60
    while len(_children(parent.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    builds = _children(parent.pid)
    assert len(builds) == 2
    time.sleep(2.0)  # into the builds (start-up, load, layout)
    parent.send_signal(signal.SIGINT)  # as the terminal does: to this process, the builds are in sessions of their own
    stdout, stderr = (s.decode() for s in parent.communicate(timeout=120))
    assert parent.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr
    assert not [pid for pid in builds if _alive(pid)]
    lines = stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["a", "b"]
    interrupted = [line for line in lines if "interrupted (exit status 130)" in line]
    assert interrupted, stdout  # the builds take longer than two seconds: at least one was stopped
    for name, line in zip(("a", "b"), lines, strict=True):
        now = _outputs(tmp_path / "out" / name)
        assert sorted(now) == sorted(previous[name])  # no partial file left beside them
        if line in interrupted:
            assert now == previous[name]
    again = run_cli("build", "a", "b", "--out", "out", "--no-ace", "--force", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for name in ("a", "b"):
        assert _outputs(tmp_path / "out" / name) == previous[name]  # byte-identical rebuilds


def test_each_dossier_reported_when_it_and_those_before_it_are_done(tmp_path: Path) -> None:
    """A dossier that fails at once is reported while the next is still building."""
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    _scaffold(tmp_path, "a", "b")
    (tmp_path / "a" / "sources.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "dossier", "build", "a", "b", "--out", "out", "--no-ace", "-j", "2"]
    parent = subprocess.Popen(
        command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    first = parent.stdout.readline()
    still_building = [pid for pid in _children(parent.pid) if _alive(pid)]
    rest, stderr = parent.communicate(timeout=300)
    assert first.startswith("a: failed, 1 error"), (first, stderr)
    assert still_building, "a's line came only when b was done"
    assert rest.startswith("b: out/b/titre-du-dossier-1.pdf, out/b/titre-du-dossier-1.epub")
    assert parent.returncode == 1
