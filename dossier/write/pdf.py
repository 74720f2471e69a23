"""PDF edition: WeasyPrint lays out the print document; tagged PDF/UA-1 by default."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dossier.errors import DossierError, Location, Report
from dossier.model import Config
from dossier.render import Rendered
from dossier.resources import assets_dir

PDF_VARIANTS = {"pdf/ua-1", "pdf/a-3b", "pdf/a-3u"}


@dataclass
class PdfOptions:
    variant: str = "pdf/ua-1"


def layout(rendered: Rendered, config: Config) -> Any:
    """WeasyPrint's `Document`: the pages, kept so the EPUB can use the same page breaks."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dossier.write.fetch import DossierFetcher

    fetcher = DossierFetcher([config.root, *rendered.layout_dirs, assets_dir()])
    fonts = FontConfiguration()
    stylesheets = [CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts) for p in rendered.print_stylesheets]
    html = HTML(string=rendered.print_html, base_url=config.root.as_uri() + "/", url_fetcher=fetcher)
    with _quiet_weasyprint():
        document = html.render(stylesheets=stylesheets, font_config=fonts)
    _refusals(fetcher, config)
    return document


def write_pdf(document: Any, config: Config, target: Path, options: PdfOptions) -> None:
    identifier = hashlib.sha256(f"{config.identifier}#{config.edition.number}".encode()).hexdigest()[:32]
    with _quiet_weasyprint():
        document.write_pdf(
            str(target),
            pdf_variant=options.variant,
            pdf_identifier=identifier.encode(),
            pdf_tags=True,
        )


def _refusals(fetcher: Any, config: Config) -> None:
    if not fetcher.refused:
        return
    report = Report()
    for url, reason in fetcher.refused:
        report.error("resource-refused", Location(config.path), f"resource refused: {url[:120]}: {reason}")
    raise DossierError(report)


class _quiet_weasyprint:  # noqa: N801 - used as a context manager
    """WeasyPrint logs layout remarks (unsupported CSS and the like) as warnings; the
    builder reports what matters itself, so they are kept at ERROR level here."""

    def __enter__(self) -> None:
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)
