"""Bad and hostile input (issue 9): one located line per mistake, nothing read or fetched from
outside the dossier, no hostile markup in an output, bounded builds, previous outputs kept.

Each case copies tests/fixtures/mini, changes one file, and builds into a folder holding the
outputs of a good build (the session's `mini_build`); a failing build must leave them
byte-identical. Builds run as subprocesses with timeouts: a hang fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import CACHE, NS, copy_fixture, epub_documents, epubcheck_messages, pdf_text, run_cli

Mutation = Callable[[Path], object]
LINE = re.compile(r"^[^\s:][^:]*(:\d+(:\d+)?)?: (error|warning)\[[a-z0-9-]+\]: \S.*$")


def replace(relative: str, old: str, new: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def write(relative: str, data: bytes | str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")

    return mutate


def append(relative: str, text: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def bytes_replace(relative: str, old: bytes, new: bytes) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        data = path.read_bytes()
        assert old in data
        path.write_bytes(data.replace(old, new, 1))

    return mutate


def _tiff() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(out, "TIFF")
    return out.getvalue()


def _png_header(width: int, height: int) -> bytes:
    from tests.test_images import raw_png

    return raw_png(width, height, 1, 0, [b"\x00" * (width // 8)])


def empty_folder(root: Path) -> None:
    shutil.rmtree(root)
    root.mkdir()


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != CACHE}


def build_over_good_outputs(tmp_path: Path, mini_build, mutate: Mutation, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Build a changed copy of the mini dossier into a folder holding a good build's outputs;
    the outputs must be exactly as they were unless the build succeeded."""
    root = copy_fixture("mini", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for built in (mini_build.pdf, mini_build.epub):
        shutil.copy2(built, out / built.name)
    before = outputs(out)
    mutate(root)
    result = run_cli("build", str(root), "--out", str(out), *args, cwd=root)
    assert "Traceback" not in result.stderr
    if result.returncode != 0:
        assert outputs(out) == before, "a failed build changed or left files in --out"
    return result, out


# -- one located line per malformed input ------------------------------------------------------

_CHAPTERS_LIST = 'chapters = [\n    "chapters/01-texte.md",\n    "chapters/02-contexte.md",\n    "chapters/03-annexes.md",\n]'

CASES: dict[str, tuple[Mutation, str]] = {
    "toml-syntax": (
        replace("dossier.toml", 'publisher = "', "publisher = "),
        "dossier.toml:4:13: error[config-syntax]: invalid TOML: invalid value",
    ),
    "yaml-syntax": (
        replace("sources.yaml", "  title: Allocution à la nation", "  title: [Allocution"),
        "sources.yaml:4:9: error[yaml-syntax]: invalid YAML: expected ',' or ']', but got ':'",
    ),
    "front-matter-yaml": (
        replace("chapters/01-texte.md", "role: front", "role: [front"),
        "chapters/01-texte.md:2:13: error[yaml-syntax]: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ),
    "unknown-key": (
        replace("dossier.toml", "subjects =", "subjets ="),
        "dossier.toml:9:1: error[config-unknown-key]: unknown key 'subjets' (did you mean 'subjects'?)",
    ),
    "missing-key": (
        replace("dossier.toml", "publisher = \"Éditions d'essai\"\n", ""),
        "dossier.toml:1:1: error[config-missing-key]: missing key 'publisher'",
    ),
    "wrong-type": (
        replace("dossier.toml", "number = 2", 'number = "2"'),
        "dossier.toml:19:1: error[config-type]: 'edition.number': expected an integer",
    ),
    "wrong-type-choice": (
        append("dossier.toml", '\n[layout]\npaper = "A3"\n'),
        "dossier.toml:29:1: error[config-type]: 'layout.paper': 'A3' is not one of 'A4', 'A5' or 'Letter'",
    ),
    "layout-path": (
        append("dossier.toml", '\n[layout]\nname = "../../etc"\n'),
        "dossier.toml:29:1: error[config-layout]: unknown layout '../../etc' (known: default)",
    ),
    "sources-outside": (
        replace("dossier.toml", 'glossary = "glossary.yaml"', 'glossary = "glossary.yaml"\nsources = "/etc/passwd"'),
        "dossier.toml:17:1: error[config-outside]: 'sources': '/etc/passwd' is outside the dossier",
    ),
    "glossary-outside": (
        replace("dossier.toml", 'glossary = "glossary.yaml"', 'glossary = "../../secret.yaml"'),
        "dossier.toml:16:1: error[config-outside]: 'glossary': '../../secret.yaml' is outside the dossier",
    ),
    "chapter-listed-missing": (
        lambda root: (root / "chapters/02-contexte.md").unlink(),
        "dossier.toml:13:5: error[chapter-missing]: chapter 'chapters/02-contexte.md' is listed but does not exist",
    ),
    "chapter-outside": (
        replace("dossier.toml", '"chapters/03-annexes.md",', '"chapters/03-annexes.md", "../secret.md",'),
        "dossier.toml:14:31: error[chapter-outside]: chapter '../secret.md' is outside the dossier",
    ),
    "chapter-not-listed": (
        write("chapters/04-brouillon.md", "# Brouillon\n"),
        "chapters/04-brouillon.md: error[chapter-unlisted]: chapter file not listed in dossier.toml 'chapters' (add it, or move it out of chapters/)",
    ),
    "empty-heading": (  # found by the Hypothesis test: an empty entry in the EPUB's navigation
        replace("chapters/02-contexte.md", "## Un tableau", "## <b></b>"),
        "chapters/02-contexte.md:6:1: error[heading-empty]: heading without text",
    ),
    "unknown-citation": (
        replace("chapters/02-contexte.md", "[@agence, p. 3]", "[@agnce, p. 3]"),
        "chapters/02-contexte.md:3:97: error[source-unknown]: unknown source '@agnce' (not in sources); did you mean 'agence'?",
    ),
    "undefined-note": (
        replace("chapters/01-texte.md", "2022[^adresse]. Il", "2022[^adresse]. Il[^autre]"),
        "chapters/01-texte.md:7:71: error[note-undefined]: note '[^autre]' is called but never defined",
    ),
    "duplicate-note": (
        replace("chapters/01-texte.md", "[^adresse]: Le", "[^adresse]: Doublon.\n\n[^adresse]: Le"),
        "chapters/01-texte.md:14:1: error[note-duplicate]: note '[^adresse]' is defined twice (first at line 12)",
    ),
    "duplicate-source": (
        replace("sources.yaml", "- id: agence", "- id: discours"),
        "sources.yaml:10:3: error[source-duplicate]: duplicate source id 'discours' (first defined at line 1)",
    ),
    "impossible-date-yaml": (
        replace("sources.yaml", "issued: 2022-01-07", "issued: 2022-02-30"),
        "sources.yaml:6:11: error[yaml-syntax]: invalid YAML: impossible date '2022-02-30' (day is out of range for month)",
    ),
    "impossible-date-toml": (
        replace("dossier.toml", "date = 2022-01-07", "date = 2022-02-30"),
        "dossier.toml:10:8: error[config-syntax]: impossible date '2022-02-30'",
    ),
    "impossible-date-data": (
        replace("data/chronology.yaml", "date: 2022-01-02", "date: 2022-02-30"),
        "data/chronology.yaml:4:9: error[yaml-syntax]: invalid YAML: impossible date '2022-02-30' (day is out of range for month)",
    ),
    "unknown-locale": (
        replace("dossier.toml", 'locale = "fr_FR"', 'locale = "xx_YY"'),
        "dossier.toml:5:1: error[config-locale]: unknown locale 'xx_YY'",
    ),
    "missing-image": (
        lambda root: (root / "images/schema.png").unlink(),
        "chapters/02-contexte.md:15:1: error[image-missing]: image 'images/schema.png' not found",
    ),
    "pipe-named-as-image": (  # a named pipe would block whoever reads it: nothing may
        lambda root: (os.mkfifo(root / "images/pipe.png"), replace("chapters/02-contexte.md", "images/schema.png", "images/pipe.png")(root)),
        "chapters/02-contexte.md:15:1: error[image-missing]: image 'images/pipe.png' not found",
    ),
    "not-the-image-it-claims": (
        write("images/schema.png", b"GIF89a\x01\x00\x01\x00 not a PNG at all"),
        "chapters/02-contexte.md:15:1: error[image-format]: 'images/schema.png' is a damaged GIF file: Pillow cannot read it",
    ),
    "text-named-png": (
        write("images/schema.png", "Ceci n'est pas une image.\n"),
        "chapters/02-contexte.md:15:1: error[image-format]: 'images/schema.png' is not an image: its content is none of PNG, JPEG, GIF, WebP, SVG",
    ),
    "tiff-named-png": (  # a scan: Pillow reads it, no EPUB reader shows it
        write("images/schema.png", _tiff()),
        "chapters/02-contexte.md:15:1: error[image-format]: 'images/schema.png' is a TIFF image, which EPUB readers "
        "do not show: convert it to PNG or JPEG",
    ),
    "image-too-large": (  # a header claiming 100 million pixels: refused before anything decodes it
        write("images/schema.png", _png_header(10000, 10000)),
        "chapters/02-contexte.md:15:1: error[image-format]: 'images/schema.png' is 10000×10000 pixels (100 million): "
        "the limit is 89 million, reduce it",
    ),
    "empty-dossier-folder": (empty_folder, "dossier.toml: error[config-missing]: no dossier.toml here: not a dossier folder"),
    "empty-dossier-toml": (
        write("dossier.toml", "# rien encore\n"),
        "dossier.toml: error[config-empty]: dossier.toml is empty: it needs at least title, authors, publisher, locale, "
        "identifier, chapters and [edition] (`dossier new` writes one)",
    ),
    "no-chapters": (
        replace("dossier.toml", _CHAPTERS_LIST, "chapters = []"),
        "dossier.toml:11:1: error[config-type]: 'chapters': must not be empty",
    ),
    "grid-table-span": (  # Pandoc 3's spanning cell: refused, not cut at the column's edge
        append("chapters/02-contexte.md", "\n+-------+-------+\n| Deux colonnes |\n+=======+=======+\n| a     | b     |\n+-------+-------+\n"),
        "chapters/02-contexte.md:27:9: error[table-span]: a grid table's cell spans columns or rows, which dossier does "
        "not lay out: split it into one cell per column and row, or write the table as a pipe or multiline table",
    ),
    "empty-chapter": (
        write("chapters/02-contexte.md", ""),
        "chapters/02-contexte.md:1:1: error[chapter-title]: chapter without a title: start it with a '# ' heading, or give it a 'title:' in its front matter",
    ),
    "not-utf8": (
        bytes_replace("chapters/01-texte.md", "déclaré".encode(), b"d\xe9clar\xe9"),
        "chapters/01-texte.md:7:75: error[encoding]: not UTF-8: byte 0xe9 at offset 110; save the file as UTF-8",
    ),
    "control-character-in-yaml": (
        replace("sources.yaml", "Allocution à la nation", "Allocution\x01 à la nation"),
        "sources.yaml:3:20: error[yaml-character]: character U+0001 is not allowed in YAML: remove it",
    ),
    "control-character-in-toml": (
        replace("dossier.toml", "Dossier d'essai", "Dossier\x1b d'essai"),
        "dossier.toml:1:17: error[config-syntax]: invalid TOML: illegal character '\\x1b'",
    ),
    "huge-file": (
        write("chapters/02-contexte.md", ("# Trop long\n\n" + ("Une phrase assez ordinaire. " * 40 + "\n\n") * 4500)[:5_000_001]),
        "chapters/02-contexte.md: error[limit-file]: file of 5,000,001 bytes: the limit is 5,000,000",
    ),
    "nested-too-deep": (
        append("chapters/02-contexte.md", "\n" + "".join("  " * depth + "- niveau\n" for depth in range(80))),
        "chapters/02-contexte.md:84:1: error[limit-nesting]: lists or quotes nested too deep: the text stops being read here; "
        "nest at most 50 levels",
    ),
    "huge-paragraph": (
        append("chapters/02-contexte.md", "\n" + "mot " * 250_000 + "\n"),
        "chapters/02-contexte.md:26:1: error[limit-paragraph]: paragraph of 999,999 characters: the limit is 200,000; "
        "separate paragraphs with a blank line",
    ),
    "too-many-notes": (
        append(
            "chapters/02-contexte.md",
            "".join(
                "\n" + "".join(f"Phrase {i}[^n{i}]. " for i in range(start, start + 50)) + "\n"
                for start in range(0, 5000, 50)
            )
            + "\n" + "".join(f"[^n{i}]: Note {i}.\n" for i in range(5000)),
        ),
        "chapters/02-contexte.md:144:915: error[limit-notes]: more than 3,000 notes and citations: the page layout of so many "
        "footnotes takes too long; split the dossier",
    ),
    "too-many-notes-in-a-paragraph": (
        append(
            "chapters/02-contexte.md",
            "\n" + "".join(f"Phrase {i}[^n{i}]. " for i in range(150)) + "\n\n"
            + "".join(f"[^n{i}]: Note {i}.\n" for i in range(150)),
        ),
        "chapters/02-contexte.md:26:1691: error[limit-paragraph-notes]: more than 100 notes called in one paragraph: the page layout of so "
        "many footnotes takes too long; spread them over several paragraphs",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_input_is_one_located_line(case: str, tmp_path: Path, mini_build) -> None:
    mutate, expected = CASES[case]
    result, _ = build_over_good_outputs(tmp_path, mini_build, mutate)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error[" in line or not LINE.match(line)]
    assert errors == [expected]
    assert result.stdout == ""


def test_unknown_front_matter_key_warns_and_fails_a_strict_build(tmp_path: Path, mini_build) -> None:
    """Pandoc lets front matter carry any key, so an unknown one is a located warning, not an error;
    a desk whose CI builds with --strict still has it stop the build."""
    mutate = replace("chapters/01-texte.md", "role: front", "rôle: front")
    warning = (
        "chapters/01-texte.md:2:1: warning[front-matter-ignored]: unknown front matter key 'rôle' is not used "
        "(a chapter's keys: title, role, lang, type, nocite)"
    )
    result, _ = build_over_good_outputs(tmp_path / "lax", mini_build, mutate)
    assert result.returncode == 0 and warning in result.stderr.splitlines()
    result, _ = build_over_good_outputs(tmp_path / "strict", mini_build, mutate, "--strict")
    assert result.returncode == 1 and result.stderr.splitlines() == [warning.replace("warning[", "error[")]


def test_bom_and_crlf_are_accepted_silently(tmp_path: Path, mini_build) -> None:
    def bom_crlf(root: Path) -> None:
        for path in [*root.glob("**/*.md"), *root.glob("**/*.yaml"), root / "dossier.toml", root / "spelling.txt"]:
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))

    result, out = build_over_good_outputs(tmp_path, mini_build, bom_crlf)
    assert result.returncode == 0, result.stderr
    assert result.stderr == mini_build.stderr  # no word about the BOM or the line endings
    # the same text, so the same books, byte for byte (a build does not depend on the folder)
    assert (out / mini_build.epub.name).read_bytes() == mini_build.epub.read_bytes()
    assert (out / mini_build.pdf.name).read_bytes() == mini_build.pdf.read_bytes()


# -- nothing fetched, nothing read from outside ---------------------------------------------------

class CountingServer:
    """An HTTP server on 127.0.0.1 that counts the requests it receives (it should get none)."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.requests: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                server.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = CountingServer()
    yield running
    running.close()


# Runs a build with Python's audit hooks recording every file opened and every connection
# attempted (the events `open` and `socket.connect`), then prints them as JSON on the last line.
_PROBE = """
import json, sys
opened, connected = [], []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        opened.append(args[0] if isinstance(args[0], str) else args[0].decode(errors="replace"))
    elif event == "socket.connect":
        connected.append(repr(args[1]))
sys.addaudithook(hook)
from dossier.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "opened": opened, "connected": connected}))
"""


def probed_build(root: Path, out: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    import json
    import os
    import sys

    from tests.helpers import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DOSSIER_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, "build", str(root), "--out", str(out), *args],
        capture_output=True, text=True, cwd=root, env=env, timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result, json.loads(result.stdout.splitlines()[-1])


def _secrets(tmp_path: Path) -> list[Path]:
    """Files outside the dossier that a hostile chapter names: none may ever be opened."""
    secret = tmp_path / "secret"
    secret.write_text("mot de passe\n")
    (tmp_path / "secret.css").write_text("body { color: red }\n")
    return [secret, tmp_path / "secret.css", Path("/etc/passwd")]


def _never_opened(record: dict, secrets: list[Path]) -> None:
    names = {str(s) for s in secrets} | {str(s.resolve()) for s in secrets}
    assert not [path for path in record["opened"] if str(Path(path).resolve()) in names or path in names]
    assert record["connected"] == []


def test_markdown_links_and_images_outside_are_refused_never_read(tmp_path: Path, server, mini_build) -> None:
    secrets = _secrets(tmp_path)
    chapter = (
        "\n## Ailleurs\n\n"
        "Un [lien](file:///etc/passwd), un [autre](../../secret), une [adresse](<file:///etc/passwd>) "
        f"et un [serveur]({server.url}/page) (permis : un lien ne se charge pas).\n\n"
        "![Mot de passe](file:///etc/passwd)\n\n"
        "![Secret](../../secret)\n\n"
        f"![Serveur]({server.url}/image.png)\n\n"
        "![Lien symbolique](images/evil.png)\n\n"
        "Un [script](javascript:alert(1)) et <file:///etc/passwd>.\n"
    )

    def hostile(root: Path) -> None:
        append("chapters/02-contexte.md", chapter)(root)
        (root / "images/evil.png").symlink_to("/etc/passwd")

    root = copy_fixture("mini", tmp_path / "d")
    hostile(root)
    result, record = probed_build(root, tmp_path / "out")
    assert record["status"] == 1
    assert result.stderr.splitlines() == [
        "chapters/02-contexte.md:28:9: error[link-scheme]: link to 'file:///etc/passwd' refused: a link goes to an http, https or mailto address or to a chapter",
        "chapters/02-contexte.md:28:41: error[link-chapter]: link to '../../secret', which is not a chapter of the dossier",
        "chapters/02-contexte.md:28:70: error[link-scheme]: link to 'file:///etc/passwd' refused: a link goes to an http, https or mailto address or to a chapter",
        "chapters/02-contexte.md:30:1: error[image-remote]: image 'file:///etc/passwd' is not a file of the dossier",
        "chapters/02-contexte.md:32:1: error[image-outside]: image '../../secret' is outside the dossier",
        f"chapters/02-contexte.md:34:1: error[image-remote]: image '{server.url}/image.png' is not a file of the dossier",
        "chapters/02-contexte.md:36:1: error[image-outside]: image 'images/evil.png' is outside the dossier",
        "chapters/02-contexte.md:38:11: error[link-scheme]: link to 'javascript:alert(1)' refused: a link goes to an http, https or mailto address or to a chapter",
        "chapters/02-contexte.md:38:37: error[link-scheme]: link to 'file:///etc/passwd' refused: a link goes to an http, https or mailto address or to a chapter",
    ]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    _never_opened(record, secrets)
    assert server.requests == []


HOSTILE_HTML = """
## Balisage

