"""A synthetic dossier for the benchmark: many chapters, notes with citations, tables, figures,
a chronology and a timeline, about `pages` A4 pages (≈ 300 by default).

The text is filler made of French words in French typography (apostrophes, guillemets, spaces
before `;:?!`), so the typography pass and hyphenation do their usual work; it states no facts.
The generator is deterministic: the same arguments give the same files.

    python bench/synth.py OUT [--pages 300] [--sources 1500 --formats]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
from pathlib import Path

# Calibrated on the default layout (A4): a body chapter of the shape below is about this many
# pages, and the front and back matter (title pages, contents, chronology, glossary, sources) about
# FIXED_PAGES; there are NOTES_PER_PAGE notes a page (≈ 1 500 for 300 pages) and 5 sources a chapter.
PAGES_PER_CHAPTER = 12.0
FIXED_PAGES = 20
NOTES_PER_PAGE = 5

_VOCABULARY = (
    "le la les un une des du de et à au aux en dans sur sous par pour avec sans entre vers chez contre"
    " gouvernement président ministre parlement assemblée région ville village habitants manifestation"
    " rassemblement déclaration allocution discours loi article décret tribunal procureur avocat témoin"
    " journaliste rédaction agence dépêche rapport enquête commission organisation alliance frontière"
    " accord traité sécurité police armée garde nationale élection scrutin budget impôt prix gaz pétrole"
    " marché enchère tarif salaire ouvrier entreprise usine chantier route aéroport gare mairie"
    " annonce publie affirme rapporte précise conteste dément confirme souligne rappelle estime indique"
    " ancien nouveau premier dernier important long bref public officiel indépendant local étranger"
    " semaine mois année matin soir journée saison hiver printemps automne été histoire mémoire archive"
    " document source chiffre bilan estimation hypothèse question réponse analyse contexte lecture"
)
WORDS = _VOCABULARY.split()
NAMES = ["Dubois", "Martin", "Lefèvre", "Moreau", "Garnier", "Chevalier", "Roussel", "Perrin", "Marchand", "Blanc"]
GIVEN = ["Anne", "Jean", "Claire", "Paul", "Élise", "Marc", "Hélène", "Louis", "Sophie", "Henri"]
KINDS = ["article-newspaper", "report", "book", "webpage", "speech", "legislation", "article-journal", "interview"]
PLACES = ["Lyon", "Brest", "Nantes", "Arles", "Reims", "Dijon", "Tours", "Metz", "Pau", "Nîmes"]


def sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    text = " ".join(chosen)
    if rng.random() < 0.15:
        cut = rng.randrange(2, max(3, words - 3))
        text = " ".join(chosen[:cut]) + " « " + " ".join(chosen[cut : cut + 3]) + " » " + " ".join(chosen[cut + 3 :])
    if rng.random() < 0.1:
        text = f"l’{text}"
    if rng.random() < 0.1:
        text += f", soit {rng.randrange(1000, 99000):,} personnes".replace(",", " ")
    end = rng.choice([" ;", " ?", " :", "."]) if rng.random() < 0.3 else "."
    return text[0].upper() + text[1:] + end


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng, rng.randrange(10, 24)) for _ in range(sentences))


def source_id(index: int) -> str:
    return f"src-{index:03d}"


def cite(rng: random.Random, sources: int) -> str:
    ids = [source_id(rng.randrange(sources)) for _ in range(1 if rng.random() < 0.8 else 2)]
    parts = [f"@{i}, p. {rng.randrange(1, 400)}" if rng.random() < 0.5 else f"@{i}" for i in ids]
    return "[" + "; ".join(parts) + "]"


def chapter(rng: random.Random, number: int, figure: str | None, notes: int, sources: int) -> str:
    """One body chapter: sections, paragraphs with citations and notes, a table, maybe a figure."""
    lines = [f"# Chapitre {number} : {sentence(rng, 4).rstrip('.;?: ')}", ""]
    footnotes: list[str] = []
    placed = 0
    sections = 4
    paragraphs_per_section = 7
    per_paragraph = notes / (sections * paragraphs_per_section)
    for section in range(1, sections + 1):
        lines += [f"## Section {number}.{section} : {sentence(rng, 3).rstrip('.;?: ')}", ""]
        for index in range(paragraphs_per_section):
            text = paragraph(rng, rng.randrange(5, 9))
            want = round(per_paragraph * ((section - 1) * paragraphs_per_section + index + 1)) - placed
            for _ in range(max(0, want)):
                placed += 1
                if placed % 2:
                    text += cite(rng, sources)
                else:
                    label = f"n{number}-{placed}"
                    text += f"[^{label}]"
                    body = paragraph(rng, rng.randrange(1, 3))
                    footnotes.append(f"[^{label}]: {body} {cite(rng, sources) if rng.random() < 0.6 else ''}".rstrip())
                text += " " + sentence(rng, rng.randrange(6, 14))
            lines += [text, ""]
        if section == 2:
            lines += table(rng, number)
        if section == 3 and figure:
            caption = f"Figure {number} : {sentence(rng, 6)}"
            lines += [f'![Figure de remplissage du chapitre {number}](images/{figure} "{caption}")', ""]
    return "\n".join(lines + footnotes) + "\n"


def table(rng: random.Random, number: int) -> list[str]:
    rows = ["| Lieu | Date | Effectif | Remarque |", "| --- | --- | ---: | --- |"]
    for _ in range(8):
        day = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(60))
        rows.append(f"| {rng.choice(PLACES)} | {day.isoformat()} | {rng.randrange(10, 50000)} | {sentence(rng, 5)} |")
    return [*rows, "", f"Tableau {number} : {sentence(rng, 5)}", ""]


def sources_yaml(rng: random.Random, sources: int) -> str:
    out = []
    for index in range(sources):
        kind = KINDS[index % len(KINDS)]
        day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(2500))
        entry = [
            f"- id: {source_id(index)}",
            f"  type: {kind}",
            "  author:",
            f"    - family: {rng.choice(NAMES)}",
            f"      given: {rng.choice(GIVEN)}",
            f"  title: {sentence(rng, 6).rstrip('.;?: ')}",
            f"  issued: {day.isoformat()}",
            "  language: fr",
        ]
        if kind in ("article-newspaper", "article-journal"):
            entry.append(f"  container-title: Revue {rng.choice(PLACES)}")
        if kind in ("report", "book"):
            entry += [f"  publisher: Éditions {rng.choice(NAMES)}", f"  publisher-place: {rng.choice(PLACES)}"]
        if kind == "webpage":
            entry += [f"  URL: https://example.org/{source_id(index)}", "  accessed: 2026-11-24"]
        if kind == "legislation":
            entry.append(f"  number: {rng.randrange(100, 999)}-{rng.randrange(10, 99)}")
        out.append("\n".join(entry))
    return "\n\n".join(out) + "\n"


_LANGUAGES = ("fr", "French", "français", "fre", "English", "en-GB")  # as Zotero and Pandoc users write them


def sources_files(rng: random.Random, sources: int) -> dict[str, str]:
    """The sources split in three files as a Zotero and LaTeX user has them: a third CSL-YAML,
    a third CSL-JSON (Zotero's export: language names, `note`, `<i>` in titles), a third BibLaTeX."""
    third = sources // 3
    items = []
    for index in range(third, 2 * third):
        day = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(2500))
        items.append({
            "id": source_id(index), "type": "article-newspaper",
            "title": f"<i>{rng.choice(WORDS)}</i> {sentence(rng, 5)}",
            "author": [{"family": rng.choice(NAMES), "given": rng.choice(GIVEN)}],
            "container-title": f"Revue {rng.choice(PLACES)}",
            "issued": {"date-parts": [[str(day.year), day.month, day.day]]},
            "URL": f"https://example.org/{source_id(index)}", "accessed": {"date-parts": [[2026, 11, 24]]},
            "language": rng.choice(_LANGUAGES), "note": f"OCLC: {rng.randrange(10**6, 10**7)}",
        })
    entries = []
    for index in range(2 * third, sources):
        kind = ("book", "article", "online")[index % 3]
        fields = [
            f"  author = {{{rng.choice(NAMES)}, {rng.choice(GIVEN)}}}",
            f"  title = {{{sentence(rng, 6).rstrip('.;?: ')}}}",
            f"  date = {{{2010 + index % 12}-{1 + index % 12:02d}}}", "  langid = {french}",
        ]
        if kind == "article":
            fields += [
                f"  journaltitle = {{Revue {rng.choice(PLACES)}}}",
                f"  pages = {{{index % 90 + 1}--{index % 90 + 9}}}",
            ]
        if kind == "book":
            fields += [
                f"  publisher = {{{{\\'E}}ditions {rng.choice(NAMES)}}}",
                f"  location = {{{rng.choice(PLACES)}}}",
            ]
        if kind == "online":
            fields += [f"  url = {{https://example.org/{source_id(index)}}}", "  urldate = {2026-11-24}"]
        entries.append(f"@{kind}{{{source_id(index)},\n" + ",\n".join(fields) + ",\n}\n")
    return {
        "sources.yaml": sources_yaml(rng, third),
        "sources.json": json.dumps(items, ensure_ascii=False, indent=1) + "\n",
        "sources.bib": "\n".join(entries),
    }


