"""`dossier new DIR`: copy the scaffold for the locale's language, with a fresh identifier.
`dossier new --layout DIR`: copy the default layout, with its fonts and their licences, as a house layout."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dossier.errors import DossierError, Location
from dossier.resources import LAYOUT_MANIFEST, assets_dir, layouts_dir


def scaffold(target: Path, locale: str) -> Path:
    from babel import Locale, UnknownLocaleError

    try:
        language = Locale.parse(locale).language
    except (UnknownLocaleError, ValueError):
        raise DossierError.single("new-locale", Location(target), f"unknown locale '{locale}'") from None
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DossierError.single("new-exists", Location(target), "already exists and is not empty: nothing written")
    source = assets_dir() / "scaffold" / (language if (assets_dir() / "scaffold" / language).is_dir() else "en")
    # The scaffold's templates are TOML and Markdown, not HTML: HTML escaping would corrupt them.
    env = Environment(
        loader=FileSystemLoader(str(source)), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    values = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "locale": locale,
        "today": dt.date.today().isoformat(),
        "slug": target.name.lower(),
    }
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(source)
        destination = target / str(relative).removesuffix(".j2")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".j2":
            destination.write_text(env.get_template(relative.as_posix()).render(values), encoding="utf-8")
        else:
            destination.write_bytes(path.read_bytes())
    return target


SHIPPED_FONTS = "../../assets/fonts/"  # where the default layout's files name the shipped fonts
SHIPPED_ICC = "../../assets/icc/"  # where print-ready.css names the output intent's colour profile


def scaffold_layout(target: Path) -> Path:
    """A house layout in `target`: the default layout's files, its fonts copied into `fonts/`
    (with their licences) and named there, and a layout.toml that extends the default."""
    import tomllib

    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DossierError.single("new-exists", Location(target), "already exists and is not empty: nothing written")
    default = layouts_dir() / "default"
    manifest = tomllib.loads((default / LAYOUT_MANIFEST).read_text(encoding="utf-8"))
    for path in sorted(default.rglob("*")):
        relative = path.relative_to(default)
        if path.is_dir() or relative.as_posix() == LAYOUT_MANIFEST:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".css":  # the shipped fonts' place → the copies'
            css = path.read_text(encoding="utf-8").replace(SHIPPED_FONTS, "fonts/").replace(SHIPPED_ICC, "icc/")
            destination.write_text(css, encoding="utf-8")
        else:
            destination.write_bytes(path.read_bytes())
    for profile in sorted((assets_dir() / "icc").iterdir()):  # the colour profile with its licence
        (target / "icc").mkdir(parents=True, exist_ok=True)
        (target / "icc" / profile.name).write_bytes(profile.read_bytes())
    fonts = []
    for font in manifest.get("fonts", []):
        for key in ("file", "licence"):
            source = (default / font[key]).resolve()
            (target / "fonts").mkdir(parents=True, exist_ok=True)
            (target / "fonts" / source.name).write_bytes(source.read_bytes())
        fonts.append({"file": Path(font["file"]).name, "licence": Path(font["licence"]).name})
    env = Environment(
        loader=FileSystemLoader(str(assets_dir() / "scaffold")), undefined=StrictUndefined,
        keep_trailing_newline=True, autoescape=False, trim_blocks=True,
    )
    text = env.get_template("layout.toml.j2").render(name=target.name, fonts=fonts)
    (target / LAYOUT_MANIFEST).write_text(text, encoding="utf-8")
    return target
