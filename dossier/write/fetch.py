"""The only way WeasyPrint reads a resource: files inside the dossier and the shipped data.

WeasyPrint makes the URL fetcher a parameter so that the caller decides what may be read;
this one refuses the network, `file:` paths outside the allowed folders (symbolic links are
resolved first), and large `data:` URLs, and records every refusal for a located error.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

DATA_URL_LIMIT = 1_000_000


class RefusedResource(ValueError):
    pass


class DossierFetcher(URLFetcher):
    def __init__(self, allowed: list[Path]) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.allowed = [p.resolve() for p in allowed]
        self.refused: list[tuple[str, str]] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        try:
            return self._fetch(url, headers)
        except RefusedResource as exc:
            self.refused.append((url, str(exc)))
            raise

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
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed):
            raise RefusedResource(f"'{path}' is outside the dossier and the shipped layouts and assets")
        if not path.is_file():
            raise RefusedResource(f"'{path}' not found")
        mime, _ = mimetypes.guess_type(path.name)
        headers = {"Content-Type": mime or "application/octet-stream"}
        return URLFetcherResponse(url=path.as_uri(), body=path.read_bytes(), headers=headers)
