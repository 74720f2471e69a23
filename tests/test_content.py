"""The bundled dossier (content/) against issue 3's 'done when', read back from its PDF and EPUB.

The dossier is built once per session (the `bundled_build` fixture); these tests only read it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import pdfplumber
import pytest
from lxml import etree
from pypdf import PdfReader

from dossier.errors import Report
from dossier.load import load_dossier
from dossier.render.cite import group_of
from dossier.resolve import resolve
from dossier.resources import bundled_dossier
from tests.conftest import Built
from tests.helpers import NS, ROOT, epub_documents, epub_file, epubcheck_messages

X = f"{{{NS['x']}}}"
CONTEXT_CHAPTERS = (
    "Les événements de janvier 2022",
    "La loi de 2020 sur les rassemblements pacifiques",
    "L’OTSC et le déploiement de janvier 2022",
)
ADDRESS_TITLE = "L’allocution du 7 janvier 2022"


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _chapters(built: Built) -> dict[str, etree._Element]:
    """The EPUB's chapter documents by their title (h1)."""
    found = {}
    for root in epub_documents(built.epub).values():
        section = root.find(f".//{X}section[@class='chapter']")
        if section is not None:
            found[_text(section.find(f".//{X}h1"))] = section
    return found


def _body_paragraphs(section: etree._Element) -> list[etree._Element]:
    """The chapter's running text: paragraphs outside the notes, tables and captions."""
    return [p for p in section.iter(f"{X}p")
            if not any(a.tag in (f"{X}table", f"{X}figcaption") or "notes" in (a.get("class") or "").split()
                       for a in p.iterancestors())]


@pytest.fixture(scope="module")
def book():
    report = Report()
    resolved = resolve(load_dossier(bundled_dossier(), report), report)
    assert not report.errors
    return resolved


# -- notes and sources ------------------------------------------------------------------------------


def test_every_paragraph_of_the_context_chapters_has_a_note_call(bundled_build: Built) -> None:
    chapters = _chapters(bundled_build)
    for title in CONTEXT_CHAPTERS:
        paragraphs = _body_paragraphs(chapters[title])
        assert len(paragraphs) >= 5, title
        bare = [_text(p)[:80] for p in paragraphs if p.find(f".//{X}a[@role='doc-noteref']") is None]
        assert bare == [], title


def test_at_least_forty_notes(bundled_build: Built) -> None:
    notes = [n for section in _chapters(bundled_build).values()
             for n in section.iter(f"{X}div") if n.get("role") == "doc-footnote"]
    assert len(notes) >= 40


def test_sources_cited_official_and_independent(book, bundled_build: Built) -> None:
    cited = set(book.cited)
    assert len(cited) >= 12
    groups = {group_of(book.sources[i]) for i in cited}
    assert {"official", "press"} <= groups
    # official: the presidency's address, the legal database; independent: press agencies
    assert {"ptrk-0107", "adilet-333"} <= cited
    assert {"ap-0115", "afp-0525"} <= cited
    bibliography = _text(_chapters(bundled_build)["Sources"])
    for agency in ("Associated Press", "AFP", "Trend", "Adilet"):
        assert agency in bibliography


def test_every_bibliography_source_is_cited(book, bundled_build: Built) -> None:
    listed = {li.get("id").removeprefix("source-") for li in _chapters(bundled_build)["Sources"].iter(f"{X}li")
              if (li.get("id") or "").startswith("source-")}
    declared = set(re.findall(r"^- id: (\S+)", (bundled_dossier() / "sources.yaml").read_text(), re.MULTILINE))
    assert listed == declared
    assert declared - set(book.cited) == set()


# -- the address, word for word ---------------------------------------------------------------------

QUOTES = "«»“”„\"‹›"


def _normalise(text: str) -> list[str]:
    """Words and punctuation, with typography set aside: spaces of any width, quotation marks,
    apostrophes."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    text = "".join(" " if c in QUOTES or unicodedata.category(c) == "Zs" else c for c in text)
    return re.findall(r"[\w'-]+|[^\w\s'-]", text)


def _without_note_calls(element: etree._Element) -> str:
    """The element's text, note calls left out (their tails kept)."""
    parts = [element.text or ""]
    for child in element:
        if "noteref" not in (child.get("class") or "").split():
            parts.append(_without_note_calls(child))
        parts.append(child.tail or "")
    return "".join(parts)


