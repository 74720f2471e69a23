"""The tag post-pass against WeasyPrint's `write_pdf` (issue 16), in one process, on the print HTML
a build dumped (DOSSIER_DUMP_HTML): one layout, then each measure `--repeat` times, CPU time.

- `write_pdf`: WeasyPrint writing the laid-out document (PDF/UA-1, tagged), to memory, inside
  `dossier.write.tagging.drawn_marks` as the build does (its own snapshot of each sequence's box
  is timed apart and counted in the post-pass, not here);
- the post-pass: `dossier.write.tagging.retag` on the opened PDF with what `drawn_marks` took
  (what runs when the pages are already open, as after an assembly with pikepdf), plus that
  snapshot;
- the read-back post-pass: `retag` on the same bytes without it (the text read back from the
  content streams through the fonts, as before `drawn_marks`), and whether both give the same
  bytes;
- open + save: pikepdf reading WeasyPrint's bytes and writing the result (what the post-pass adds
  when WeasyPrint's PDF is the final one, as today);
- WeasyPrint alone: `write_pdf` outside `drawn_marks`, as WeasyPrint writes without the build
  (its tags ask pydyf for every page's reference at each sequence, which `drawn_marks` makes
  once): the build's `write_pdf` and post-pass against it.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dump", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import pikepdf
    import weasyprint.pdf as weasyprint_pdf
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dossier.l10n.i18n import translations
    from dossier.write.pdf import SAVE_OPTIONS
    from dossier.write.tagging import drawn_marks, retag

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
    figures: dict[str, list[float]] = {k: [] for k in ("write_pdf", "post_pass", "read_back", "open_save", "alone")}
    same: list[bool] = []
    same_as_alone: list[bool] = []
    for _ in range(args.repeat):
        start = time.process_time()
        alone = document.write_pdf(pdf_variant=manifest["pdf_variant"], pdf_tags=True)
        figures["alone"].append(time.process_time() - start)
        snapshot = [0.0]
        add_tags = weasyprint_pdf.add_tags
        inner = timed(add_tags, snapshot, -1)  # WeasyPrint's own tagging, inside drawn_marks' wrapper
        weasyprint_pdf.add_tags = inner
        start = time.process_time()
        with drawn_marks() as drawn:
            weasyprint_pdf.add_tags = timed(weasyprint_pdf.add_tags, snapshot, 1)  # the wrapper, whole
            data = document.write_pdf(pdf_variant=manifest["pdf_variant"], pdf_tags=True)
        figures["write_pdf"].append(time.process_time() - start - snapshot[0])
        same_as_alone.append(data == alone)
        weasyprint_pdf.add_tags = add_tags
        start = time.process_time()
        pdf = pikepdf.open(io.BytesIO(data))
        opened = time.process_time()
        retag(pdf, print_html, locale, drawn)
        tagged = time.process_time()
        out = io.BytesIO()
        pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, **SAVE_OPTIONS)
        figures["post_pass"].append(tagged - opened + snapshot[0])
        figures["open_save"].append(time.process_time() - tagged + opened - start)
        pdf = pikepdf.open(io.BytesIO(data))
        start = time.process_time()
        retag(pdf, print_html, locale)
        figures["read_back"].append(time.process_time() - start)
        again = io.BytesIO()
        pdf.save(again, stream_decode_level=pikepdf.StreamDecodeLevel.none, **SAVE_OPTIONS)
        same.append(again.getvalue() == out.getvalue())
    medians = {k: statistics.median(v) for k, v in figures.items()}
    result = {
        "pages": len(document.pages),
        "runs": figures,
        **{f"{k}_cpu_s": v for k, v in medians.items()},
        "post_pass_over_write_pdf": medians["post_pass"] / medians["write_pdf"],
        "read_back_over_write_pdf": medians["read_back"] / medians["write_pdf"],
        "same_bytes_as_read_back": all(same),
        "with_open_save_over_write_pdf": (medians["post_pass"] + medians["open_save"]) / medians["write_pdf"],
        "write_pdf_over_alone": medians["write_pdf"] / medians["alone"],
        "tagged_over_alone": (medians["write_pdf"] + medians["post_pass"] + medians["open_save"]) / medians["alone"],
        "same_bytes_as_alone": all(same_as_alone),
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"{result['pages']} pages: write_pdf {medians['write_pdf']:.2f} s, post-pass {medians['post_pass']:.2f} s "
        f"({result['post_pass_over_write_pdf']:.1%}), open + save {medians['open_save']:.2f} s "
        f"(post-pass with them {result['with_open_save_over_write_pdf']:.1%}); read-back post-pass "
        f"{medians['read_back']:.2f} s ({result['read_back_over_write_pdf']:.1%}), same bytes: {all(same)}; "
        f"WeasyPrint alone {medians['alone']:.2f} s (write_pdf {result['write_pdf_over_alone']:.2f} x it, with the "
        f"post-pass, open and save {result['tagged_over_alone']:.2f} x, same bytes: {all(same_as_alone)}); "
        f"CPU, medians of {args.repeat}"
    )


def timed(function: Callable[..., Any], total: list[float], sign: int) -> Callable[..., Any]:
    """`function`, its CPU time added to (or taken from) `total[0]`."""

    def wrapper(*args: Any) -> Any:
        start = time.process_time()
        try:
            return function(*args)
        finally:
            total[0] += sign * (time.process_time() - start)

    return wrapper


if __name__ == "__main__":
    main()
