"""The page guard's decisions for each part of the book, kept between builds.

What a part's layout costs is the page guard (write/footnotes.py): its rounds and its probes lay
the part out several times to find the marks it needs. Its result is small: the fixes made and
the stylesheet the last layout was given (`Decisions`). Kept on disk, keyed by everything the
part's layout reads, it lets the next build lay an unchanged part out once, with those marks,
and get the same pages: WeasyPrint's pages themselves hold Pango objects and cannot be kept.

The key is a digest of the part's HTML, the stylesheets in their order and every file they read
(fonts among them), the hyphenation patterns, the engines' versions and the code of this
package. The files a part's layout reads besides (its images) are only known once it is laid
out: an entry lists them with their digests, and is used only while each is unchanged (a build
system's discovered dependencies). An entry carries a digest of its own content: one that was
truncated, tampered with or written by another version is ignored, and the part laid out as if
there were no cache. Entries are written whole under a temporary name and renamed into place, so
a killed build leaves none half-written. No library does this: it keys WeasyPrint's inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, get_args

from dossier.write.footnotes import Fix, Kind

FORMAT = 1  # of an entry: another number is another cache
FOLDER = "layout"  # under the build's cache folder
KEEP = 256  # entries kept, the most recently used (a chapter's edits each leave one)
ABSENT = ""  # the digest of a file a layout looked for and did not find


@dataclass(frozen=True)
class Decisions:
    """What the page guard decided for a part: its fixes (`done`), how many of them its last
    layout was given (the guard may stop with fixes it did not lay out: `MAX_RELAYOUTS`), and
    the stylesheet of that layout (`css`: long pages and fitted figures)."""

    done: tuple[Fix, ...]
    laid: int
    css: str

    @property
    def settled(self) -> bool:
        """The last layout was given every fix: laid out again, the guard must find nothing more."""
        return self.laid == len(self.done)


@dataclass(frozen=True)
class PartPages:
    """What a part's layout gave that the rest of the book reads (write/foresight.py): each
    page's first new text (write/pages.py `raw_starts`) and the page of each anchor (id → page
    in the part, from 0). Kept with its decisions: the same decisions give the same pages."""

    starts: tuple[Any, ...]
    anchors: dict[str, int]

    @property
    def count(self) -> int:
        return len(self.starts)


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def file_digest(path: Path | None) -> str:
    if path is None:
        return ABSENT
    try:
        return digest(path.read_bytes())
    except OSError:
        return ABSENT


@cache
def code_digest() -> str:
    """This package's code, which decides what the guard does (a development checkout changes it
    without a new version number)."""
    package = Path(__file__).resolve().parents[1]
    hashed = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        hashed.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return hashed.hexdigest()


ENVIRONMENT = (  # where fontconfig finds the fonts, and the language Pango gives text without `lang`
    "FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "HOME",
    "LANG", "LC_ALL", "LC_CTYPE",
)  # fmt: skip


@cache
def engine_versions() -> dict[str, str]:
    """What can change where lines and pages break besides this package: the libraries (Python's,
    and Pango, HarfBuzz and fontconfig underneath WeasyPrint), the fonts fontconfig can fall back
    on for a glyph the layout's fonts lack, and the environment that points it at them. What
    cannot be read is a value no other build has: the cache then never hits, rather than hit
    a layout made with other engines."""
    from importlib.metadata import PackageNotFoundError, version

    from dossier.build import _engine_versions

    versions = dict(_engine_versions())
    for name in ("tinycss2", "cssselect2", "tinyhtml5"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "absent"
    try:
        versions.update(_native_versions())
        versions["fonts"] = _system_fonts()
    except Exception:  # unknown engines: no entry may be trusted
        versions["unreadable"] = os.urandom(16).hex()
    versions["environment"] = json.dumps({name: os.environ.get(name) for name in ENVIRONMENT})
    return versions


def _native_versions() -> dict[str, str]:
    import ctypes
    import ctypes.util

    from weasyprint.text.ffi import pango

    harfbuzz = ctypes.CDLL(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0")
    harfbuzz.hb_version_string.restype = ctypes.c_char_p
    fontconfig = ctypes.CDLL(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")
    return {
        "pango": str(pango.pango_version()),
        "harfbuzz": harfbuzz.hb_version_string().decode(),
        "fontconfig": str(fontconfig.FcGetVersion()),
    }


def _system_fonts() -> str:
    """The fonts fontconfig offers (file and version of each), as a digest."""
    import subprocess

    listed = subprocess.run(
        ["fc-list", "--format", "%{file}\t%{fontversion}\t%{index}\n"],
        capture_output=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    return digest(b"\n".join(sorted(listed.splitlines())))


CODE = code_digest()  # the code running, read when it is imported (not a later edit of it)


def part_key(base: dict[str, Any], source: str) -> str:
    """The key of a part: the build's layout inputs (`base`) and the part's HTML."""
    material = {"format": FORMAT, "code": CODE, "engines": engine_versions(), "base": base, "source": source}
    return digest(json.dumps(material, sort_keys=True, ensure_ascii=False))


class LayoutCache:
    """Entries under `folder` (the build's cache folder); `resolve` maps a URL a layout read to
    its file, to check the files an entry depends on."""

    def __init__(self, folder: Path, resolve: Any) -> None:
        self.folder = folder / FOLDER
        self.resolve = resolve
        self.hits = 0
        self.misses = 0
        self.digests: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) → digest, this build's
        self.pages: dict[str, PartPages] = {}  # key → the pages of the entries read whole in this build

    def _digest(self, url: str) -> str:
        path = self.resolve(url)
        try:
            stat = path.stat() if path is not None else None
        except OSError:
            stat = None
        if path is None or stat is None:
            return ABSENT
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self.digests:
            self.digests[key] = file_digest(path)
        return self.digests[key]

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Decisions | None:
        """The decisions kept under `key`, if the entry is whole and every file it read is as it was."""
        decisions = self._read(key)
        if decisions is None:
            self.misses += 1
        else:
            self.hits += 1
            with contextlib.suppress(OSError):
                os.utime(self._path(key))  # recently used: kept when the folder is pruned
        return decisions

    def pages_of(self, key: str) -> PartPages | None:
        """The pages kept under `key` (its entry whole and its files as they were), without
        counting a hit or a miss: a look ahead, not a layout."""
        if key not in self.pages:
            self._read(key)
        return self.pages.get(key)

    def _read(self, key: str) -> Decisions | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            payload = entry["payload"]
            if entry["check"] != digest(_canonical(payload)) or payload["key"] != key:
                return None
            if any(self._digest(url) != expected for url, expected in payload["reads"].items()):
                return None
            decisions = _decisions(payload["decisions"])
            pages = _pages(payload.get("pages"))
            if pages is not None:
                self.pages[key] = pages
            return decisions
        except (OSError, ValueError, KeyError, TypeError, AttributeError):  # absent, truncated, not ours
            return None

    def put(self, key: str, decisions: Decisions, reads: dict[str, str], pages: PartPages | None = None) -> None:
        """Keep `decisions` under `key`, with the files (URL → digest) the layout read and what
        its pages gave (`pages`)."""
        payload: dict[str, Any] = {"key": key, "decisions": _plain(decisions), "reads": dict(sorted(reads.items()))}
        if pages is not None:
            payload["pages"] = {"starts": [list(s) if s else None for s in pages.starts], "anchors": pages.anchors}
            self.pages[key] = pages
        text = json.dumps({"check": digest(_canonical(payload)), "payload": payload}, ensure_ascii=False)
        target = self._path(key)
        temporary = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, target)
        except OSError:  # a cache that cannot be written is no cache: the build goes on
            with contextlib.suppress(OSError):
                temporary.unlink()

    def prune(self, keep: int = KEEP) -> None:
        """The least recently used entries beyond `keep` removed, and what killed builds left."""
        with contextlib.suppress(OSError):
            entries = sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
            for stale in entries[keep:]:
                stale.unlink(missing_ok=True)
            for stray in self.folder.glob(".*.tmp-*"):
                pid = stray.name.rpartition("-")[2]
                if pid.isdigit() and not _running(int(pid)):
                    stray.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    from dossier.write.atomic import _running as running

    return pid == os.getpid() or running(pid)


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


def _plain(decisions: Decisions) -> dict[str, Any]:
    return {"done": [asdict(fix) for fix in decisions.done], "laid": decisions.laid, "css": decisions.css}


def _decisions(plain: dict[str, Any]) -> Decisions:
    done = tuple(
        Fix(
            fix["kind"],
            tuple(fix["path"]),
            tuple(fix["target"]) if fix["target"] is not None else None,
            fix["reason"],
            fix["value"],
        )
        for fix in plain["done"]
    )
    laid = int(plain["laid"])
    if not 0 <= laid <= len(done) or not isinstance(plain["css"], str):
        raise ValueError("not an entry")
    for fix in done:
        paths = [fix.path, *([fix.target] if fix.target is not None else [])]
        if fix.kind not in get_args(Kind) or not all(isinstance(i, int) and i >= 0 for p in paths for i in p):
            raise ValueError("not an entry")
        if not isinstance(fix.value, str) or not isinstance(fix.reason, str):
            raise ValueError("not an entry")
    return Decisions(done, laid, plain["css"])


def _pages(plain: Any) -> PartPages | None:
    """An entry's pages, None if it has none or they are not what `put` writes (the decisions
    still hold: only the foresight is lost)."""
    if not isinstance(plain, dict):
        return None
    starts, anchors = plain.get("starts"), plain.get("anchors")
    if not isinstance(starts, list) or not isinstance(anchors, dict):
        return None
    found: list[Any] = []
    for start in starts:
        if start is None:
            found.append(None)
        elif (
            isinstance(start, list)
            and len(start) == 3
            and isinstance(start[0], str)
            and (start[1] is None or isinstance(start[1], int))
            and isinstance(start[2], int)
        ):
            found.append(tuple(start))
        else:
            return None
    if not all(isinstance(k, str) and isinstance(v, int) and 0 <= v < len(found) for k, v in anchors.items()):
        return None
    return PartPages(tuple(found), dict(anchors))
