"""Where the shipped data lives: `layouts/`, `assets/` and the bundled dossier.

In a wheel they sit in `dossier/_data/`; in a source checkout (editable install, tests) at the
repository's top level. Both layouts are found the same way.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    installed = _PACKAGE / "_data"
    if (installed / "layouts").is_dir():
        return installed
    return _PACKAGE.parent


def layouts_dir() -> Path:
    return data_root() / "layouts"


def assets_dir() -> Path:
    return data_root() / "assets"


def bundled_dossier() -> Path:
    return data_root() / "content"


LAYOUT_MANIFEST = "layout.toml"


def layout_dirs(name: str, path: Path | None = None) -> list[Path]:
    """Where a layout's files are looked up, in order. A shipped layout: its folder, then `default`
    for whatever it does not override. A house layout (`path`): its folder, then the shipped layout
    its layout.toml `extends`, if any (read with tomllib alone: the manifest asks before the
    loader has checked it)."""
    if path is not None:
        import tomllib

        try:
            extends = tomllib.loads((path / LAYOUT_MANIFEST).read_text(encoding="utf-8-sig")).get("extends")
        except (OSError, ValueError):
            extends = None
        return [path] + (layout_dirs(extends) if isinstance(extends, str) and "/" not in extends else [])
    dirs = [layouts_dir() / name]
    if name != "default":
        dirs.append(layouts_dir() / "default")
    return dirs
