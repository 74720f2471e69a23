"""The Jinja2 environment: layouts as templates, sandboxed, autoescape on, locale filters, gettext words.

A layout may come from the user's folder (a house layout): its templates are data, not trusted
code, so they run in Jinja2's sandbox (no attribute that starts with `_`, no Python internals),
and a template's mistake is a located error at its line, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import traceback
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from dossier.errors import DossierError, Location
from dossier.l10n import dates, numbers
from dossier.l10n.i18n import translations
from dossier.model import Config, CslDate
from dossier.render import cite
from dossier.resources import layout_dirs


def _date(value: dt.date | CslDate, locale: str, form: dates.Form = "long") -> str:
    if isinstance(value, CslDate):
        return dates.format_csl_date(value, locale, numeric=form == "numeric")
    return dates.format_date(value, locale, form)


# Where a printed URL may break: before a slash, a dot, a hyphen, `?`, `&`, `=`, `_` or `#`
# (the next line then opens with the punctuation, which no reader takes for a hyphenation),
# after the `//` of its scheme, and every few characters in a long stretch with none of these.
# Line breakers also break after a slash, a hyphen or `?` on their own (UAX #14): a word joiner
# after those keeps the break where the rule puts it.
_URL_PUNCTUATION = frozenset("/.-?&=_#")
_BREAK_AFTER = frozenset("/-?")  # where UAX #14 would break: held by a word joiner
WORD_JOINER = "\u2060"
_URL_RUN = 20  # a longer stretch without a break opportunity gets one every so many characters


def url_pieces(url: str) -> list[str]:
    """The URL cut at the places it may break across lines (each piece after the first
    starts with the punctuation it breaks before), word joiners where a break must not be."""
    pieces = [""]
    since = 0
    for index, char in enumerate(url):
        previous = url[index - 1] if index else ""
        scheme_end = previous == "/" and url[max(0, index - 3) : index] == "://"
        punctuation = char in _URL_PUNCTUATION and previous not in _URL_PUNCTUATION | {":"}
        long_stretch = since >= _URL_RUN and char.isalnum() and previous.isalnum()
        if (index and (scheme_end or punctuation)) or long_stretch:
            pieces.append("")
            since = 0
        pieces[-1] += char
        since += 1
        following = url[index + 1] if index + 1 < len(url) else ""
        if char in _BREAK_AFTER and following and following not in _URL_PUNCTUATION and not _scheme(url, index):
            pieces[-1] += WORD_JOINER
    if len(pieces) > 1 and all(c in _URL_PUNCTUATION for c in pieces[-1]):
        last = pieces.pop()
        pieces[-1] += last  # a closing slash stays on its line
    return pieces


def _scheme(url: str, index: int) -> bool:
    """Is `url[index]` the second slash of `://` (after which the URL may break)?"""
    return url[max(0, index - 2) : index + 1] == "://"


ZERO_WIDTH_SPACE = "\u200b"


def url_breaks(url: str) -> Markup:
    """The URL as text, with a zero-width space at the places it may break across lines (not
    `<wbr/>`: WeasyPrint does not break a line at an element between two runs of a link's
    text, measured: a note line of 25 pt word spaces beside an unbroken address)."""
    return Markup(escape(ZERO_WIDTH_SPACE.join(url_pieces(url))))


def text_length(markup: str) -> int:
    """The length of the text a reader sees in `markup` (a table cell), its print notes left out."""
    from lxml import html

    fragment = html.fragment_fromstring(str(markup) or " ", create_parent="div")
    for note in fragment.xpath('.//*[contains(concat(" ", normalize-space(@class), " "), " footnote ")]'):
        note.drop_tree()
    return len(fragment.text_content().strip())


def family_names(source: Any) -> list[str]:
    """The authors' (else the editors') family names, as a sentence names them: `@doe99 says`."""
    names = source.get("author") or source.get("editor") or []
    return [
        n.get("literal") or " ".join(p for p in (n.get("non-dropping-particle"), n.get("family")) if p) for n in names
    ]


def layout_folders(config: Config) -> list[Path]:
    """Where the layout's templates and stylesheets are looked up, a house folder first."""
    return list(config.layout_files.dirs) if config.layout_files else layout_dirs(config.layout.name)


def environment(folders: Sequence[Path], locale: str) -> Environment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader([str(d) for d in folders]),
        autoescape=select_autoescape(
            enabled_extensions=("html", "xhtml", "svg", "xml", "j2"), default_for_string=True
        ),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        date=partial(_date, locale=locale),
        date_full=partial(_date, locale=locale, form="full"),
        date_numeric=partial(_date, locale=locale, form="numeric"),
        month_year=partial(_date, locale=locale, form="month"),
        date_range=lambda start, end: dates.format_date_range(start, end, locale),
        day=partial(_date, locale=locale, form="day"),
        day_range=lambda start, end: dates.format_day_range(start, end, locale),
        number=partial(numbers.format_number, locale=locale),
        percent=partial(numbers.format_percentage, locale=locale),
        url_breaks=url_breaks,
        text_length=text_length,
    )
    env.globals.update(
        locale=locale, group_of=cite.group_of, title_lang=partial(cite.title_lang, locale=locale),
        creators=cite.creators, editors=cite.editors, lower_first=cite.lower_first, is_work=cite.is_work,
        is_article=cite.is_article, law_title=cite.law_title, page_range=cite.page_range, elements=cite.elements,
        family_names=family_names,
    )
    return env


def macro(env: Environment, template: str, name: str) -> Any:
    """A macro of a template, callable from Python (it returns escaped `Markup`)."""
    return getattr(env.get_template(template).module, name)


@contextlib.contextmanager
def template_errors(folders: Sequence[Path]) -> Iterator[None]:
    """A layout template's mistake (syntax, an unknown name, a missing template, a sandbox
    refusal) as a located error: the template file and line Jinja2 puts in the traceback."""
    try:
        yield
    except SecurityError as exc:
        raise DossierError.single(
            "layout-sandbox", _where(exc, folders), f"refused by the template sandbox: {str(exc).rstrip('.')}"
        ) from None
    except TemplateSyntaxError as exc:
        path = Path(exc.filename) if exc.filename else _where(exc, folders).path
        raise DossierError.single("layout-template", Location(path, exc.lineno), f"template: {exc.message}") from None
    except TemplateError as exc:
        raise DossierError.single("layout-template", _where(exc, folders), f"template: {exc.message}") from None


def _where(exc: BaseException, folders: Sequence[Path]) -> Location:
    """The innermost template line of the traceback (Jinja2 rewrites its frames to the template's)."""
    roots = [folder.resolve() for folder in folders]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.suffix == ".j2" and any(path.resolve().is_relative_to(root) for root in roots):
            return Location(path, frame.lineno)
    return Location(roots[0] if roots else Path("layout"))
