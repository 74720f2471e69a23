"""Locators of citations (`p. 12`, `chap. 3`, `art. 4`): the term as Pandoc and CSL locales spell
it, in English and in the dossier's language, read into a CSL locator type and a value.

Pandoc reads locator terms from citeproc's locale files; Babel has no such terms, so the short
table below holds CSL's English, French, German and Russian terms for the locator types a
dossier's notes use. The printed form comes from the layout's gettext catalog.
"""

from __future__ import annotations

import re
from functools import cache

# CSL locator type → its terms (long and short, singular and plural), per language.
TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "page": ("p.", "pp.", "page", "pages", "pg.", "pgs."),
        "chapter": ("chap.", "chaps.", "chapter", "chapters", "ch."),
        "section": ("sec.", "secs.", "section", "sections", "§", "§§"),
        "paragraph": ("para.", "paras.", "paragraph", "paragraphs", "¶", "¶¶"),
        "volume": ("vol.", "vols.", "volume", "volumes"),
        "figure": ("fig.", "figs.", "figure", "figures"),
        "note": ("n.", "nn.", "note", "notes"),
        "line": ("l.", "ll.", "line", "lines"),
        "column": ("col.", "cols.", "column", "columns"),
        "book": ("bk.", "bks.", "book", "books"),
        "part": ("pt.", "pts.", "part", "parts"),
        "verse": ("v.", "vv.", "verse", "verses"),
        "number": ("no.", "nos.", "number", "numbers"),
        "article-locator": ("art.", "arts.", "article", "articles"),
        "table": ("tbl.", "table", "tables"),
        "folio": ("fol.", "fols.", "folio", "folios"),
        "opus": ("op.", "opp.", "opus"),
        "sub-verbo": ("s.v.", "s.vv.", "sub verbo"),
        "supplement": ("supp.", "supplement"),
        "appendix": ("app.", "appendix"),
    },
    "fr": {
        "page": ("p.", "page", "pages"),
        "chapter": ("chap.", "chapitre", "chapitres"),
        "section": ("sect.", "section", "sections", "§", "§§"),
        "paragraph": ("paragr.", "paragraphe", "paragraphes", "¶"),
        "volume": ("vol.", "volume", "volumes", "t.", "tome", "tomes"),
        "figure": ("fig.", "figure", "figures"),
        "note": ("n.", "note", "notes"),
        "line": ("l.", "ligne", "lignes"),
        "column": ("col.", "colonne", "colonnes"),
        "book": ("liv.", "livre", "livres"),
        "part": ("part.", "partie", "parties"),
        "verse": ("v.", "vers"),
        "number": ("n°", "nos", "numéro", "numéros"),
        "article-locator": ("art.", "article", "articles"),
        "table": ("tabl.", "tableau", "tableaux"),
        "folio": ("fol.", "folio", "folios"),
        "sub-verbo": ("s.v.", "sub verbo"),
    },
    "de": {
        "page": ("S.", "Seite", "Seiten"),
        "chapter": ("Kap.", "Kapitel"),
        "section": ("Abschn.", "Abschnitt", "Abschnitte", "§", "§§"),
        "paragraph": ("Abs.", "Absatz", "Absätze"),
        "volume": ("Bd.", "Bde.", "Band", "Bände"),
        "figure": ("Abb.", "Abbildung", "Abbildungen"),
        "note": ("Anm.", "Anmerkung", "Anmerkungen"),
        "line": ("Z.", "Zeile", "Zeilen"),
        "column": ("Sp.", "Spalte", "Spalten"),
        "number": ("Nr.", "Nummer", "Nummern"),
        "article-locator": ("Art.", "Artikel"),
    },
    "ru": {
        "page": ("с.", "стр.", "страница", "страницы"),
        "chapter": ("гл.", "глава", "главы"),
        "section": ("разд.", "раздел", "§"),
        "volume": ("т.", "том", "тома"),
        "figure": ("рис.", "рисунок"),
        "note": ("прим.", "примечание"),
        "article-locator": ("ст.", "статья", "статьи"),
        "number": ("№", "номер"),
    },
}

# A locator's value: numbers, Roman numerals, ranges, lists of them (`33-35, 38`, `ii, 4`).
_ONE = r"(?:\d[\w.:/]*|[ivxlcdm]+(?!\w)|[IVXLCDM]+(?!\w))"
_PIECE = rf"{_ONE}(?:\s*[–-]\s*{_ONE})?"
_VALUE = re.compile(rf"(?P<value>{_PIECE}(?:\s*(?:,|&|and|et)\s*{_PIECE})*)")


@cache
def _terms(language: str) -> tuple[re.Pattern[str], dict[str, str]]:
    """A pattern of the terms of English and `language` (longest first), and each term's type."""
    pairs: dict[str, str] = {}
    for code in ("en", language):
        for kind, terms in TERMS.get(code, {}).items():
            for term in terms:
                pairs.setdefault(term.casefold(), kind)
    ordered = sorted(pairs, key=len, reverse=True)
    # a term ending in a letter must end a word (`page`, not `pages…` read as `page`)
    alternatives = [re.escape(t) + ("" if t[-1] in ".§¶°№" else r"(?![^\W\d_])") for t in ordered]
    return re.compile("|".join(alternatives), re.IGNORECASE), pairs


def split_locator(text: str, language: str) -> tuple[str | None, str | None, str]:
    """`p. 33-35, and passim` → (`page`, `33-35`, `and passim`): the locator's type and value,
    and the rest (the suffix). A bare number is a page, as in Pandoc; `{…}` holds a value as is."""
    original = text.strip()
    if not original:
        return None, None, ""
    text = original[1:].lstrip() if original.startswith(",") else original
    kind, rest = None, text
    pattern, kinds = _terms(language)
    term = pattern.match(text)
    if term:
        kind, rest = kinds[term.group().casefold()], text[term.end() :].lstrip()
    if rest.startswith("{") and "}" in rest:
        value, rest = rest[1 : rest.index("}")], rest[rest.index("}") + 1 :]
    else:
        match = _VALUE.match(rest)
        if match is None or (kind is None and not rest[:1].isdigit()):
            return None, None, original
        value, rest = match.group("value"), rest[match.end() :]
    return kind or "page", value, rest.strip()
