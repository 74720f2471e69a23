"""Languages of sources: what a `language` field says, as a BCP 47 tag, and a title's own language.

Reference managers write a source's language in many ways: a tag (`en-US`, `fr`), an ISO 639-2
code (`fre`, `ger`, `gre`), a name in English or in the user's language (`English`, `French`,
`français`, `Greek, Modern`), or a name with its English form (`հայերեն [Armenian]`). Babel's
CLDR data knows the names (each language's in a few display languages, and its own name) and
the ISO 639-2 codes (CLDR's language aliases); `language_tag` turns any of these into a tag,
or None when nothing matches (the caller warns and drops it: an invalid `lang` makes an
invalid EPUB).

A source's `language` is the language of the resource, which is not always the language of
its title (an English title on a Serbian page). `title_language` checks that the title can be
in it — its script first (CLDR's likely scripts), then, for a language the dossier does not
share, py3langid (a Naive Bayes language identifier, loaded only then) comparing that language
with the dossier's and with English; a title is tagged with another language only when the
identifier prefers it by 9 to 1. A title whose source says no other language than the dossier's
is tagged English when it reads as English by 9 to 1 (an English title in a French dossier is
English, whatever the resource's language: WCAG 3.1.2).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.core import get_global

# Display languages whose names for languages are recognised (plus the dossier's own).
NAME_LOCALES = ("en", "fr", "de", "es", "it", "pt", "ru", "nl", "pl")
# babel (LaTeX) language names that CLDR does not have, as BibLaTeX and CSL-YAML users write them.
BABEL_NAMES = {
    "american": "en-US", "british": "en-GB", "usenglish": "en-US", "ukenglish": "en-GB", "australian": "en-AU",
    "canadian": "en-CA", "newzealand": "en-NZ", "ngerman": "de-DE", "german": "de-DE", "austrian": "de-AT",
    "naustrian": "de-AT", "swissgerman": "de-CH", "nswissgerman": "de-CH", "francais": "fr-FR", "french": "fr-FR",
    "acadian": "fr-CA", "canadien": "fr-CA", "brazil": "pt-BR", "brazilian": "pt-BR", "portuges": "pt-PT",
    "spanish": "es-ES", "mexican": "es-MX", "russian": "ru-RU", "ukrainian": "uk-UA", "serbian": "sr-Latn",
    "serbianc": "sr-Cyrl", "greek": "el", "polutonikogreek": "el-polyton", "kazakh": "kk", "dutch": "nl-NL",
}
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
# Languages written in more than one script today: their likely script is not the only one.
_SCRIPTS_ALSO = {
    "sr": {"Latn"}, "bs": {"Cyrl"}, "uz": {"Cyrl"}, "kk": {"Latn"}, "az": {"Cyrl"}, "tk": {"Cyrl"},
    "mn": {"Mong"}, "ku": {"Arab"}, "pa": {"Arab"}, "ms": {"Arab"}, "ky": {"Latn"}, "tt": {"Latn"},
}
_SCRIPT_NAMES = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "ARABIC": "Arab", "ARMENIAN": "Armn", "HEBREW": "Hebr",
    "GEORGIAN": "Geor", "CJK": "Hani", "HIRAGANA": "Hira", "KATAKANA": "Kana", "HANGUL": "Hang",
    "DEVANAGARI": "Deva", "THAI": "Thai", "MONGOLIAN": "Mong", "BENGALI": "Beng", "TAMIL": "Taml",
    "ETHIOPIC": "Ethi",
}
_WRITTEN_WITH = {"Jpan": {"Hani", "Hira", "Kana"}, "Kore": {"Hang", "Hani"}, "Hans": {"Hani"}, "Hant": {"Hani"}}
CONFIDENT = 0.9  # another language wins only at 9 to 1 against the claimed one


def subtag(tag: str) -> str:
    """`fr-FR`, `fr_FR` → `fr`."""
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].lower()


@cache
def _english() -> Locale:
    return Locale("en")


def _known_language(code: str) -> str | None:
    aliases = get_global("language_aliases")
    code = aliases.get(code, code).split("_")[0]
    return code if code in _english().languages and "_" not in code else None


def _from_tag(value: str) -> str | None:
    """A tag as written (`en-US`, `fr_FR`, `sr-Latn`, `fre`) checked against CLDR, or None."""
    parts = re.split(r"[-_]", value)
    language = _known_language(parts[0].lower())
    if language is None:
        return None
    alias = get_global("language_aliases").get(parts[0].lower(), "")
    out = [language] + [p for p in alias.split("_")[1:2] if len(p) == 4]  # `sh` → `sr-Latn`
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha() and part.title() in _english().scripts:
            out.append(part.title())
        elif (len(part) == 2 and part.isalpha() and part.upper() in _english().territories) or (
            len(part) == 3 and part.isdigit() and part in _english().territories
        ):
            out.append(part.upper())
        elif 5 <= len(part) <= 8 and part.isalnum():
            out.append(part.lower())  # a variant (`polyton`, `1901`): kept as written
        else:
            return "-".join(out)  # what follows an unknown subtag is dropped
    return "-".join(dict.fromkeys(out))


@cache
def _names(display: str) -> dict[str, str]:
    """Casefolded language names → tags, in the display languages and the dossier's own."""
    index: dict[str, str] = {}
    for locale in dict.fromkeys((*NAME_LOCALES, display)):
        try:
            names = Locale.parse(locale).languages
        except (UnknownLocaleError, ValueError):
            continue
        for code, name in names.items():
            index.setdefault(name.casefold(), code.replace("_", "-"))
    return index