def test_address_chapter_is_the_supplied_text(bundled_build: Built) -> None:
    supplied = (ROOT / "tests" / "data" / "address-2022-01-07.fr.txt").read_text(encoding="utf-8")
    bullets = [b for b in supplied.split("•") if b.strip()]
    section = _chapters(bundled_build)[ADDRESS_TITLE]
    printed = [_without_note_calls(li) for li in section.iter(f"{X}li")]
    assert len(printed) == len(bullets) == 11
    for given, shown in zip(bullets, printed, strict=True):
        assert _normalise(shown) == _normalise(given)


def test_address_note_calls_sit_on_their_passage_one_at_a_time(bundled_build: Built) -> None:
    """Issue 20: a call goes on the passage it annotates, before the punctuation, never stacked
    (`5,6`) at the end of a point."""
    section = _chapters(bundled_build)[ADDRESS_TITLE]
    calls = stacked = 0
    for li in section.iter(f"{X}li"):
        refs = [a for a in li.iter(f"{X}a") if a.get("role") == "doc-noteref"]
        calls += len(refs)
        for ref in refs:
            holder = ref.getparent() if ref.getparent().tag == f"{X}sup" else ref
            nxt = holder.getnext()
            if nxt is not None and not (holder.tail or "").strip() and nxt.find(f".//{X}a[@role='doc-noteref']") is not None:
                stacked += 1
    assert calls >= 12 and stacked == 0


def test_address_comparison_fails_on_a_changed_word() -> None:
    assert _normalise("« La loi et l’ordre »") == _normalise('"La loi et l\'ordre"')
    assert _normalise("La loi et l’ordre") != _normalise("La loi et le ordre")
    assert _normalise("bien-être du pays.") != _normalise("bien-être du pays")


# -- figures and table in both editions ---------------------------------------------------------------

CAPTIONS = {
    "chronology": "Chronologie des événements, du 1er au 19 janvier 2022",
    "timeline": "Frise des événements, du 1er au 19 janvier 2022",
    "map": "Les six États membres de l’OTSC en janvier 2022",
}


def test_epub_has_the_table_and_figures_with_captions_and_alt_text(bundled_build: Built) -> None:
    chapters = _chapters(bundled_build)
    events, otsc = chapters[CONTEXT_CHAPTERS[0]], chapters[CONTEXT_CHAPTERS[2]]
    table = events.find(f".//{X}table[@class='chronology']")
    assert CAPTIONS["chronology"] in _text(table.find(f"{X}caption"))
    assert len(table.findall(f".//{X}tbody/{X}tr")) >= 8
    for section, name in ((events, "timeline"), (otsc, "map")):
        figure = section.find(f".//{X}figure[@class='figure figure-{name}']")
        assert CAPTIONS[name] in _text(figure.find(f"{X}figcaption"))
        image = figure.find(f"{X}img")
        assert len(image.get("alt")) > 80
        svg = etree.fromstring(epub_file(bundled_build.epub, f"EPUB/{image.get('src')}"))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert svg.findtext("{http://www.w3.org/2000/svg}title") == image.get("alt")


def test_map_credits_its_data_in_both_editions(bundled_build: Built) -> None:
    figure = _chapters(bundled_build)[CONTEXT_CHAPTERS[2]].find(f".//{X}figure[@class='figure figure-map']")
    caption = _text(figure.find(f"{X}figcaption"))
    pdf = " ".join(_pdf_pages(bundled_build.pdf))
    for credit in ("Natural Earth", "domaine public", "GeoNames", "CC BY 4.0", "Lambert"):
        assert credit in caption
        assert credit in pdf


def _pdf_pages(pdf: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages]


def test_pdf_has_the_table_and_figures_as_vector_with_their_labels(bundled_build: Built) -> None:
    pages = _pdf_pages(bundled_build.pdf)
    where = {name: next(i for i, text in enumerate(pages) if caption in text) for name, caption in CAPTIONS.items()}
    assert "DATE LIEU ÉVÉNEMENT" in pages[where["chronology"]]
    with pdfplumber.open(bundled_build.pdf) as pdf:
        timeline = pdf.pages[where["timeline"]]
        map_page = pdf.pages[where["map"]]
        # figures drawn as vectors, their labels kept as text in the shipped Inter
        assert not map_page.images and len(map_page.curves) + len(map_page.rects) > 20
        labels = " ".join(w["text"] for w in map_page.extract_words(extra_attrs=["fontname"]) if "Inter" in w["fontname"])
        for label in ("Russie", "Biélorussie", "Arménie", "Kazakhstan", "Kirghizistan", "Tadjikistan",
                      "Nour-Soultan", "Almaty", "Aktobe", "Janaozen"):
            assert label in labels, label
        assert not timeline.images and len(timeline.curves) + len(timeline.lines) > 5
        assert "Janaozen" in timeline.extract_text()


