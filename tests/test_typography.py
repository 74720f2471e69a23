"""The typography pass (dossier.l10n.typography): the house guide's rules, one example each,
and Hypothesis properties over random XHTML trees: idempotent, URLs, attributes and code
untouched, and no character changed but spaces, quotes, apostrophes and dots."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dossier.l10n.typography import typeset

X = "http://www.w3.org/1999/xhtml"
NB, NN = "\u00a0", "\u202f"  # no-break space, narrow no-break space


def pass_on(inner: str, locale: str = "fr") -> str:
    """`inner` as the content of a paragraph, typeset; the paragraph's content back as XHTML."""
    root = etree.fromstring(f'<body xmlns="{X}"><p>{inner}</p></body>')
    typeset(root, locale)
    text = etree.tostring(root[0], encoding="unicode")
    return re.sub(r"^<p[^>]*>|</p>$", "", text).replace(f' xmlns="{X}"', "")


# --- the guide's rules, one example each (/work/shared/guides/french-typography.md) -----------

FRENCH = [
    # spaces before ; ! ? (narrow no-break), inserted or replacing an ordinary space
    ("Pourquoi ? Vraiment ! Oui ; non.", f"Pourquoi{NN}? Vraiment{NN}! Oui{NN}; non."),
    ("Pourquoi? Vraiment! Oui; non.", f"Pourquoi{NN}? Vraiment{NN}! Oui{NN}; non."),
    # before : a no-break space; none between the digits of a time
    ("Il a déclaré : oui", f"Il a déclaré{NB}: oui"),
    ("Il a déclaré: oui", f"Il a déclaré{NB}: oui"),
    ("à 10:30", "à 10:30"),
    # inside « » (narrow no-break), inserted or replacing
    ("«La loi»", f"«{NN}La loi{NN}»"),
    ("« La loi »", f"«{NN}La loi{NN}»"),
    # "…" → « … », a quotation inside a quotation “ … ”
    ('Il a dit "oui".', f"Il a dit «{NN}oui{NN}»."),
    ('"Il a dit "non" hier"', f"«{NN}Il a dit “non” hier{NN}»"),
    # apostrophe
    ("l'État, aujourd'hui", "l’État, aujourd’hui"),
    # ellipsis; none before it
    ("Et puis... rien.", "Et puis… rien."),
    # an abbreviation's point ends the sentence too
    ("op. cit.. Voir", "op. cit. Voir"),
    # dashes (Pandoc's smart punctuation); a hyphen stays one
    ("1990--2000 -- voire --- plus, Kassym-Jomart", "1990–2000 – voire — plus, Kassym-Jomart"),
    # no-break space after M. art. p. n° and the like
    ("M. Dupont, art. 4, p. 12, n° 5", f"M.{NB}Dupont, art.{NB}4, p.{NB}12, nº{NB}5"),
    # the number sign is a raised o (U+00BA), not the degree sign; a temperature keeps its degree
    ("Loi N°4 du 20 mai, à 20 °C", f"Loi Nº{NB}4 du 20{NB}mai, à 20{NB}°C"),
    ("n°5", f"nº{NB}5"),
    # numbers: thousands grouped with a narrow no-break space, units and % bound to the number
    ("2 030 soldats", f"2{NN}030 soldats"),
    ("12 % et 12%", f"12{NB}% et 12{NB}%"),
    ("19 h 30", f"19{NB}h{NB}30"),
    ("5 km et 3 €", f"5{NB}km et 3{NB}€"),
    # a day and its month on one line; a year, a count or a longer word are not dates
    ("le 7 janvier 2022, le 31 décembre", f"le 7{NB}janvier 2022, le 31{NB}décembre"),
    ("2022 mars, 7 jours, 3 maisons", "2022 mars, 7 jours, 3 maisons"),
    # ordinals raised
    ("le 1er janvier", f"le 1<sup>er</sup>{NB}janvier"),
    ("la 1re, la 2e fois", "la 1<sup>re</sup>, la 2<sup>e</sup> fois"),
    ("le XXIe siècle", "le XXI<sup>e</sup> siècle"),
    # not ordinals: a word, a Roman numeral without its noun, a year
    ("le 1e", "le 1e"),
    ("Ve", "Ve"),
    # no space before . , ) and none added after an opening bracket
    ("(?)", "(?)"),
    # URLs, e-mail addresses and code untouched; punctuation after them still spaced
    ("voir https://example.org/a?b=1&amp;c=2; puis", f"voir https://example.org/a?b=1&amp;c=2{NN}; puis"),
    ("écrire à redaction@example.fr!", f"écrire à redaction@example.fr{NN}!"),
    ('<code>a ; "b" ...</code> !', f'<code>a ; "b" ...</code>{NN}!'),
    ('<a href="https://x.org/it\'s">https://x.org/it\'s</a> ?', f'<a href="https://x.org/it\'s">https://x.org/it\'s</a>{NN}?'),
    # a quotation across inline elements pairs correctly
    ('"<em>La loi</em>"', f"«{NN}<em>La loi</em>{NN}»"),
    # a passage in English inside French text gets English rules
    ('<span lang="en">"Why?" he said: \'no\'</span> ; fin', f'<span lang="en">“Why?” he said: ‘no’</span>{NN}; fin'),
]

