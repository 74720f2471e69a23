"""The tag post-pass against WeasyPrint's `write_pdf` (issue 16), in one process, on the print HTML
a build dumped (DOSSIER_DUMP_HTML): one layout, then each measure `--repeat` times, CPU time.

- `write_pdf`: WeasyPrint writing the laid-out document (PDF/UA-1, tagged), to memory;
- the post-pass: `dossier.write.tagging.retag` on the opened PDF (what runs when the pages are
  already open, as after an assembly with pikepdf);
- open + save: pikepdf reading WeasyPrint's bytes and writing the result (what the post-pass adds
  when WeasyPrint's PDF is the final one, as today).

    python bench/tagging.py DUMP_DIR [--repeat 3] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import pikepdf
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dossier.l10n.i18n import translations
    from dossier.write.pdf import SAVE_OPTIONS
    from dossier.write.tagging import retag

    manifest = json.loads((args.dump / "weasyprint.json").read_text(encoding="utf-8"))
    print_html = (args.dump / manifest["html"]).read_text(encoding="utf-8")
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    fonts = FontConfiguration()
    sheets = [CSS(filename=path, font_config=fonts) for path in manifest["stylesheets"]]
    html = HTML(string=print_html, base_url=manifest["base_url"])
    for path in manifest.get("page_breaks", {"paths": []})["paths"]:
        element = html.etree_element
        for index in path:
            element = element[index]
        element.set(manifest["page_breaks"]["attribute"], "")
    document = html.render(stylesheets=sheets, font_config=fonts)
    locale = "fr_FR"
    translations(locale)  # the catalog is read once per build, by the templates already
    figures: dict[str, list[float]] = {"write_pdf": [], "post_pass": [], "open_save": []}
    for _ in range(args.repeat):
        start = time.process_time()
        data = document.write_pdf(pdf_variant=manifest["pdf_variant"], pdf_tags=True)
        figures["write_pdf"].append(time.process_time() - start)
        start = time.process_time()
        pdf = pikepdf.open(io.BytesIO(data))
        opened = time.process_time()
        retag(pdf, print_html, locale)
        tagged = time.process_time()
        pdf.save(io.BytesIO(), stream_decode_level=pikepdf.StreamDecodeLevel.none, **SAVE_OPTIONS)
        figures["post_pass"].append(tagged - opened)
        figures["open_save"].append(time.process_time() - tagged + opened - start)
    medians = {k: statistics.median(v) for k, v in figures.items()}
    result = {
        "pages": len(document.pages),
        "runs": figures,
        **{f"{k}_cpu_s": v for k, v in medians.items()},
        "post_pass_over_write_pdf": medians["post_pass"] / medians["write_pdf"],
        "with_open_save_over_write_pdf": (medians["post_pass"] + medians["open_save"]) / medians["write_pdf"],
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"{result['pages']} pages: write_pdf {medians['write_pdf']:.2f} s, post-pass {medians['post_pass']:.2f} s "
        f"({result['post_pass_over_write_pdf']:.1%}), open + save {medians['open_save']:.2f} s "
        f"(post-pass with them {result['with_open_save_over_write_pdf']:.1%}), CPU, medians of {args.repeat}"
    )


if __name__ == "__main__":
    main()