@cache
def _autonyms() -> dict[str, str]:
    """Each language's name in itself (`հայերեն`, `français`): every CLDR locale read, once, when
    a name is not found among the display languages' names."""
    from babel.localedata import locale_identifiers

    index: dict[str, str] = {}
    for identifier in sorted(locale_identifiers()):
        if "_" in identifier:
            continue
        try:
            name = Locale.parse(identifier).language_name
        except (UnknownLocaleError, ValueError):
            continue
        if name:
            index.setdefault(name.casefold(), identifier)
    return index


def _name_forms(value: str) -> list[str]:
    """`հայերեն [Armenian]` → itself, `հայերեն`, `Armenian`; `Greek, Modern (1453-)` → itself,
    `Greek, Modern`, `Modern Greek`, `Greek` (ISO 639-2's inverted names)."""
    forms = [value]
    bracketed = re.findall(r"[\[(]([^\])]*)[\])]", value)
    bare = re.sub(r"\s*[\[(][^\])]*[\])]\s*", " ", value).strip()
    forms += [bare, *bracketed]
    for form in list(forms):
        if "," in form:
            head, _, tail = form.partition(",")
            forms += [f"{tail.strip()} {head.strip()}", head.strip()]
    for form in list(forms):
        forms += [p.strip() for p in re.split(r"[;/]", form) if p.strip()]
    return [f for f in dict.fromkeys(forms) if f]


def language_tag(value: Any, display: str = "en") -> str | None:
    """The BCP 47 tag of a `language` value, or None if it names no language CLDR knows."""
    text = unicodedata.normalize("NFC", str(value)).strip()
    if not text:
        return None
    if _TAG.match(text) and (tag := _from_tag(text)):
        return tag
    for form in _name_forms(text):
        key = form.casefold()
        found = BABEL_NAMES.get(key) or _names(subtag(display)).get(key)
        if found is None and _TAG.match(form):
            found = _from_tag(form)
        if found:
            return found
    for form in _name_forms(text):
        found = _autonyms().get(form.casefold())
        if found:
            return found
    return None


# -- a title's own language ------------------------------------------------------------------


def scripts_of(tag: str) -> set[str]:
    """The scripts (ISO 15924) a language tag is written in today: its own, else CLDR's likely one and
    the others in use."""
    parts = re.split(r"[-_]", tag)
    explicit = [p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()]
    if explicit:
        scripts = {explicit[0]}
    else:
        likely = get_global("likely_subtags").get(parts[0].lower(), "")
        found = [p for p in likely.split("_")[1:] if len(p) == 4]
        scripts = {found[0]} if found else set()
        scripts |= _SCRIPTS_ALSO.get(parts[0].lower(), set())
    return {s for script in scripts for s in _WRITTEN_WITH.get(script, {script})}


def text_script(text: str) -> str | None:
    """The script most of the text's letters are written in (ISO 15924), None without letters."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "").split(" ", 1)[0]
            script = _SCRIPT_NAMES.get(name, name)
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def _script_fits(text: str, tag: str) -> bool:
    script, scripts = text_script(text), scripts_of(tag)
    return script is None or not scripts or script in scripts


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@cache
def language_probabilities(text: str) -> dict[str, float]:
    """py3langid's probability of each language (primary subtag) for `text`."""
    return dict(_identifier().rank(text))


def _prefers(text: str, other: str, claimed: str) -> bool:
    """Whether the identifier takes `text` for `other` rather than `claimed`, by 9 to 1."""
    probabilities = language_probabilities(text)
    if other not in probabilities or claimed not in probabilities:
        return False
    total = probabilities[other] + probabilities[claimed]
    return total > 0 and probabilities[other] / total >= CONFIDENT


@cache
def title_language(text: str, claimed: str | None, dossier: str) -> str | None:
    """The tag to set on a title in a dossier written in `dossier`, whose source says `claimed`:
    None when the title reads as the dossier's language (no `lang` needed)."""
    home = subtag(dossier)
    if not text.strip():
        return None
    if not claimed or subtag(claimed) == home:
        # no other language said: an English title still is one (WCAG 3.1.2), if it reads so by 9 to 1
        english = home != "en" and _script_fits(text, "en") and _prefers(text, "en", home)
        return "en" if english else None
    challengers = [c for c in dict.fromkeys((home, "en")) if c != subtag(claimed)]
    if _script_fits(text, claimed):
        for other in challengers:
            if _script_fits(text, other) and _prefers(text, other, subtag(claimed)):
                return None if other == home else other
        return claimed
    # the title cannot be in the claimed language: the dossier's, or English if it reads so
    fitting = [c for c in challengers if _script_fits(text, c)]
    if "en" in fitting and home in fitting and home != "en" and _prefers(text, "en", home):
        return "en"
    return None if home in fitting or not fitting else fitting[0]
