"""EPUB edition: ebooklib assembles the package; the zip is then made reproducible.

ebooklib writes the OPF, the NCX and the zip. Our XHTML documents (navigation included) come
from the layout templates and are added as plain items so that ebooklib keeps them byte for
byte. ebooklib stamps zip entries with the current time, so the archive is rewritten with the
edition's timestamp and a fixed entry order (reproducible-builds.org).
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import zipfile
from pathlib import Path

from dossier import __version__
from dossier.model import Book
from dossier.render import Rendered
from dossier.resources import assets_dir

FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
EPUB_FONTS = ("Vollkorn-Regular.ttf", "Vollkorn-Italic.ttf", "Vollkorn-SemiBold.ttf", "Inter-SemiBold.otf")


def build_time(book: Book, source_date_epoch: int | None) -> dt.datetime:
    """The one timestamp of a build: SOURCE_DATE_EPOCH when set, else the edition's date."""
    if source_date_epoch is not None:
        return dt.datetime.fromtimestamp(source_date_epoch, tz=dt.UTC)
    date = book.config.edition.date
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def write_epub(book: Book, rendered: Rendered, target: Path, stamp: dt.datetime) -> None:
    from ebooklib import epub

    config = book.config
    package = epub.EpubBook()
    package.set_identifier(config.identifier)
    package.set_title(config.title)
    package.set_language(config.language)
    for author in config.authors:
        package.add_author(author, uid=f"creator-{config.authors.index(author) + 1}")
    package.add_metadata("DC", "publisher", config.publisher)
    package.add_metadata("DC", "date", config.edition.date.isoformat())
    if config.description:
        package.add_metadata("DC", "description", config.description)
    for subject in config.subjects:
        package.add_metadata("DC", "subject", subject)
    package.add_metadata(None, "meta", "", {"name": "generator", "content": f"dossier {__version__}"})

    package.add_item(
        epub.EpubItem(uid="css", file_name="css/epub.css", media_type="text/css", content=rendered.epub_stylesheet.read_bytes())
    )
    for index, name in enumerate(EPUB_FONTS, 1):
        path = assets_dir() / "fonts" / name
        package.add_item(
            epub.EpubItem(uid=f"font-{index}", file_name=f"fonts/{name}", media_type=FONT_TYPES[path.suffix], content=path.read_bytes())
        )
    for index, image in enumerate(book.images, 1):
        relative = image.relative_to(config.root).as_posix()
        media_type = mimetypes.guess_type(image.name)[0] or "application/octet-stream"
        package.add_item(epub.EpubImage(uid=f"image-{index}", file_name=relative, media_type=media_type, content=image.read_bytes()))

    for index, figure in enumerate(rendered.epub_files, 1):
        package.add_item(
            epub.EpubImage(uid=f"figure-{index}", file_name=figure.name,
                           media_type=figure.media_type, content=figure.content)
        )

    items = {}
    for document in rendered.epub_documents:
        item = epub.EpubItem(
            uid=document.name.removesuffix(".xhtml"),
            file_name=document.name,
            media_type="application/xhtml+xml",
            content=document.content,
        )
        item.properties = list(document.properties)
        package.add_item(item)
        items[document.name] = item
    package.add_item(epub.EpubNcx())
    package.toc = [
        epub.Link(f"{c.file_name}#{c.anchor}", c.title, f"toc-{c.anchor}") for c in book.chapters
    ]
    package.spine = [items[d.name] for d in rendered.epub_documents if d.kind != "nav"]

    raw = target.with_name(target.name + ".raw")
    try:
        epub.write_epub(str(raw), package, {"mtime": stamp, "epub3_landmark": False, "epub3_pages": False, "raise_exceptions": True})
        _reproducible_zip(raw, target, stamp)
    finally:
        raw.unlink(missing_ok=True)


def _reproducible_zip(source: Path, target: Path, stamp: dt.datetime) -> None:
    """Rewrite the archive: mimetype first and stored, then fixed order and timestamps."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(source) as original:
        names = original.namelist()
        contents = {name: original.read(name) for name in names}
    first = ["mimetype", "META-INF/container.xml"]
    order = first + sorted(n for n in names if n not in first)
    with zipfile.ZipFile(target, "w") as out:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            out.writestr(info, contents[name], compresslevel=9 if name != "mimetype" else None)