<script>alert("script")</script>

<div onclick="alert('div')" style="background: url({url}/style-attr.png)">Un bloc&#xFFFE;&#1;&#0;
<a href="javascript:alert('a')">js</a> <a href="JaVaScRiPt:alert('b')">js2</a>
<a href="../../secret">relatif</a> <a href="file:///etc/passwd">fichier</a>
<a href="https://example.org/ok">permis</a>
<img src="{url}/img.png" alt="x"> <img src="file:///etc/passwd" alt="y"> <img src="../../secret" alt="z"></div>

<iframe src="{url}/iframe"></iframe>

<object data="{url}/object"></object><embed src="{url}/embed">

<form action="{url}/form"><input name="q"><button>Envoyer</button></form>

<link rel="stylesheet" href="{url}/link.css">

<link rel="stylesheet" href="../../secret.css">

<style>@import url({url}/import.css); @import "../../secret.css"; p {{ background: url(file:///etc/passwd) }}</style>

<svg><script>alert("svg")</script><image href="{url}/svg.png"/><foreignObject><iframe src="{url}/fo"></iframe></foreignObject></svg>

<math><mtext><script>alert("math")</script></mtext></math>

Dans la ligne : <span style="background:url({url}/inline.png)" onmouseover="alert('span')">survol</span>,
<a href="data:text/html,&lt;script&gt;alert('data')&lt;/script&gt;">données</a>,
<b>gras [le texte](01-texte.md)</b> et <img src=x onerror="alert('img')">.
"""

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "input", "button", "link", "style", "img", "math", "foreignObject"}


def test_raw_html_refused_by_configuration(tmp_path: Path, server, mini_build) -> None:
    def refuse(root: Path) -> None:
        replace("dossier.toml", "[edition]", '[layout]\nraw_html = "refuse"\n\n[edition]')(root)
        append(
            "chapters/02-contexte.md",
            f'\n<!-- une remarque de rédaction, permise -->\n\n<div onclick="x()">bloc</div>\n\n'
            f'Dans la ligne, <img src="{server.url}/i.png" alt="x">.\n',
        )(root)

    result, _ = build_over_good_outputs(tmp_path, mini_build, refuse)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "chapters/02-contexte.md:28:1: error[raw-html]: raw HTML '<div onclick=\"x()\">bloc</div>' is refused (layout.raw_html = \"refuse\"): write it in Markdown",
        f"chapters/02-contexte.md:30:16: error[raw-html]: raw HTML '<img src=\"{server.url}/i.png\" alt=\"x\">' is refused (layout.raw_html = \"refuse\"): write it in Markdown",
    ]
    assert server.requests == []


def test_fetcher_refuses_everything_outside(tmp_path: Path, server) -> None:
    from dossier.write.fetch import DATA_URL_LIMIT, DossierFetcher, Mounts, RefusedResource

    root = copy_fixture("mini", tmp_path / "d")
    secret = _secrets(tmp_path)[0]
    (root / "images/evil.png").symlink_to(secret)
    (root / "escape").symlink_to(tmp_path)
    fetcher = DossierFetcher([root])
    image = root / "images/schema.png"
    assert fetcher.fetch(image.as_uri()).read() == image.read_bytes()
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    refused = [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file:////etc/passwd",
        secret.as_uri(),
        (root / "chapters/../../secret").as_uri(),
        root.as_uri() + "/chapters/%2E%2E/%2E%2E/secret",
        (root / "images/evil.png").as_uri(),
        (root / "escape/secret").as_uri(),
        f"{server.url}/x.css",
        f"https://127.0.0.1:{server.url.rsplit(':', 1)[1]}/x.css",
        "ftp://127.0.0.1/x",
        "file://example.org/etc/passwd",
        "data:text/plain," + "a" * DATA_URL_LIMIT,
    ]
    for url in refused:
        with pytest.raises(RefusedResource):
            fetcher.fetch(url)
    assert [url for url, _ in fetcher.refused] == refused
    mounted = DossierFetcher([root], Mounts({"dossier": root}))
    assert mounted.fetch(Mounts.PREFIX + "dossier/images/schema.png").read() == image.read_bytes()
    for url in ("dossier/../../secret", "dossier/%2E%2E/%2E%2E/secret", "dossier/images/evil.png", "autre/x"):
        with pytest.raises(RefusedResource):
            mounted.fetch(Mounts.PREFIX + url)
    assert server.requests == []


def test_layout_refuses_a_hostile_stylesheet_with_a_located_error(tmp_path: Path, server) -> None:
    """Layouts are shipped (a dossier cannot name another folder: see the layout-path case);
    were one to reference the outside, the build stops before writing anything."""
    from dossier.errors import DossierError
    from dossier.load.config import load_config
    from dossier.render import Rendered
    from dossier.write.pdf import layout

    root = copy_fixture("mini", tmp_path / "d")
    _secrets(tmp_path)
    sheet = tmp_path / "hostile.css"
    sheet.write_text(
        f'@import url("{server.url}/import.css");\n@import url("file:///etc/passwd");\n'
        f'@font-face {{ font-family: X; src: url("{(root / "../secret").as_posix()}"); }}\n'
        f'body {{ background: url("{server.url}/bg.png"); font-family: X; }}\n'
    )
    rendered = Rendered(
        print_html="<html><body><p>Texte</p></body></html>", print_stylesheets=[sheet],
        epub_documents=[], epub_stylesheet=sheet, layout_dirs=[tmp_path],
    )
    with pytest.raises(DossierError) as exc:
        layout(rendered, load_config(root))
    lines = [d.format(root) for d in exc.value.report.errors]
    assert f"dossier.toml: error[resource-refused]: resource refused: {server.url}/import.css: 'http:' resources are not fetched (the build never uses the network)" in lines
    assert "dossier.toml: error[resource-refused]: resource refused: file:///etc/passwd: '/etc/passwd' is outside the dossier and the shipped layouts and assets" in lines
    assert len(lines) == 4, lines
    assert server.requests == []


# -- limits: long runs break, big inputs stay bounded -----------------------------------------------

LONG = (
    "\n## Longueurs\n\n"
    "Un mot : " + "anticonstitutionnellement" * 200 + " fin du mot.\n\n"
    "Une adresse : <https://example.org/" + "chemin/" * 700 + "fin>.\n\n"
    "Un lien [https://example.org/" + "x" * 5000 + "](https://example.org/long) et *" + "é" * 5000 + "* en italique.\n\n"
    "Du code : `" + "c" * 3000 + "`.\n\n"
    "```\n" + "ligne_de_code_sans_espace_" * 20 + "\n```\n\n"
    + "".join("  " * depth + "- niveau " + str(depth + 1) + "\n" for depth in range(50))
)


@dataclass
class HostileBuild:
    result: subprocess.CompletedProcess[str]
    record: dict
    out: Path
    secrets: list[Path]
    server: CountingServer

    @property
    def epub(self) -> Path:
        return next(self.out.glob("*.epub"))

    @property
    def pdf(self) -> Path:
        return next(self.out.glob("*.pdf"))


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory):
    """One build of everything hostile that should still build: control characters pasted in
    the second chapter, raw HTML in the first, very long words, URLs and deep lists at the end
    of the second, a named pipe and a symbolic link leading out lying in the folder; under audit
    hooks, with a local server that counts requests."""
    base = tmp_path_factory.mktemp("hostile")
    server = CountingServer()
    secrets = _secrets(base)
    root = copy_fixture("mini", base / "d")
    replace("chapters/02-contexte.md", "des habitants", "des\x0b habit\x01ants\x7f\x1b")(root)
    append("chapters/01-texte.md", HOSTILE_HTML.format(url=server.url))(root)
    append("chapters/02-contexte.md", LONG)(root)
    os.mkfifo(root / "notes-de-travail")  # a named pipe in the folder: reading it would block the build
    (root / "lien-sortant.txt").symlink_to(secrets[0])  # a file of the folder that leads out
    result, record = probed_build(root, base / "out")
    yield HostileBuild(result, record, base / "out", secrets, server)
    server.close()


def test_hostile_build_succeeds_reading_nothing_outside(hostile_build: HostileBuild) -> None:
    assert hostile_build.record["status"] == 0, hostile_build.result.stderr
    _never_opened(hostile_build.record, hostile_build.secrets)
    assert hostile_build.server.requests == []
    assert epubcheck_messages(hostile_build.epub) == []
    check = subprocess.run(["qpdf", "--check", str(hostile_build.pdf)], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout


def test_control_characters_are_removed_with_located_warnings(hostile_build: HostileBuild) -> None:
    warnings = [line for line in hostile_build.result.stderr.splitlines() if "control character" in line]
    assert warnings == [
        "chapters/02-contexte.md:3:18: warning[control-character]: control character U+000B removed",
        "chapters/02-contexte.md:3:25: warning[control-character]: control character U+0001 removed",
        "chapters/02-contexte.md:3:30: warning[control-character]: control character U+007F removed",
        "chapters/02-contexte.md:3:31: warning[control-character]: control character U+001B removed",
    ]
    text = "".join(epub_documents(hostile_build.epub)["EPUB/ch2.xhtml"].itertext())
    assert "des habitants" in text and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    assert "des habitants" in pdf_text(hostile_build.pdf)


def test_raw_html_is_sanitised_in_both_outputs(hostile_build: HostileBuild) -> None:
    chapter = epub_documents(hostile_build.epub)["EPUB/ch1.xhtml"]
    body = chapter.find("x:body", NS)
    heading = body.find(".//x:h2[@id='ch1-balisage']", NS)
    hostile = [e for sibling in heading.itersiblings() for e in sibling.iter() if isinstance(e.tag, str)]
    assert "survol" in "".join(t for e in hostile for t in e.itertext())
    for element in hostile:
        assert etree.QName(element).localname not in FORBIDDEN_TAGS
        for name, value in element.attrib.items():
            assert not name.startswith("on") and name != "style", (name, value)
            if name == "href":
                assert value.startswith(("https://", "http://", "mailto:", "ch", "#")), value
    with zipfile.ZipFile(hostile_build.epub) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist() if n.endswith((".xhtml", ".opf", ".ncx")))
    for word in (b"alert(", b"javascript:", b"127.0.0.1", b"passwd", b"secret", b"@import", b"url("):
        assert word not in everything, word
    links = {e.get("href") for e in hostile if e.tag == f"{{{NS['x']}}}a"}
    assert "https://example.org/ok" in links and "ch1.xhtml#ch1" in links  # what is allowed stays

    text = pdf_text(hostile_build.pdf)
    assert "survol" in text and "Un bloc" in text and "alert" not in text
    from pypdf import PdfReader

    uris = []
    for page in PdfReader(str(hostile_build.pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    assert "https://example.org/ok" in uris
    assert not [u for u in uris if not u.startswith(("https://", "http://", "mailto:"))], uris
    assert not [u for u in uris if "127.0.0.1" in u or "passwd" in u or "secret" in u]


def test_long_words_and_urls_break_in_the_pdf_and_deep_lists_build(hostile_build: HostileBuild) -> None:
    import pdfplumber

    with pdfplumber.open(hostile_build.pdf) as pdf:
        outside = [
            (page.page_number, c["text"])
            for page in pdf.pages
            for c in page.chars
            if c["x0"] < 0 or c["x1"] > page.width or c["top"] < 0 or c["bottom"] > page.height
        ]
        letters = sum(1 for page in pdf.pages for c in page.chars if c["text"] == "é")
    assert outside == []
    assert letters >= 5000  # the long italic word is there, broken over lines, not clipped
    assert re.search(r"niveau\s50", "".join(epub_documents(hostile_build.epub)["EPUB/ch2.xhtml"].itertext()))


# -- generated chapters: a build succeeds with valid outputs, or fails with located lines ----------

FRAGMENTS = [
    "مرحبا بالعالم", "שָׁלוֹם עֲלֵיכֶם", "\u202eévil\u202c", "\u200f", "\u200d", "e\u0301\u0323\u0308", "Z\u0351\u0352\u0353\u0354",
    "👩‍👩‍👧‍👦", "🇫🇷", "\U0001f600", "\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ufffe", "\uffff",
    "\u2028", "\u00ad", "\ufeff", "\ue000", "\U0010fffd", "**", "_", "*", "`", "```", "~~~", "[^n]", "\n\n[^n]: Une note.\n\n",
    "[@discours]", "[@discours, p. 3]", "[@inconnu]", "[", "]", "(", ")", "![", "](", "\n# ", "\n## ", "\n> ", "\n- ", "\n1. ",
    "|", "\n| a | b |\n| - | - |\n| c | d |\n", "\\", "&amp;", "&#0;", "&#x1;", "&#xFFFE;", "&nbsp;", "&bogus;", "<", ">",
    "<b>", "</b>", "<script>alert(1)</script>", "<div>", "</div>", "<!--", "-->", "<img src=x onerror=alert(1)>",
    "<a href='javascript:x()'>", "</a>", "<style>p{}</style>", "\n```{chronology}\n", "\n---\n", "\n", "\n\n", "    ", "\t",
    " : ", "« ", " »", " ?", "!", ";", "http://example.org/", "https://", "mailto:x@example.org", "<https://example.org>",
]


def _chapter_text() -> object:
    from hypothesis import strategies as st

    chunk = st.one_of(
        st.sampled_from(FRAGMENTS),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12),
    )
    return st.lists(chunk, max_size=30).map("".join)


def _fuzz_examples() -> int:
    import os

    return int(os.environ.get("DOSSIER_FUZZ_EXAMPLES", "8"))


def test_generated_chapters_build_or_fail_cleanly(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each generated chapter: exit 0 with an EPUB that EPUBCheck accepts and a PDF that
    `qpdf --check` accepts, or exit 1 with located one-line messages; never a traceback,
    an internal error (exit 3) or a hang (the subprocess has a timeout).
    DOSSIER_FUZZ_EXAMPLES=200 for a longer, randomised run (DOSSIER_FUZZ_SHRINK=0 to skip the
    slow shrinking of a failing example)."""
    import os

    from hypothesis import HealthCheck, Phase, example, given, settings

    examples = _fuzz_examples()

    shrink = os.environ.get("DOSSIER_FUZZ_SHRINK", "1") != "0"  # 0: report the first failure as found

    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=examples <= 10,
        suppress_health_check=list(HealthCheck), phases=tuple(Phase) if shrink else (Phase.explicit, Phase.generate),
    )
    @given(text=_chapter_text())
    @example(text="مرحبا بالعالم\n## ")  # found by a longer run: an empty heading, empty in the navigation
    def build_one(text: str) -> None:
        base = tmp_path_factory.mktemp("fuzz")
        root = copy_fixture("mini", base)
        path = root / "chapters/01-texte.md"
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")
        result = run_cli("build", str(root), "--out", str(base / "out"), cwd=root)
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert all(LINE.match(line) for line in lines), lines
        if result.returncode == 0:
            epub, pdf = next((base / "out").glob("*.epub")), next((base / "out").glob("*.pdf"))
            assert epubcheck_messages(epub) == [], text
            check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True, timeout=120)
            assert check.returncode == 0, check.stdout + check.stderr
        else:
            assert result.returncode == 1, result.stderr
            assert any(": error[" in line for line in lines)
            assert not (base / "out").exists() or not any((base / "out").iterdir())
        shutil.rmtree(base)

    build_one()
