"""The dossier's raster images as each output needs them: 8 bits per sample, and no larger than shown.

Print. WeasyPrint 70 draws the modes 1, L, LA, P, RGB, RGBA and CMYK right (its `RasterImage`
converts 1, P and I to RGB and maps the others to PDF colour spaces); any other mode goes into
the PDF as 8-bit RGB over rows that are not (`get_x_object` logs "Unknown image mode", below the
level the build shows). Pillow reads a 16-bit greyscale PNG as mode `I;16`: its 16-bit grey rows
are declared 8-bit RGB, too short by a third, and readers draw them black. WeasyPrint's own
conversions clip rather than scale (`I` → RGB makes every value above 255 white). So the print
document is given such an image as an 8-bit greyscale PNG, its values scaled (65 535 → 255);
every other image goes to WeasyPrint as written (the fetcher calls `for_print`). 16-bit RGB(A)
and grey-with-alpha PNGs need nothing: Pillow reads them as 8-bit RGB(A). A lossy WebP (a
photograph from a web page) is given as a JPEG: WeasyPrint would embed it as a lossless PNG,
several times larger. The size is WeasyPrint's business: its `dpi` option resamples each image to
`PRINT_DPI` at the largest size it is printed, which only the layout knows.

EPUB. No layout to measure: a reader's screen. The copy is at most `EPUB_LONG_SIDE` pixels on its
long side: whatever its shape, that is at most 4 million pixels, the most Apple Books wants in an
image inside a book (its hard limit is 5.6 million), and 1.5 times — the margin Apple recommends
over the size shown — a picture shown 1 333 pixels wide, a tablet's or a large e-reader's page.
An image within that size, in a mode every reader shows, goes in as written, byte for byte;
others are resampled (Lanczos) and encoded again in their own format, orientation applied, ICC
profile kept. Names: EPUBCheck refuses a file name with a space (an invalid URL in the
documents) and warns when the extension is not the content's, so such an image is renamed in
the package (`epub_name`) and its documents point to the new name.

Everything here is a function of the file's bytes and Pillow's version (an engine of the build,
dossier/build.py): rebuilds give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from dossier.load.images import FORMATS, ImageFile, identify, sniff

PRINT_DPI = 300
EPUB_LONG_SIDE = 2000
JPEG_QUALITY = 85  # a photograph encoded again for a screen (WeasyPrint encodes its resampled JPEGs at 75)
_SAFE_NAME = re.compile(r"[^\w.-]+")  # \w is Unicode: accented names are valid (EPUBCheck accepts them)


def is_raster(data: bytes) -> bool:
    return sniff(data) is not None


def media_type(data: bytes) -> str | None:
    """The media type of a raster image's bytes, whatever its file is called."""
    kind = sniff(data)
    return FORMATS[kind][0] if kind else None


# --- print -------------------------------------------------------------------------------


def for_print(data: bytes) -> bytes:
    """The bytes WeasyPrint is given for a raster image: `data` itself unless WeasyPrint would
    draw it wrong (16-bit greyscale) or embed it much larger than written (lossy WebP)."""
    if _png_16_bit_grey(data) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP" and not _webp_lossless_or_alpha(data)):
        return _MEMO.get(data, _print_copy)
    return data


