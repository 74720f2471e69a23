"""Is a language tag valid, and does a text read as the language it is tagged with?

Validity is BCP 47's: well formed (hyphens, not underscores) and every subtag in IANA's
registry, as langcodes ships it. Plausibility (WCAG 2.1, 3.1.1 and 3.1.2: the language of the
page and of each part is the language its text is in) is read from the text: its script must be
one the language is written in (CLDR's likely script, by langcodes; Latin letters are accepted
for any language, which is often romanised), and a Naive Bayes identifier (py3langid) must not
prefer another language of the book over the tagged one by 9 to 1. Short texts (a name, a
date) cannot be told apart and pass; what this finds is the English title tagged Serbian or the
English title left in a French book's language.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

CONFIDENT = 0.9  # another language wins at 9 to 1 against the tagged one
MIN_LETTERS = 12  # fewer letters than this: nothing can be told
_TAG = re.compile(r"^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$")
_SCRIPT_NAMES = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "ARABIC": "Arab", "ARMENIAN": "Armn", "HEBREW": "Hebr",
    "GEORGIAN": "Geor", "CJK": "Hani", "HIRAGANA": "Jpan", "KATAKANA": "Jpan", "HANGUL": "Kore",
    "DEVANAGARI": "Deva", "THAI": "Thai", "MONGOLIAN": "Mong", "BENGALI": "Beng", "TAMIL": "Taml",
    "ETHIOPIC": "Ethi",
}
_SCRIPT_FAMILIES = {"Jpan": {"Jpan", "Hani"}, "Kore": {"Kore", "Hani"}, "Hans": {"Hani"}, "Hant": {"Hani"}}


def valid_tag(tag: str) -> bool:
    """A BCP 47 tag whose every subtag IANA registers (`fr-FR`, `sr-Latn`; not `fr_FR`, `English`)."""
    import langcodes

    return bool(_TAG.match(tag)) and langcodes.tag_is_valid(tag)


def primary(tag: str) -> str:
    """`fr-FR` → `fr`."""
    return tag.split("-", 1)[0].lower()


def text_script(text: str) -> str | None:
    """The script (ISO 15924) most of the text's letters are in; None without letters."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "").split(" ", 1)[0]
            script = _SCRIPT_NAMES.get(name, name)
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


@cache
def _scripts(tag: str) -> set[str]:
    import langcodes

    script = langcodes.Language.get(tag).maximize().script
    return _SCRIPT_FAMILIES.get(script, {script}) if script else set()


def script_fits(text: str, tag: str) -> bool:
    script = text_script(text)
    return script is None or script == "Latn" or not _scripts(tag) or script in _scripts(tag)


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@cache
def _probabilities(text: str) -> dict[str, float]:
    return dict(_identifier().rank(text))


def reads_as(text: str, tag: str, others: tuple[str, ...]) -> str | None:
    """The language (primary subtag) `text` reads as instead of `tag`, among `others`; None when
    it may well be in `tag` (or is too short to tell)."""
    text = " ".join(text.split())
    claimed = primary(tag)
    if not script_fits(text, tag):
        script = text_script(text)
        return next((primary(o) for o in others if script in _scripts(o)), f"{script} script")
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    probabilities = _probabilities(text)
    if claimed not in probabilities:
        return None  # a language the identifier does not know: nothing to say
    preferred = [
        other for other in dict.fromkeys(primary(o) for o in others)
        if other != claimed and other in probabilities and script_fits(text, other)
        and probabilities[other] >= CONFIDENT * (probabilities[other] + probabilities[claimed]) > 0
    ]
    return max(preferred, key=probabilities.__getitem__, default=None)
