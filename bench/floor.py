"""The floor of a PDF build: WeasyPrint alone, on the print HTML a build dumped (DOSSIER_DUMP_HTML).

Same HTML (with the build's page guard marks and moves in it), same stylesheets (its long pages
among them), same fonts, same PDF options (variant, tags), the same hyphenation patterns (so one
layout here gives the build's pages) as the build, and
WeasyPrint's own URL fetcher; nothing of `dossier` is imported. Run as its own process so
that its time includes starting Python and importing WeasyPrint, as the build's does.

    python bench/floor.py DUMP_DIR OUT.pdf
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path


def main() -> None:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    dump, target = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = json.loads((dump / "weasyprint.json").read_text(encoding="utf-8"))
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fonts = FontConfiguration()
    sheets = [CSS(filename=path, font_config=fonts) for path in manifest["stylesheets"]]
    html = HTML(filename=str(dump / manifest["html"]), base_url=manifest["base_url"])
    import pyphen  # the dossier's hyphenation exceptions, as the build's layout had them

    for name, file in manifest.get("hyphenation", {}).items():
        pyphen.LANGUAGES[name] = dump / file
    html.write_pdf(
        str(target),
        stylesheets=sheets,
        font_config=fonts,
        pdf_variant=manifest["pdf_variant"],
        pdf_tags=manifest["pdf_tags"],
        dpi=manifest.get("dpi"),
    )


if __name__ == "__main__":
    main()
