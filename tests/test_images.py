"""Images as each output needs them (dossier/load/images.py, dossier/write/images.py), on images
made here with Pillow; the built PDF and EPUB are read back in tests/test_import.py."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from dossier.load.images import ImageProblem, identify
from dossier.write.images import EPUB_LONG_SIDE, epub_name, for_epub, for_print


def grey16(width: int = 512, height: int = 64) -> Image.Image:
    """A 16-bit greyscale ramp, 0 to 65 535 left to right (a scanner's output)."""
    row = b"".join(struct.pack("<H", round(x * 65535 / (width - 1))) for x in range(width))
    return Image.frombytes("I;16", (width, height), row * height)


def png_bytes(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **options)
    return out.getvalue()


def photograph(width: int, height: int) -> Image.Image:
    """Something with a photograph's statistics (smooth light, grain), not a real photograph."""
    grain = Image.effect_noise((width, height), 40)
    light = Image.radial_gradient("L").resize((width, height))
    return Image.merge("RGB", (light, grain, Image.linear_gradient("L").resize((width, height))))


def raw_png(width: int, height: int, bit_depth: int, colour: int, rows: list[bytes], trns: bytes = b"") -> bytes:
    """A PNG written chunk by chunk, for the forms Pillow does not write (a 16-bit grey tRNS)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour, 0, 0, 0)
    body = zlib.compress(b"".join(b"\x00" + row for row in rows))
    extra = chunk(b"tRNS", trns) if trns else b""
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_16_bit_grey_is_scaled_to_8_bits_for_print_not_clipped() -> None:
    data = png_bytes(grey16())
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    printed = Image.open(io.BytesIO(for_print(data)))
    assert printed.mode == "L"
    row = [printed.getpixel((x, 10)) for x in range(0, 512, 64)]
    assert row == [round(x * 255 / 511) for x in range(0, 512, 64)]  # a ramp, not black, not white
    assert printed.getpixel((511, 0)) == 255


def test_16_bit_grey_with_a_transparent_value_keeps_it_transparent() -> None:
    row = b"".join(struct.pack(">H", 0 if x < 8 else 40000) for x in range(16))
    data = raw_png(16, 4, 16, 0, [row] * 4, trns=struct.pack(">H", 0))
    printed = Image.open(io.BytesIO(for_print(data)))
    assert printed.mode == "LA"
    assert printed.getpixel((0, 0))[1] == 0 and printed.getpixel((15, 0)) == (round(40000 * 255 / 65535), 255)


def test_images_weasyprint_draws_right_are_given_as_written() -> None:
    palette = Image.linear_gradient("L").convert("RGB").quantize(16)
    for image in (palette, Image.new("RGB", (40, 30), (200, 10, 10)), Image.new("LA", (8, 8), (90, 128))):
        data = png_bytes(image)
        assert for_print(data) is data
    jpeg = io.BytesIO()
    photograph(300, 200).save(jpeg, "JPEG")
    assert for_print(jpeg.getvalue()) is jpeg.getvalue() or for_print(jpeg.getvalue()) == jpeg.getvalue()


def test_a_lossy_webp_goes_to_print_as_a_jpeg_a_lossless_one_as_written() -> None:
    picture = photograph(600, 400)
    lossy, lossless = io.BytesIO(), io.BytesIO()
    picture.save(lossy, "WEBP", quality=80)
    picture.save(lossless, "WEBP", lossless=True)
    printed = Image.open(io.BytesIO(for_print(lossy.getvalue())))
    assert printed.format == "JPEG" and printed.size == (600, 400)
    assert for_print(lossless.getvalue()) == lossless.getvalue()


def test_the_epub_copy_is_reader_sized_upright_and_deterministic() -> None:
    picture = photograph(4000, 3000)
    picture.paste((10, 10, 220), (0, 0, 400, 3000))  # a blue band on the left, as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90° clockwise: the band is then on top
    data = io.BytesIO()
    picture.save(data, "JPEG", quality=92, exif=exif)
    copy = for_epub(data.getvalue())
    shown = Image.open(io.BytesIO(copy))
    assert shown.format == "JPEG" and shown.size == (1500, EPUB_LONG_SIDE)
    assert shown.getexif().get(0x0112) is None  # turned upright, so no reader turns it again
    top, bottom = shown.getpixel((750, 20)), shown.getpixel((750, 1980))
    assert top[2] > 180 and top[0] < 60 and not (bottom[2] > 180 and bottom[0] < 60)
    assert len(copy) < len(data.getvalue()) / 2
    # the same bytes again, as a rebuild in another process would make them
    from dossier.write.images import _reader_copy

    assert _reader_copy(data.getvalue()) == copy


def test_an_image_within_the_reader_size_goes_into_the_epub_byte_for_byte() -> None:
    data = png_bytes(photograph(1200, 800))
    assert for_epub(data) is data
    assert Image.open(io.BytesIO(for_epub(png_bytes(grey16())))).mode == "L"  # 16-bit: 8 bits in the EPUB too


def test_epub_names_are_urls_and_say_what_the_file_holds(tmp_path: Path) -> None:
    png = tmp_path / "plan.png"
    png.write_bytes(png_bytes(Image.new("RGB", (4, 4))))
    jpeg_named_png = tmp_path / "photo.png"
    Image.new("RGB", (4, 4)).save(jpeg_named_png, "JPEG")
    assert epub_name("images/plan.png", identify(png)) == "images/plan.png"
    assert epub_name("images/été.png", identify(png)) == "images/été.png"  # EPUBCheck accepts accents
    spaced = epub_name("images/site map.png", identify(png))
    assert spaced.startswith("images/site-map-") and spaced.endswith(".png") and " " not in spaced
    assert spaced != epub_name("images/site-map.png", identify(png))  # two files never meet
    renamed = epub_name("images/photo.png", identify(jpeg_named_png))
    assert renamed.startswith("images/photo-") and renamed.endswith(".jpg")


def test_identify_reads_the_content_and_refuses_what_no_output_shows(tmp_path: Path) -> None:
    jpeg = tmp_path / "scan.png"
    Image.new("RGB", (30, 20)).save(jpeg, "JPEG")
    found = identify(jpeg)
    assert (found.format, found.media_type, found.misnamed, found.width) == ("JPEG", "image/jpeg", True, 30)
    tiff = tmp_path / "scan.jpg"
    Image.new("RGB", (30, 20)).save(tiff, "TIFF")
    huge, bomb = tmp_path / "huge.png", tmp_path / "bomb.png"
    huge.write_bytes(raw_png(10000, 10000, 1, 0, [b"\x00" * 1250]))  # only the header is read
    bomb.write_bytes(raw_png(20000, 20000, 1, 0, [b"\x00" * 2500]))
    damaged = tmp_path / "cut.png"
    damaged.write_bytes(png_bytes(photograph(200, 100))[:300])
    svg = tmp_path / "figure.png"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', encoding="utf-8")
    assert identify(svg).format == "SVG" and identify(svg).misnamed
    expected = {
        tiff: "is a TIFF image, which EPUB readers do not show: convert it to PNG or JPEG",
        huge: "is 10000×10000 pixels (100 million): the limit is 89 million, reduce it",
        bomb: "is more than 178 million pixels: the limit is 89 million, reduce it",
        damaged: "is a damaged image file",
    }
    for path, message in expected.items():
        with pytest.raises(ImageProblem) as problem:
            identify(path)
        assert str(problem.value).startswith(message), str(problem.value)
