"""The EPUB's cover image: the PDF's first page (its trimmed page), rasterised, so both editions look alike.

WeasyPrint writes that page alone as a PDF (in memory), PDFium renders it, Pillow encodes it.
The same layout gives the same pixels and the same bytes, build after build.
"""

from __future__ import annotations

import io
from typing import Any

LONG_SIDE = 2560  # pixels; e-reader stores ask for at least 1600 (Kindle suggests 2560)
JPEG_QUALITY = 88


def cover_image(document: Any, long_side: int = LONG_SIDE) -> bytes:
    """The first page of WeasyPrint's `document` as a baseline JPEG, `long_side` pixels high or wide."""
    import pypdfium2 as pdfium

    from dossier.write.pdf import _quiet_weasyprint

    with _quiet_weasyprint():
        pdf = document.copy([document.pages[0]]).write_pdf()
    page = pdfium.PdfDocument(pdf)[0]
    media, trim = page.get_mediabox(), page.get_trimbox()  # a print-ready cover: its bleed left out
    crop = (trim[0] - media[0], trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
    width, height = trim[2] - trim[0], trim[3] - trim[1]
    scale = long_side / max(width, height)
    image = page.render(scale=scale, crop=crop, fill_color=(255, 255, 255, 255)).to_pil()
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False)
    return out.getvalue()
