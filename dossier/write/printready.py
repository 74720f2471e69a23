"""The print shop's PDF, finished after WeasyPrint has written it (`--print-ready`).

WeasyPrint writes the PDF/X-4 (its `pdf/x-4` variant: the XMP identification, the CMYK output
intent of print-ready.css) with the page's whole bleed area painted; it sets its BleedBox
where it likes (up to 10 pt from the trim) and draws its crop marks inside the bleed, over the
cover's background. This module, on the written file (pikepdf):
- sets the BleedBox at 3 mm from the TrimBox, and cuts away what is painted beyond it, so that
  the slug between the BleedBox and the MediaBox stays white;
- draws the crop marks in the slug, in registration colour, clear of the bleed;
- gives the pages' device RGB (the generated figures' colours, images) its ICC meaning
  (`DefaultRGB`: sRGB), as PDF/X-4 wants of device colours outside the output intent's;
- pads the interior with a blank page to an even count (a book block is printed in sheets);
- replaces the XMP document id WeasyPrint draws at random by one derived from the PDF's own
  identifier, so that the same edition gives the same bytes.
No library does this: it is a few PDF operators around WeasyPrint's page contents.
"""

from __future__ import annotations

import uuid
from pathlib import Path

MM = 72 / 25.4
BLEED = 3 * MM  # the bleed a print shop cuts into
MARK_OFFSET = 2 * MM  # from the bleed's edge to a mark's start
MARK_LENGTH = 5 * MM
MARK_WIDTH = 0.25  # pt


def finish(path: Path, even: bool) -> None:
    """Finish the print-ready PDF at `path` in place (see the module's docstring); `even`:
    pad to an even page count (the interior, not the cover)."""
    import pikepdf

    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        srgb = _srgb(pdf)
        for page in pdf.pages:
            _bleed_and_marks(pdf, page)
            if "/Resources" not in page.obj:
                page.obj["/Resources"] = pikepdf.Dictionary()
            resources = page.obj["/Resources"]
            if "/ColorSpace" not in resources:
                resources["/ColorSpace"] = pikepdf.Dictionary()
            resources["/ColorSpace"]["/DefaultRGB"] = srgb
        if even and len(pdf.pages) % 2:
            _blank_page(pdf)
        _document_id(pdf)
        pdf.save(path, deterministic_id=True, compress_streams=True)


def _bleed_and_marks(pdf: object, page: object) -> None:
    import pikepdf

    left, bottom, right, top = (float(v) for v in page.obj["/TrimBox"])
    bleed = [left - BLEED, bottom - BLEED, right + BLEED, top + BLEED]
    page.obj["/BleedBox"] = pikepdf.Array(bleed)
    x0, y0, x1, y1 = bleed
    clip = f"q {x0:.4f} {y0:.4f} {x1 - x0:.4f} {y1 - y0:.4f} re W n\n".encode()
    page.contents_add(pikepdf.Stream(pdf, clip), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + _marks(left, bottom, right, top)))


def _marks(left: float, bottom: float, right: float, top: float) -> bytes:
    """Eight crop marks on the trim's lines, from 2 mm past the bleed outwards: an artifact
    (no tag), 0.25 pt, in all four inks (registration)."""
    start, end = BLEED + MARK_OFFSET, BLEED + MARK_OFFSET + MARK_LENGTH
    segments = []
    for x, direction in ((left, -1), (right, 1)):
        for y in (bottom, top):
            segments.append((x + direction * start, y, x + direction * end, y))
    for y, direction in ((bottom, -1), (top, 1)):
        for x in (left, right):
            segments.append((x, y + direction * start, x, y + direction * end))
    lines = "".join(f"{a:.4f} {b:.4f} m {c:.4f} {d:.4f} l S\n" for a, b, c, d in segments)
    return f"/Artifact BMC q {MARK_WIDTH} w 0 J 1 1 1 1 K\n{lines}Q EMC\n".encode()


def _srgb(pdf: object) -> object:
    """An ICCBased sRGB colour space (the profile WeasyPrint ships)."""
    import pikepdf
    import weasyprint

    profile = (Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc").read_bytes()
    stream = pikepdf.Stream(pdf, profile)
    stream["/N"] = 3
    return pdf.make_indirect(pikepdf.Array([pikepdf.Name.ICCBased, stream]))


def _blank_page(pdf: object) -> None:
    """A page with the last one's boxes and nothing on it."""
    import pikepdf

    last = pdf.pages[-1].obj
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=last["/MediaBox"],
        TrimBox=last["/TrimBox"],
        BleedBox=last["/BleedBox"],
        Resources=pikepdf.Dictionary(),
        Contents=pikepdf.Stream(pdf, b""),
    )
    pdf.pages.append(pikepdf.Page(page))


def _document_id(pdf: object) -> None:
    """The XMP `xmpMM:DocumentID` from the PDF's identifier (WeasyPrint's `pdf_identifier`)."""
    identifier = bytes(pdf.trailer.ID[0]) if "/ID" in pdf.trailer else b""
    document = f"xmp.did:{uuid.UUID(bytes=(identifier + bytes(16))[:16])}"
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["xmpMM:DocumentID"] = document