def chronology_yaml(rng: random.Random, events: int, days: int, sources: int) -> str:
    out = []
    for index in range(events):
        day = dt.date(2022, 1, 1) + dt.timedelta(days=index * days // events)
        out.append(
            f"- date: {day.isoformat()}\n  place: {rng.choice(PLACES)}\n  label: Événement {index + 1}\n"
            f"  event: >-\n    {sentence(rng, 14)} {cite(rng, sources)}"
        )
    return "\n\n".join(out) + "\n"


def glossary_yaml(rng: random.Random) -> str:
    out = []
    for index in range(40):
        term = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTU") for _ in range(3)) + str(index)
        expansion = sentence(rng, 4).rstrip(".;?: ")
        out.append(f"- term: {term}\n  expansion: {expansion}\n  definition: >-\n    {sentence(rng, 18)}")
    return "\n\n".join(out) + "\n"


def images(folder: Path, count: int) -> list[str]:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        image = Image.new("RGB", (1200, 700), (245, 245, 240))
        draw = ImageDraw.Draw(image)
        for bar in range(12):
            height = 60 + (bar * 37 + index * 53) % 560
            draw.rectangle([60 + bar * 92, 680 - height, 120 + bar * 92, 680], fill=(40 + bar * 15, 80, 140 - bar * 5))
        name = f"figure-{index + 1:02d}.png"
        image.save(folder / name, optimize=True)
        names.append(name)
    return names


def synthesise(
    out: Path,
    pages: int = 300,
    seed: int = 1,
    sources: int | None = None,
    formats: bool = False,
    notes_per_page: float = NOTES_PER_PAGE,
) -> Path:
    """Write the dossier at `out` (replacing it) and return its folder: `sources` sources (5 a
    chapter by default), in CSL-YAML, or with `formats` in three files (YAML, JSON and .bib);
    `notes_per_page` notes a page (a dossier holds 3 000 at most: `limit-notes`)."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "chapters").mkdir(parents=True)
    (out / "data").mkdir()
    count = max(1, round((pages - FIXED_PAGES) / PAGES_PER_CHAPTER))
    notes = round(pages * notes_per_page / count)
    sources = sources or 5 * count
    figures = images(out / "images", 10)
    names = ["chapters/00-avant-propos.md"]
    (out / names[0]).write_text(
        "---\nrole: front\n---\n\n# Avant-propos\n\n" + "\n\n".join(paragraph(rng, 6) for _ in range(4)) + "\n"
    )
    for number in range(1, count + 1):
        name = f"chapters/{number:02d}-chapitre.md"
        figure = figures[(number // 3) % len(figures)] if number % 3 == 0 else None
        (out / name).write_text(chapter(rng, number, figure, notes, sources))
        names.append(name)
    (out / "data" / "chronology.yaml").write_text(chronology_yaml(rng, 60, 59, sources))
    (out / "data" / "timeline.yaml").write_text(chronology_yaml(rng, 12, 18, sources))
    back = {
        "chronologie": "# Chronologie\n\n```{timeline}\ndata: data/timeline.yaml\ncaption: Frise de remplissage\n"
        "alt: Frise chronologique de douze événements de remplissage.\n```\n\n"
        "```{chronology}\ndata: data/chronology.yaml\ncaption: Chronologie de remplissage\n```\n",
        "glossaire": "# Glossaire\n\n```{glossary}\n```\n",
        "sources": "# Sources\n\n```{bibliography}\n```\n",
        "colophon": "# Colophon\n\nDossier synthétique du banc d’essai.\n\n## Éditions\n\n```{editions}\n```\n",
    }
    for index, (stem, text) in enumerate(back.items()):
        name = f"chapters/{90 + index}-{stem}.md"
        (out / name).write_text("---\nrole: back\n---\n\n" + text)
        names.append(name)
    files = sources_files(rng, sources) if formats else {"sources.yaml": sources_yaml(rng, sources)}
    for name, text in files.items():
        (out / name).write_text(text)
    (out / "glossary.yaml").write_text(glossary_yaml(rng))
    chapters = ",\n".join(f'  "{n}"' for n in names)
    (out / "dossier.toml").write_text(
        f'title = "Dossier synthétique de {pages} pages"\nauthors = ["Banc d’essai"]\npublisher = "Banc d’essai"\n'
        f'locale = "fr_FR"\nidentifier = "urn:uuid:00000000-0000-4000-8000-{pages:012d}"\nslug = "synth-{pages}"\n'
        f"chapters = [\n{chapters},\n]\nglossary = \"glossary.yaml\"\nsources = {json.dumps(list(files))}\n\n"
        '[edition]\nnumber = 1\ndate = 2026-11-25\nsummary = "Première édition."\n'
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--sources", type=int, help="number of sources (default: 5 a chapter)")
    parser.add_argument("--formats", action="store_true", help="sources in CSL-YAML, CSL-JSON and BibLaTeX files")
    args = parser.parse_args()
    print(synthesise(args.out, args.pages, sources=args.sources, formats=args.formats))


if __name__ == "__main__":
    main()
