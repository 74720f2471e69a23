"""Wheel build hook: the gettext catalogs compiled (`.po` → `.mo`) into the wheel.

The `.mo` files are build products, so they are not kept in git (they would conflict on every
merge); `dossier.l10n.i18n` compiles the `.po` in memory when run from a source checkout.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompileCatalogs(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        self._work = Path(tempfile.mkdtemp(prefix="dossier-mo-"))
        for po in sorted(Path(self.root, "dossier", "l10n", "locales").glob("*/LC_MESSAGES/*.po")):
            relative = po.relative_to(self.root).with_suffix(".mo")
            mo = self._work / relative
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))
            build_data["force_include"][str(mo)] = relative.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if getattr(self, "_work", None) is not None:
            shutil.rmtree(self._work, ignore_errors=True)