ENGLISH = [
    ('"Hello," he said.', "“Hello,” he said."),
    ('"She said \'no\' twice"', "“She said ‘no’ twice”"),
    ("don't, it's", "don’t, it’s"),
    ("Wait... no.", "Wait… no."),
    ("Why ? Because ; so : yes !", "Why? Because; so: yes!"),
    ("Mr Smith, p. 4", f"Mr{NB}Smith, p.{NB}4"),
    ("the 1st and 2nd", "the 1st and 2nd"),  # not raised in English
    # Pandoc's smart punctuation: dashes, an elided year, quotes nested as the author wrote them
    ("1990--2000, yes---no", "1990–2000, yes—no"),
    ("the '90s", "the ’90s"),
    ("'outer \"inner\" end'", "‘outer “inner” end’"),
    ('"outer \'inner\' end"', "“outer ‘inner’ end”"),
    ("2,030 soldiers, 12%", "2,030 soldiers, 12%"),
    ('<span lang="fr">"oui" : non</span>', f'<span lang="fr">«{NN}oui{NN}»{NB}: non</span>'),
]


@pytest.mark.parametrize(("source", "expected"), FRENCH)
def test_french_rule(source: str, expected: str) -> None:
    assert pass_on(source, "fr") == expected
    assert pass_on(expected, "fr") == expected  # and applying it again changes nothing


@pytest.mark.parametrize(("source", "expected"), ENGLISH)
def test_english_rule(source: str, expected: str) -> None:
    assert pass_on(source, "en_GB") == expected
    assert pass_on(expected, "en_GB") == expected


def test_attributes_and_titles_are_not_prose() -> None:
    out = pass_on('<abbr title="l\'ONU : 1er">ONU</abbr> <img alt="a ; b" src="x.png"/>')
    assert 'title="l\'ONU : 1er"' in out and 'alt="a ; b"' in out


# --- properties over random trees ----------------------------------------------------------

URLS = ["https://example.org/a?b=1&c=d's", "http://x.fr/1er:2e;3", "www.example.com/p...q", "nom@example.fr"]
WORDS = ["M.", "art.", "p.", "n°", "1er", "XXIe", "siècle", "2", "030", "h", "30", "%", "km", "l'", "État",
         "op.", "cit..", "...", "«", "»", "“", "”", "’", '"', "'", ":", ";", "!", "?", "10:30", "(", ")"]
ALPHABET = "aeEl12IVX .,;:!?'\"«»“”‘’()-°%" + NB + NN + "\u2009\n"
prose = st.lists(
    st.one_of(st.sampled_from(WORDS), st.text(ALPHABET, max_size=6), st.sampled_from(URLS).map(lambda u: f" {u} ")),
    max_size=8,
).map(" ".join)


@st.composite
def trees(draw: st.DrawFn) -> etree._Element:
    """A body of paragraphs whose content mixes text and inline elements (some not prose)."""
    body = etree.Element(f"{{{X}}}body")
    for _ in range(draw(st.integers(1, 3))):
        p = etree.SubElement(body, f"{{{X}}}p", {"class": "p"})
        p.text = draw(prose)
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.sampled_from(["em", "en", "a", "url", "code", "br"]))
            child = etree.SubElement(p, f"{{{X}}}{ {'en': 'span', 'url': 'a'}.get(kind, kind)}")
            if kind == "en":
                child.set("lang", "en")
            if kind in ("a", "url"):
                child.set("href", draw(st.sampled_from(URLS)))
            if kind == "url":
                child.text = child.get("href")
            elif kind != "br":
                child.text = draw(prose)
            if kind == "em" and draw(st.booleans()):
                inner = etree.SubElement(child, f"{{{X}}}b", {"title": draw(prose)})
                inner.text = draw(prose)
            child.tail = draw(prose)
    return body


def _typeset(tree: etree._Element, locale: str = "fr") -> etree._Element:
    copy = etree.fromstring(etree.tostring(tree))
    typeset(copy, locale)
    return copy


def _skeleton(text: str) -> str:
    """The text without its spaces, quotes as one mark, a run of dots or `…` as one dot, the
    number sign's raised o as the degree sign it replaces (`n°` → `nº`)."""
    text = re.sub(r"[\s\u00a0\u202f\u2009]", "", text).replace("º", "°")
    text = re.sub("[\"'«»“”‘’]", "Q", text)
    text = re.sub(r"[-–—]+", "-", text)
    return re.sub(r"[.…]+", ".", text)


PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(trees(), st.sampled_from(["fr", "fr_FR", "en_GB"]))
def test_idempotent(tree: etree._Element, locale: str) -> None:
    once = _typeset(tree, locale)
    assert etree.tostring(_typeset(once, locale)) == etree.tostring(once)


@PROPERTY
@given(trees(), st.sampled_from(["fr", "en_GB"]))
def test_only_spaces_quotes_apostrophes_and_dots_change(tree: etree._Element, locale: str) -> None:
    out = _typeset(tree, locale)
    assert _skeleton("".join(out.itertext())) == _skeleton("".join(tree.itertext()))


@PROPERTY
@given(trees(), st.sampled_from(["fr", "en_GB"]))
def test_urls_attributes_and_code_untouched(tree: etree._Element, locale: str) -> None:
    tree = etree.fromstring(etree.tostring(tree))  # as parsed: an empty text is None
    out = _typeset(tree, locale)
    before = [(e.tag, dict(e.attrib)) for e in tree.iter()]
    after = [(e.tag, dict(e.attrib)) for e in out.iter() if not (e.tag == f"{{{X}}}sup" and not e.attrib)]
    assert after == before
    for old, new in zip(tree.iter(f"{{{X}}}code"), out.iter(f"{{{X}}}code"), strict=True):
        assert etree.tostring(new, with_tail=False) == etree.tostring(old, with_tail=False)
    for old, new in zip(tree.iter(f"{{{X}}}a"), out.iter(f"{{{X}}}a"), strict=True):
        if old.text == old.get("href"):
            assert new.text == old.text
    text = "".join(out.itertext())
    for url in URLS:
        assert text.count(url) >= "".join(tree.itertext()).count(f" {url} ")
