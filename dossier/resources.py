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


def layout_dirs(name: str) -> list[Path]:
    """The layout's folder, then `default` for whatever it does not override."""
    dirs = [layouts_dir() / name]
    if name != "default":
        dirs.append(layouts_dir() / "default")
    return dirs
