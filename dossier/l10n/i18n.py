"""Layout words from gettext catalogs (`dossier/l10n/locales/<lang>/LC_MESSAGES/dossier.po`).

Templates and code mark words with `_()`; `pybabel extract` collects them (see babel.cfg). The
`.po` files are the source; the wheel ships them compiled (`.mo`, by the build hook in
hatch_build.py), and a source checkout, which has no `.mo`, compiles them in memory here.
Message ids are English.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "dossier"


def catalog_path(lang: str, suffix: str = ".po") -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compile_catalog(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` file, as `pybabel compile` writes them (fuzzy entries left out)."""
    with po.open("rb") as source:
        catalog = read_po(source)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def catalog_languages() -> list[str]:
    """The languages that have a catalog (`de`, `en`, `fr`, `ru`, …)."""
    return sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def has_catalog(locale: str) -> bool:
    return any(catalog_path(lang).is_file() for lang in (locale, locale.replace("-", "_").split("_")[0]))


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog for `locale` (`fr_FR` falls back to `fr`); English ids if none exists."""
    for lang in dict.fromkeys([locale, locale.split("_")[0]]):
        if catalog_path(lang, ".mo").is_file():
            with catalog_path(lang, ".mo").open("rb") as mo:
                return Translations(mo, domain=DOMAIN)
        if catalog_path(lang).is_file():
            return Translations(io.BytesIO(compile_catalog(catalog_path(lang))), domain=DOMAIN)
    return NullTranslations()


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)