def _print_copy(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        if image.format == "PNG":
            return _encode(_eight_bit(image), "PNG", image.info.get("icc_profile"))
        return _encode(image.convert("RGB"), "JPEG", image.info.get("icc_profile"))


def _png_16_bit_grey(data: bytes) -> bool:
    """IHDR's bit depth 16 and colour type 0 (greyscale), read without decoding the image."""
    return data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and data[24] == 16 and data[25] == 0


def _webp_lossless_or_alpha(data: bytes) -> bool:
    """Whether a WebP file is lossless (`VP8L`) or has an alpha channel (`ALPH`): its chunks' names."""
    offset = 12
    while offset + 8 <= len(data):
        name = data[offset : offset + 4]
        if name in (b"VP8L", b"ALPH"):
            return True
        if name == b"VP8 ":
            return False
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    return True


# --- EPUB --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EpubImage:
    """An image of the dossier as the EPUB package holds it."""

    source: str  # the path the documents give, relative to the dossier's root
    name: str  # its name in the package
    media_type: str
    content: bytes


def epub_name(relative: str, image: ImageFile) -> str:
    """The image's name in the package: as in the dossier unless it holds characters a URL may
    not, or its extension is not its content's; then a safe name, made unique by a short hash
    of the original (so that `Figure 1.png` and `Figure-1.png` cannot meet)."""
    path = PurePosixPath(relative)
    extension = path.suffix if not image.misnamed else FORMATS[image.format][1][0]
    parts = [_SAFE_NAME.sub("-", part).strip("-") or "image" for part in path.parent.parts]
    stem = _SAFE_NAME.sub("-", path.stem).strip("-") or "image"
    safe = PurePosixPath(*parts, stem + extension).as_posix()
    if safe == relative:
        return relative
    digest = hashlib.sha256(relative.encode()).hexdigest()[:8]
    return PurePosixPath(*parts, f"{stem}-{digest}{extension}").as_posix()


def epub_images(root: Path, images: Iterable[Path]) -> list[EpubImage]:
    """The dossier's images (as `Book.images` lists them) ready for the package."""
    out = []
    for path in images:
        relative = path.relative_to(root).as_posix()
        found = identify(path)
        data = path.read_bytes()
        content = data if found.format == "SVG" else for_epub(data)
        out.append(EpubImage(relative, epub_name(relative, found), found.media_type, content))
    return out


def for_epub(data: bytes) -> bytes:
    """A raster image's bytes for the EPUB: as written when no larger than `EPUB_LONG_SIDE` and
    in a mode every reader shows, else resampled and encoded again in its own format."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        animated = getattr(image, "n_frames", 1) > 1
        fits = max(image.size) <= EPUB_LONG_SIDE and image.mode not in _NOT_FOR_READERS
    if fits or animated:  # an animation is kept as made: resampling its frames would lose it
        return data
    return _MEMO.get(data, _reader_copy)


def _reader_copy(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        kind = "JPEG" if image.format == "MPO" else image.format or "PNG"
        profile = None if image.mode == "CMYK" else image.info.get("icc_profile")  # CMYK becomes sRGB
        if image.mode == "P":  # resampled in colour, not by nearest neighbour
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        picture = _eight_bit(image)
        # resampled before it is turned upright: the box is square, and a JPEG is decoded smaller
        picture.thumbnail((EPUB_LONG_SIDE, EPUB_LONG_SIDE), Image.Resampling.LANCZOS)
        return _encode(ImageOps.exif_transpose(picture), kind, profile)


# Modes EPUB readers do not all show right: 16-bit and 32-bit greyscale, floating point, CMYK
# (Apple Books asks for RGB).
_NOT_FOR_READERS = ("I;16", "I;16B", "I;16L", "I", "F", "CMYK")


def rename_images(content: bytes, names: dict[str, str]) -> bytes:
    """An EPUB document pointing to its renamed images (`names`: dossier path → package name)."""
    from lxml import etree

    if not any(old.encode() in content or _escaped(old) in content for old in names):
        return content
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(content, parser)
    for element in root.iter("{http://www.w3.org/1999/xhtml}img"):
        src = element.get("src")
        if src in names:
            element.set("src", names[src])
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def _escaped(text: str) -> bytes:
    return text.replace("&", "&amp;").replace('"', "&quot;").encode("ascii", "xmlcharrefreplace")


# --- shared ------------------------------------------------------------------------------


def _eight_bit(image: Any) -> Any:
    """`image` in a mode of 8 bits per sample: 16-bit and 32-bit grey scaled (not clipped) to L,
    CMYK to RGB (through its ICC profile when it has one), everything else as it is."""
    from PIL import Image, ImageMath

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        top = 65535 if image.mode.startswith("I;16") or _max(image) > 255 else 255
        wide = image.convert("I")
        grey = wide.point(lambda v: v * (255 / top) + 0.5).convert("L")  # rounded, as the eye would
        transparent = image.info.get("transparency")
        if not isinstance(transparent, int):
            return grey
        # a PNG's tRNS makes one grey value transparent: the alpha channel it means
        mask = ImageMath.lambda_eval(lambda a: (a["a"] != transparent) * 255, a=wide).convert("L")
        return Image.merge("LA", (grey, mask))
    if image.mode == "F":
        return image.convert("L")
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image)
    return image


def _max(image: Any) -> int:
    return int(image.getextrema()[1])


class _Memo:
    """Copies already made in this process, by the SHA-256 of their source: the layout may run
    several times in a build (write/pdf.py), `dossier watch` builds many times."""

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.made: dict[tuple[bytes, Callable[[bytes], bytes]], bytes] = {}

    def get(self, data: bytes, make: Callable[[bytes], bytes]) -> bytes:
        key = (hashlib.sha256(data).digest(), make)
        if key not in self.made:
            if len(self.made) >= self.size:
                self.made.pop(next(iter(self.made)))
            self.made[key] = make(data)
        return self.made[key]


_MEMO = _Memo()


def _cmyk_to_rgb(image: Any) -> Any:
    profile = image.info.get("icc_profile")
    if profile:
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    return image.convert("RGB")


def _encode(image: Any, kind: str, profile: bytes | None = None) -> bytes:
    """Encoded the same way every time: no timestamps, fixed settings."""
    out = io.BytesIO()
    options: dict[str, Any] = {"icc_profile": profile} if profile and image.mode in ("RGB", "RGBA", "L", "LA") else {}
    if kind == "JPEG":
        picture = image if image.mode in ("RGB", "L") else image.convert("RGB")
        picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, **options)
    elif kind == "WEBP":
        image.save(out, "WEBP", quality=JPEG_QUALITY, method=4, **options)
    elif kind == "GIF":
        image.save(out, "GIF", optimize=False)
    else:
        image.save(out, "PNG", optimize=True, **options)
    return out.getvalue()
