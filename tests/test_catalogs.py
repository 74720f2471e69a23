"""The gettext catalogs: every layout word extracted from the code and templates is translated
in French and in English, placeholders agree, and the wheel ships `.mo` files that say what
the `.po` files say."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from dossier.l10n.i18n import LOCALES_DIR, catalog_path, translations
from tests.helpers import ROOT

LANGUAGES = ("fr", "en", "de", "ru")


def _ids(messages) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id}


@pytest.fixture(scope="module")
def extracted() -> set[str]:
    """What `pybabel extract -F babel.cfg .` finds."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(str(ROOT), method_map, options_map)
    ids = {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}
    assert len(ids) > 20  # the extraction did run over the templates and the code
    return ids


def _catalog(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as po:
        return read_po(po)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_complete(lang: str, extracted: set[str]) -> None:
    catalog = _catalog(lang)
    ids = _ids(catalog)
    assert sorted(extracted - ids) == [], "extracted but not in the catalog (run pybabel update, see babel.cfg)"
    assert sorted(ids - extracted) == [], "in the catalog but no longer used"
    untranslated = [m.id for m in catalog if m.id and (m.fuzzy or not m.string or not all(m.string))]
    assert untranslated == []
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []  # placeholders agree with the message ids


def test_template_is_current(extracted: set[str]) -> None:
    with (LOCALES_DIR / "dossier.pot").open("rb") as pot:
        assert _ids(read_po(pot)) == extracted


def test_french_words_are_french() -> None:
    fr = translations("fr_FR")
    assert fr.gettext("Contents") == "Sommaire"
    assert fr.gettext("[accessed %(date)s]") % {"date": "7 janvier 2022"} == "[consulté le 7 janvier 2022]"
    assert translations("en_GB").gettext("Contents") == "Contents"


def test_wheel_ships_compiled_catalogs(tmp_path: Path) -> None:
    """The wheel (hatchling with hatch_build.py) holds a `.mo` per `.po`, with the same messages."""
    result = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(next(tmp_path.glob("*.whl"))) as wheel:
        for lang in LANGUAGES:
            mo = read_mo(BytesIO(wheel.read(f"dossier/l10n/locales/{lang}/LC_MESSAGES/dossier.mo")))
            po = _catalog(lang)
            def table(catalog):  # plural messages have a tuple of ids and of strings
                return {tuple(m.id) if isinstance(m.id, list | tuple) else m.id: tuple(m.string)
                        if isinstance(m.string, list | tuple) else m.string for m in catalog if m.id}
            assert table(mo) == table(po)
