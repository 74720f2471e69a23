"""What an image file of the dossier is, read from its content (not its name), or why it cannot be shown.

Cameras, phones and web pages give files whose extension lies (a JPEG saved as `.png`, a camera's
multi-picture JPEG that Pillow calls MPO): the outputs are made from what the file holds, so the
content decides. Only the formats both outputs can show are accepted: the EPUB's core media
types (PNG, JPEG, GIF, WebP, SVG), which WeasyPrint also draws.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

# The formats by content, as Pillow names them (MPO: a camera's multi-picture JPEG, a JPEG to
# every reader), with their EPUB media type and the extensions that name them.
FORMATS = {
    "PNG": ("image/png", (".png",)),
    "JPEG": ("image/jpeg", (".jpg", ".jpeg")),
    "MPO": ("image/jpeg", (".jpg", ".jpeg")),
    "GIF": ("image/gif", (".gif",)),
    "WEBP": ("image/webp", (".webp",)),
    "SVG": ("image/svg+xml", (".svg",)),
}
SHOWN = "PNG, JPEG, GIF, WebP, SVG"
# Larger images are refused rather than decoded: Pillow's own guard against decompression
# bombs (about 89 million pixels, more than any camera's photograph).
MAX_PIXELS = 89_478_485


class ImageProblem(ValueError):
    """Why a file cannot be an image of the dossier: the message of a located error."""


@dataclass(frozen=True)
class ImageFile:
    path: Path
    format: str  # as `FORMATS` names it
    width: int | None  # None for SVG
    height: int | None

    @property
    def media_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def misnamed(self) -> bool:
        """The extension names another format than the content's."""
        return self.path.suffix.lower() not in FORMATS[self.format][1]

    @property
    def kind(self) -> str:
        return "JPEG" if self.format == "MPO" else "WebP" if self.format == "WEBP" else self.format


def identify(path: Path) -> ImageFile:
    """The image `path` holds, read from its first bytes (nothing is decoded); `ImageProblem` if none."""
    if _looks_like_svg(_head(path)):
        return _svg(path)
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow warns above MAX_PIXELS: refused below, in a line of ours
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                name, size = image.format or "", image.size
    except UnidentifiedImageError:
        claimed = sniff(_head(path))
        if claimed:
            raise ImageProblem(f"is a damaged {claimed} file: Pillow cannot read it") from None
        raise ImageProblem(f"is not an image: its content is none of {SHOWN}") from None
    except Image.DecompressionBombError:
        limit = MAX_PIXELS // 1_000_000
        message = f"is more than {2 * limit} million pixels: the limit is {limit} million, reduce it"
        raise ImageProblem(message) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageProblem(f"cannot be read as an image: {exc}") from None
    if name not in FORMATS:
        raise ImageProblem(f"is a {name} image, which EPUB readers do not show: convert it to PNG or JPEG")
    if size[0] * size[1] > MAX_PIXELS:
        megapixels = size[0] * size[1] / 1e6
        raise ImageProblem(
            f"is {size[0]}×{size[1]} pixels ({megapixels:.0f} million): the limit is "
            f"{MAX_PIXELS // 1_000_000} million, reduce it"
        )
    _verify(path)
    return ImageFile(path, name, *size)


def sniff(data: bytes) -> str | None:
    """The raster format the first bytes announce (signatures only, nothing decoded)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(4096)


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE svg")) and b"<svg" in head


def _svg(path: Path) -> ImageFile:
    from lxml import etree

    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError as exc:
        raise ImageProblem(f"is not a well-formed SVG image: {exc}") from None
    if etree.QName(root).localname != "svg":
        raise ImageProblem(f"is not an image: its content is XML, none of {SHOWN}")
    return ImageFile(path, "SVG", None, None)


def _verify(path: Path) -> None:
    """A truncated or corrupt file is refused here, not half-drawn by the outputs."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as exc:  # Pillow raises many kinds for a corrupt file
        raise ImageProblem(f"is a damaged image file ({type(exc).__name__}: {exc})") from None
