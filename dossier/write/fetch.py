"""The only way WeasyPrint reads a resource: files inside the dossier and the shipped data.

WeasyPrint makes the URL fetcher a parameter so that the caller decides what may be read;
this one refuses the network, `file:` paths outside the allowed folders (symbolic links are
resolved first), and large `data:` URLs, and records every refusal for a located error.

WeasyPrint names an image in the PDF after the MD5 of its URL, so real `file:` URLs would put
the dossier's folder (and the install's) into the bytes of the PDF. The print document is laid
out under fixed `file:///dossier:/...` URLs instead (`Mounts`), which the fetcher maps back to
the real folders: the same dossier gives the same PDF wherever it sits.

Images are typed by their content, not their name, and given to WeasyPrint in a form it draws
right (`dossier.write.images.for_print`).
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from dossier.write import images

DATA_URL_LIMIT = 1_000_000


class RefusedResource(ValueError):
    pass


class Mounts:
    """Fixed URLs for real folders: `file:///dossier:/NAME/relative/path`."""

    PREFIX = "file:///dossier:/"

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = {name: folder.resolve() for name, folder in folders.items()}

    def url(self, path: Path) -> str:
        """The fixed URL of `path` (a folder's URL ends with '/'), or its real URL outside the mounts."""
        path = path.resolve()
        for name, folder in self.folders.items():
            if path.is_relative_to(folder):
                relative = path.relative_to(folder).as_posix()
                return f"{self.PREFIX}{name}/{'' if relative == '.' else relative}"
        return path.as_uri()

    def path(self, url: str) -> Path | None:
        """The real path behind a fixed URL, None for any other URL."""
        if not url.startswith(self.PREFIX):
            return None
        name, _, relative = unquote(urlsplit(url).path).removeprefix("/dossier:/").partition("/")
        if name not in self.folders:
            raise RefusedResource(f"unknown folder '{name}'")
        return self.folders[name] / relative


class DossierFetcher(URLFetcher):
    def __init__(self, allowed: list[Path], mounts: Mounts | None = None) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.allowed = [p.resolve() for p in allowed]
        self.mounts = mounts or Mounts({})
        self.refused: list[tuple[str, str]] = []
        self.missing: dict[str, Path] = {}  # refused because the file is not there: URL → path
        self.read: dict[str, str] = {}  # each file URL asked for → the SHA-256 of its bytes, "" if absent

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            return self._fetch(url, headers)
        except RefusedResource as exc:
            self.refused.append((url, str(exc)))
            raise

    def path_of(self, url: str) -> Path | None:
        """The file behind a `file:` URL this fetcher reads (None for any other)."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            return None
        try:
            mounted = self.mounts.path(url)
        except RefusedResource:
            return None
        return (mounted or Path(url2pathname(unquote(parts.path)))).resolve()

    def _fetch(self, url: str, headers: dict | None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            if len(url) > DATA_URL_LIMIT:
                raise RefusedResource(f"data: URL larger than {DATA_URL_LIMIT} bytes")
            return super().fetch(url, headers)
        if scheme != "file":
            raise RefusedResource(f"'{scheme}:' resources are not fetched (the build never uses the network)")
        if parts.netloc not in ("", "localhost"):
            raise RefusedResource("remote file: URLs are not read")
        mounted = self.mounts.path(url)
        path = (mounted or Path(url2pathname(unquote(parts.path)))).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed):
            raise RefusedResource(f"'{path}' is outside the dossier and the shipped layouts and assets")
        if not path.is_file():
            self.missing[url] = path
            self.read[url] = ""
            raise RefusedResource(f"'{path}' not found")
        body = path.read_bytes()
        self.read[url] = hashlib.sha256(body).hexdigest()  # what the layout depends on (write/layoutcache.py)
        mime = images.media_type(body) or mimetypes.guess_type(path.name)[0]  # an image by its content
        if images.is_raster(body):
            body = images.for_print(body)
        headers = {"Content-Type": mime or "application/octet-stream"}
        return URLFetcherResponse(url=url if mounted else path.as_uri(), body=body, headers=headers)