# -- the book as a whole -------------------------------------------------------------------------------


def test_pdf_is_16_to_48_a4_pages_and_small(bundled_build: Built) -> None:
    # Edition 3 (43 pages) adds the sources' other account, the 2010 wording of article 4 and
    # the new references to edition 2's 37 pages.
    reader = PdfReader(str(bundled_build.pdf))
    assert 16 <= len(reader.pages) <= 48
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert bundled_build.pdf.stat().st_size < 1.5 * 1024 * 1024


def test_no_empty_page_but_the_covers_verso(bundled_build: Built) -> None:
    """Every page has text but the cover's verso (page 2) and the blank versos before a chapter
    opening on a recto, which are bare (no folio, no running head: print's convention, since
    the print edition; they used to carry their folio)."""
    pages = _pdf_pages(bundled_build.pdf)
    total = len(pages)
    assert pages[1] == ""
    for number, text in enumerate(pages, 1):
        if number == 2:
            continue
        if text in ("", f"{number}\u2009/\u2009{total}"):
            assert number % 2 == 0 and number < total, number
            following = pages[number]  # the next page, 0-based
            assert any(following.startswith(t[:25]) for t in (*CONTEXT_CHAPTERS, ADDRESS_TITLE, "Avant-propos",
                                                                 "Glossaire", "Sources", "Colophon")), number


def test_bundled_epub_passes_epubcheck(bundled_build: Built) -> None:
    assert epubcheck_messages(bundled_build.epub) == []


# -- edition 3: the catalogue, the cover, the figures ---------------------------------------------------


def test_supplied_summary_is_catalogued_apart_without_author_under_a_supplied_title(bundled_build: Built) -> None:
    sources = _chapters(bundled_build)["Sources"]
    groups = [_text(h) for h in sources.iter(f"{X}h2")]
    assert groups[:2] == ["Texte publié", "Documents officiels"]
    entry = _text(sources.find(f".//{X}li[@id='source-seed']"))
    assert entry.startswith("[Résumé en français de l’allocution télévisée du président Kassym-Jomart Tokaïev")
    assert "texte fourni à la rédaction, s. d." in entry
    assert "Tokayev, Kassym-Jomart" not in entry and "«" not in entry.split("]")[0]
    official = sources.xpath(".//x:section[x:h2='Documents officiels']//x:li/@id", namespaces=NS)
    assert "source-seed" not in official and {"source-kz-law-501", "source-csto-treaty"} <= set(official)


def test_cover_date_has_no_weekday_and_timeline_raises_the_first(bundled_build: Built) -> None:
    pages = _pdf_pages(bundled_build.pdf)
    assert "7 janvier 2022" in pages[0] and "vendredi" not in pages[0]
    timeline = next(text for text in pages if CAPTIONS["timeline"] in text)
    assert "1\u1d49\u02b3 janvier" in timeline  # the superior letters of Inter, not a plain "1er"
    table = _chapters(bundled_build)[CONTEXT_CHAPTERS[0]].find(f".//{X}table[@class='chronology']")
    assert all(_text(td) for td in table.iter(f"{X}td"))  # no blank Lieu cell


# -- edition 3: each note supports what it is cited for (issue 20) ---------------------------------

TITLE_MARKS = QUOTES + "’'"


def _squash(text: str) -> str:
    """Text compared with typography set aside: one space of any width, no quotation marks."""
    text = "".join(" " if unicodedata.category(c) == "Zs" else c for c in text if c not in TITLE_MARKS)
    return " ".join(text.split())


