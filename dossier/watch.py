"""`dossier watch`: build, then rebuild whenever a file of the dossier (or of the layouts) is saved.

watchfiles waits for the file system's events and gathers a burst of them (an editor's save
is often several) into one batch once `debounce` milliseconds pass quietly. Each rebuild goes
through the manifest like `dossier build`, so a save that changes no content writes nothing.
Errors are printed as the build prints them and the watch goes on; Ctrl-C ends it with status 0.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dossier.errors import DossierError, Report
from dossier.manifest import MANIFEST_NAME, read_plan
from dossier.progress import Level, Progress, make_progress
from dossier.resources import layouts_dir

if TYPE_CHECKING:
    from dossier.build import BuildOptions


def watch(
    root: Path, out: Path, options: BuildOptions, level: Level, debounce: int = 300, strict: bool = False,
    form: str = "text",
) -> int:
    import watchfiles

    progress = make_progress(level)
    rebuild(root, out, options, progress, strict, form)
    plan = read_plan(root)
    house = plan.layout_path if plan and plan.layout_path and plan.layout_path.is_dir() else None
    folders = [str(root)] + ([str(layouts_dir())] if layouts_dir().is_dir() else []) + ([str(house)] if house else [])
    ready = False
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, _interrupt(stop))
    changes_of = watchfiles.watch(
        *folders, watch_filter=_Filter(out), debounce=debounce, yield_on_timeout=True, rust_timeout=250, stop_event=stop
    )
    try:
        for changes in changes_of:
            if stop.is_set():
                break
            if not changes:  # a quiet spell: the watcher runs, say so once
                if not ready:
                    progress.say(f"watching {_name(root, Path.cwd())} for changes (Ctrl-C to stop)")
                ready = True
                continue
            names = sorted({_name(Path(path), root) for _, path in changes})
            progress.say(f"changed: {', '.join(names)}")
            rebuild(root, out, options, progress, strict, form)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, previous)
    progress.finish()
    progress.say("stopped watching")
    return 0


def _interrupt(stop: threading.Event) -> Any:
    """Ctrl-C raises KeyboardInterrupt as usual, and also sets `stop`: an interrupt that lands in
    a C library's callback during a build (cffi prints it and carries on) would be lost, and the
    watch would go on; the flag ends it at the next batch, and tells watchfiles to return."""

    def handler(signum: int, frame: Any) -> None:
        stop.set()
        raise KeyboardInterrupt

    return handler


def rebuild(
    root: Path, out: Path, options: BuildOptions, progress: Progress, strict: bool = False, form: str = "text"
) -> bool:
    """One build; its errors printed, never raised (but Ctrl-C is)."""
    from dossier.build import build
    from dossier.cli import print_failure

    report = Report(strict=strict)
    try:
        result = build(root, out, options, report, progress)
    except DossierError as exc:
        progress.finish()
        print_failure(report, exc, form)
        return False
    except Exception as exc:  # a bug: say it in one line and keep watching
        progress.finish()
        print_failure(report, exc, form)
        return False
    progress.finish()
    print_failure(report, None, form)  # warnings, if any (in JSON, an empty array clears an editor's list)
    if result.written:
        progress.say(f"wrote {', '.join(p.name for p in result.written)}")
    else:
        progress.say("nothing changed: nothing written")
    return True


def _name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


class _Filter:
    """watchfiles' default filter (version control, caches, editors' swap files) and our own
    outputs: the output folder, hidden files (temporary outputs, the manifest)."""

    def __init__(self, out: Path) -> None:
        import watchfiles

        self.default = watchfiles.DefaultFilter()
        self.out = out.resolve()

    def __call__(self, change: Any, path: str) -> bool:
        where = Path(path)
        if where.name.startswith(".") or where.name == MANIFEST_NAME or where.name.endswith("~"):
            return False
        if where.resolve().is_relative_to(self.out):
            return False
        return self.default(change, path)
