"""WeasyPrint's remarks on the layout's stylesheets, as located warnings (`print.css:12:5: warning[css-value]: …`).

WeasyPrint logs what it ignores in a stylesheet (an unknown property, a bad value, a rule it
cannot parse, a font face it cannot load) on its `weasyprint` logger, with the line and column
but not the stylesheet. No public API says which sheet a message is about, so the handler reads
it from the frame that is parsing it: the `base_url` argument of WeasyPrint's CSS functions
(`weasyprint/css/`), the sheet's URL. Messages about other CSS (the print document's own `style`
attributes, an SVG's) stay muted, as they were before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from dossier.errors import Location

_CSS_CODE = os.path.join("weasyprint", "css") + os.sep
_AT = re.compile(r",? at (\d+):(\d+)[,.:]?")
_KINDS = (  # WeasyPrint's words → our code
    (re.compile(r"^Ignored .*, unknown property\.?$"), "css-property"),
    (re.compile(r"^Ignored .*, invalid value\.?$"), "css-value"),
    (re.compile(r"^Font-face .* cannot be loaded"), "css-font"),
    (re.compile(r"^(Parse error|Error:|Unknown empty rule|Invalid media type|Unknown at-rule|Invalid)"), "css-syntax"),
)

OTHER = "css-ignored"  # any other remark WeasyPrint makes on a layout's stylesheet
CODES = (*(code for _, code in _KINDS), OTHER)


@dataclass(frozen=True)
class CssMessage:
    code: str
    location: Location
    message: str


class _Handler(logging.Handler):
    def __init__(self, locate: Callable[[str], Path | None]) -> None:
        super().__init__(logging.WARNING)
        self.locate = locate
        self.messages: list[CssMessage] = []

    def emit(self, record: logging.LogRecord) -> None:
        url, rule = _sheet(sys._getframe(1))
        path = self.locate(url) if url else None
        if path is None:
            return
        text = record.getMessage()
        at = _AT.search(text)
        if at:
            line, col = int(at.group(1)), int(at.group(2))
        else:
            line, col = getattr(rule, "source_line", None), getattr(rule, "source_column", None)
        message = _AT.sub(":", text, count=1).rstrip(".:")
        code = next((code for pattern, code in _KINDS if pattern.search(text)), OTHER)
        self.messages.append(CssMessage(code, Location(path, line, col), message[:1].lower() + message[1:]))


def _sheet(frame: FrameType | None) -> tuple[str | None, Any]:
    """The URL of the stylesheet WeasyPrint is reading at this point, and the rule it is at."""
    while frame is not None:
        if _CSS_CODE in frame.f_code.co_filename:
            local = frame.f_locals
            if isinstance(local.get("base_url"), str):
                return local["base_url"], local.get("rule")
        frame = frame.f_back
    return None, None


@contextlib.contextmanager
def css_messages(locate: Callable[[str], Path | None]) -> Iterator[list[CssMessage]]:
    """Collect WeasyPrint's warnings about the stylesheets `locate` maps to a layout's file
    (in order, each once) while the block runs."""
    logger = logging.getLogger("weasyprint")
    handler = _Handler(locate)
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    found: list[CssMessage] = []
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        found.extend(dict.fromkeys(handler.messages))