def _cited_in(part: str, book, previous: list[str]) -> list[str]:
    """The source one printed citation (`part`) names: by its title or short title, the
    publication deciding between two sources of one title; `Ibid.` is the citation before."""
    if part.startswith("Ibid"):
        return previous
    text = _squash(part)
    found = [i for i, s in book.sources.items()
             if any(t and _squash(t) in text for t in (s.text("title"), s.text("title-short")))]
    if len(found) > 1:
        found = [i for i in found if _squash(book.sources[i].text("container-title")) in text] or found
    return found


def _claims(section: etree._Element, book) -> list[tuple[str, list[str]]]:
    """Each citation of a chapter with the words it is set against: for a note made of
    citations only, the body text since the call before (in its paragraph, list item, cell or
    glossary definition); for a citation inside a written note, the note's text since the
    citation before."""
    notes: dict[str, list[str]] = {}
    claims: list[tuple[str, list[str]]] = []
    previous: list[str] = []
    for note in section.iter(f"{X}div"):
        if note.get("role") != "doc-footnote":
            continue
        paragraph = note.find(f"{X}p")
        said, pure, first = [], None, None
        for node in paragraph.xpath("node()[not(self::x:a[@role='doc-backlink'])]", namespaces=NS):
            if isinstance(node, etree._Element) and "cites" in (node.get("class") or "").split():
                ids = []
                for part in _text(node).strip("()").split(" ; "):
                    cited = _cited_in(part, book, previous)
                    assert cited, part  # every printed citation is recognised
                    ids += cited
                    previous = cited
                pure = not "".join(said).strip() if pure is None else pure
                first = ids if first is None else first
                claims.append(("".join(said), ids))
                said = []
            else:
                said.append(node if isinstance(node, str) else "".join(node.itertext()))
        if pure:
            notes[note.get("id")] = first
    for block in section.xpath(".//x:p | .//x:li | .//x:td | .//x:dd", namespaces=NS):
        if any("notes" in (a.get("class") or "").split() for a in block.iterancestors()):
            continue
        said: list[str] = []
        for node in block.xpath(".//text() | .//x:a[@role='doc-noteref']", namespaces=NS):
            if isinstance(node, etree._Element):
                ids = notes.get(node.get("href").removeprefix("#"))
                if ids is not None:
                    claims.append(("".join(said), ids))
                said = []
            else:
                owner = node.getparent().getparent() if node.is_tail else node.getparent()
                if not any((e.get("class") or "") == "noteref" for e in (owner, *owner.iterancestors())):
                    said.append(str(node))
    # a note made of citations only is set against the body text that calls it, not its own empty text
    return [(" ".join(text.split()), ids) for text, ids in claims if text.strip()]


@pytest.fixture(scope="module")
def claims(book, bundled_build: Built) -> list[tuple[str, list[str]]]:
    found = [c for section in _chapters(bundled_build).values() for c in _claims(section, book)]
    assert len(found) > 150
    return found


def test_every_chapter_claim_cites_a_source_the_reader_can_find(claims, book) -> None:
    """The reading of the notes itself: every citation names a source of the bibliography."""
    cited = {i for _, ids in claims for i in ids}
    assert cited == set(book.cited)


@pytest.mark.parametrize(("source", "not_for"), [
    # sputnik-0314 reports the nationwide state of emergency, not the government's fall nor Nazarbayev's
    ("sputnik-0314", r"démission|Mamine|Nazarbaïev|Conseil de sécurité(?! collective)"),
    # time-0115 reports the airport's seizure, not the fires
    ("time-0115", r"\bfeu\b|incendi"),
    # ap-0115 gives "more than 4 300" wounded; the 4 578 / 4 353 / 3 393 are ANI's
    ("ap-0115", r"4 578|4 353|3 393"),
])
def test_a_source_is_not_cited_for_what_it_does_not_say(claims, source: str, not_for: str) -> None:
    wrong = [text for text, ids in claims if source in ids and re.search(not_for, text)]
    assert wrong == []
    assert any(source in ids for _, ids in claims)


def test_the_tweet_and_the_damage_are_cited_for_what_they_are(claims) -> None:
    # pledge-0107 reports a tweet: its 20 000 is never the televised address's
    tweet = [text for text, ids in claims if "pledge-0107" in ids and "20 000" in text]
    assert tweet and all("Twitter" in text for text in tweet)
    full = [ids for text, ids in claims if "20 000 « bandits »" in text or "20 000 bandits" in text]
    assert full and all("qazaqtv-0107" in ids and "pledge-0107" not in ids for ids in full)
    # one damage figure in the later report (Babel's "over $200 million" is its own 209 million)
    damage = [text for text, ids in claims if "babel-238" in ids and "millions de dollars" in text]
    assert damage and all("209 millions" in text and "200 millions" not in text for text in damage)
    # the injury figures are ANI's
    assert any("ieo-0115" in ids and "4 353" in text for text, ids in claims)


