"""Is a language tag valid, and does a text read as the language it is tagged with?

Validity is BCP 47's: well formed (hyphens, not underscores) and every subtag in IANA's
registry, as langcodes ships it. Plausibility (WCAG 2.1, 3.1.1 and 3.1.2: the language of the
page and of each part is the language its text is in) is read from the text: its script must be
one the language is written in (CLDR's likely script: dossier.l10n.languages, as for titles; Latin letters are accepted
for any language, which is often romanised), and a Naive Bayes identifier (py3langid) must not
prefer another language of the book over the tagged one by 9 to 1. Short texts (a name, a
date) cannot be told apart and pass; what this finds is the English title tagged Serbian or the
English title left in a French book's language.
"""

from __future__ import annotations

import re

from dossier.l10n.languages import CONFIDENT, language_probabilities, scripts_of, text_script

MIN_LETTERS = 12  # fewer letters than this: nothing can be told
_TAG = re.compile(r"^[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8})*$")


def valid_tag(tag: str) -> bool:
    """A BCP 47 tag whose every subtag IANA registers (`fr-FR`, `sr-Latn`; not `fr_FR`, `English`)."""
    import langcodes

    return bool(_TAG.match(tag)) and langcodes.tag_is_valid(tag)


def primary(tag: str) -> str:
    """`fr-FR` → `fr`."""
    return tag.split("-", 1)[0].lower()


def script_fits(text: str, tag: str) -> bool:
    script = text_script(text)
    return script is None or script == "Latn" or not scripts_of(tag) or script in scripts_of(tag)


def reads_as(text: str, tag: str, others: tuple[str, ...]) -> str | None:
    """The language (primary subtag) `text` reads as instead of `tag`, among `others`; None when
    it may well be in `tag` (or is too short to tell)."""
    text = " ".join(text.split())
    claimed = primary(tag)
    if not script_fits(text, tag):
        script = text_script(text)
        return next((primary(o) for o in others if script in scripts_of(o)), f"{script} script")
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    probabilities = language_probabilities(text)
    if claimed not in probabilities:
        return None  # a language the identifier does not know: nothing to say
    preferred = [
        other for other in dict.fromkeys(primary(o) for o in others)
        if other != claimed and other in probabilities and script_fits(text, other)
        and probabilities[other] >= CONFIDENT * (probabilities[other] + probabilities[claimed]) > 0
    ]
    return max(preferred, key=probabilities.__getitem__, default=None)
