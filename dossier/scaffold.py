"""`dossier new DIR`: copy the scaffold for the locale's language, with a fresh identifier."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from dossier.errors import DossierError, Location
from dossier.resources import assets_dir


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