def test_state_media_are_named_and_rt_never_stands_alone(claims) -> None:
    # a fact RT reports is always set beside another source; the glossary's entry for RT, which
    # describes the source itself ("cité dans ce dossier"), is the one citation of it alone
    rt = [ids for text, ids in claims if "newsnet-0108" in ids and "cité dans ce dossier" not in text]
    assert len(rt) >= 3 and all(len(ids) > 1 for ids in rt)
    for text, ids in claims:
        if "sputnik-0314" in ids and "Sputnik" in text:
            assert "média d’État russe Sputnik" in text or "selon Sputnik" in text, text


def test_the_dead_are_not_said_unknown_when_their_names_were_published(claims, bundled_build: Built) -> None:
    text = _text(_chapters(bundled_build)[CONTEXT_CHAPTERS[0]])
    assert "ne permettent pas d’établir qui étaient les personnes tuées" not in text
    assert any("babel-238" in ids and "liste nominative" in said for said, ids in claims)


def test_article_4_in_its_1992_wording_and_as_amended_in_2010(claims, bundled_build: Built) -> None:
    section = _chapters(bundled_build)[CONTEXT_CHAPTERS[2]]
    heading = section.find(f".//{X}h2[@id='ch5-larticle-4-du-traite']")
    paragraphs = []
    for sibling in heading.itersiblings():
        if sibling.tag == f"{X}h2":
            break
        paragraphs.append(_text(sibling))
    wording_1992, amended = paragraphs[0], " ".join(paragraphs[1:])
    assert "rédaction initiale de 1992" in wording_1992 and "l’un des États parties" in wording_1992
    assert "États membres" not in wording_1992
    for fact in ("protocole signé à Moscou le 10 décembre 2010", "loi nº 501-IV du 28 novembre 2011",
                 "19 décembre 2012", "autres formes d’attaque armée"):
        assert fact in amended, fact
    by_source = {i for text, ids in claims for i in ids if "2010" in text or "1992" in text}
    assert {"csto-basic-facts", "kremlin-0831", "kz-law-501", "csto-treaty"} <= by_source
    pdf = " ".join(_pdf_pages(bundled_build.pdf))
    assert "l’un des États parties" in pdf and "signé à Moscou le 10 décembre 2010" in pdf


def test_every_reference_gives_a_page_of_its_own(bundled_build: Built) -> None:
    """A web source is cited by the address of its page, never a site's home page, so that two
    pages of one site stay apart."""
    links = _chapters(bundled_build)["Sources"].xpath(".//x:li/x:a[@class='url']/@href", namespaces=NS)
    assert len(links) >= 40
    assert [u for u in links if urlsplit(u).path.strip("/") == "" and not urlsplit(u).query] == []
    assert len(set(links)) == len(links)


FOREIGN_FORMS = ("Tokayev", "Nazarbayev", "Smailov", "Shalabayev", "Zhovtis", "Shoigu", "Pashinyan",
                 "Serdyukov", "Mamin ")


def _editorial_text(element: etree._Element, address: bool) -> str:
    """The text the editors wrote: the supplied summary (the address chapter's list), what is
    marked as in another language (titles as published) and the addresses left out."""
    if element.get("lang", "fr")[:2] != "fr" or element.get("class") == "url":
        return element.tail or ""
    if address and element.tag == f"{X}ul" and element.getparent().get("class") == "chapter":
        return element.tail or ""
    inner = "".join(_editorial_text(child, address) for child in element)
    return (element.text or "") + inner + (element.tail or "")


def test_editorial_text_follows_the_house_transliteration(bundled_build: Built) -> None:
    chapters = _chapters(bundled_build)
    seen = 0
    for title, section in chapters.items():
        text = _editorial_text(section, title == ADDRESS_TITLE)
        assert [form for form in FOREIGN_FORMS if form in text] == [], title
        seen += text.count("Tokaïev")
    assert seen > 40
    # the summary keeps its own spelling, the titles theirs
    assert "Tokayev" in _text(chapters[ADDRESS_TITLE].find(f"{X}ul"))
    assert "Tokaïev" in _pdf_pages(bundled_build.pdf)[0]


