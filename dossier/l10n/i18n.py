"""Layout words from gettext catalogs (`dossier/l10n/locales/<lang>/LC_MESSAGES/dossier.po`).

Templates and code mark words with `_()`; `pybabel extract` collects them (see babel.cfg) and
`pybabel compile` builds the `.mo` files this module loads. Message ids are English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "dossier"


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog for `locale` (`fr_FR` falls back to `fr`); English ids if none exists."""
    return Translations.load(str(LOCALES_DIR), [locale, locale.split("_")[0]], domain=DOMAIN)


def has_catalog(locale: str) -> bool:
    return isinstance(translations(locale), Translations) or locale.split("_")[0] == "en"


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)