def test_edition_3_says_when_it_was_made_and_what_it_changed(bundled_build: Built) -> None:
    pages = _pdf_pages(bundled_build.pdf)
    assert "Édition 3, 2 décembre 2026" in pages[0]
    colophon = _chapters(bundled_build)["Colophon"]
    editions = [_text(dt) for dt in colophon.iter(f"{X}dt")]
    assert editions == ["Édition 3, 2 décembre 2026", "Édition 2, 1er décembre 2026", "Édition 1, 25 novembre 2026"]
    changes = _text(colophon.find(f".//{X}dd"))
    for change in ("article 4", "protocole de 2010", "sans auteur", "titre attribué", "médias d’État",
                   "transcription française des noms"):
        assert change in changes, change
    opf = etree.fromstring(epub_file(bundled_build.epub, "EPUB/content.opf"))
    assert opf.findtext(".//dc:date", namespaces=NS) == "2026-12-02"


@pytest.mark.parametrize(("words", "source"), [
    # Azerbaijan, Georgia and Uzbekistan did not renew the treaty; they never left the 2002 organisation
    ("ont participé au traité jusqu’en 1999, puis ont décidé de ne pas le prolonger", "24kg-armenia"),
    # the Kyrgyz contingent flew home on its own
    ("les soldats kirghizes rentreront par leurs propres moyens", "armradio-0113"),
    ("Evgueni Jovtis, directeur du Bureau international kazakh pour les droits de l’homme et l’État de droit",
     "afp-0525"),
    ("dans la capitale, Nour-Soultan, dans les grandes villes et dans chaque district", "mfa-bern"),
    ("qu’il présente comme non officielle (« unofficial translation »)", "adilet-333"),
    ("d’un régime d’autorisation préalable à un régime de déclaration", "cabar-newlaw"),
    ("Sergueï Choïgou, ministre russe de la Défense", "armradio-0113"),
    ("Serik Chalabaïev, chef du service des poursuites pénales du parquet général", "ieo-0115"),
    ("Mihra Rittmann, qui travaille sur l’Europe et l’Asie centrale pour Human Rights Watch", "rferl-0525"),
    ("rapporteur spécial des Nations unies sur les droits à la liberté de réunion pacifique", "afp-0525"),
    ("Noursoultan Nazarbaïev, premier président du Kazakhstan", "babel-238"),
    ("en gardant le statut constitutionnel de « leader de la nation »", "dw-0111"),
    ("premier vice-Premier ministre du gouvernement démis la semaine précédente", "rferl-0111"),
    # the address's "demandes" are the protesters' demands, not requests to rally
    ("« toutes les revendications exprimées de manière pacifique ont été entendues »", "azvision-0107"),
    # "Deux récits": the other account the cited sources carry
    ("« tentative de coup d’État »", "rferl-0111"),
    ("n’ont pas apporté de preuves solides", "rferl-0111"),
    ("à Janaozen et à Aktau, dans l’ouest du pays, contre le doublement du prix du gaz liquéfié", "sputnik-0314"),
    ("dont 292 l’étaient encore à la date du rapport", "babel-238"),
    ("546 affaires pénales", "time-0115"),
    ("dans certains districts et à certaines heures", "trend-0107"),
])
def test_the_issue_s_corrections_stand_with_their_source(claims, words: str, source: str) -> None:
    """Each correction of the fact-check (issue 20, 'major') is printed, against the source that says it."""
    assert any(words in text and source in ids for text, ids in claims), words


def test_the_corrected_wordings_are_gone(bundled_build: Built) -> None:
    """What the fact-check and the copy-edit struck out is in neither edition."""
    epub = " ".join(_text(section) for section in _chapters(bundled_build).values())
    pdf = " ".join(_pdf_pages(bundled_build.pdf))
    for wrong in ("régime permissif", "notifié", "depuis mai 2020", "ont quitté l’OTSC", "coronavirus",
                  "droits humains", "indépendantes de ces autorités", "qui étaient les personnes tuées",
                  "de l’OTSC (1/2)", "Summary of the address"):
        assert wrong not in epub and wrong not in pdf, wrong
