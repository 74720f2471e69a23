"""Numbers and percentages in the dossier's locale (Babel): `2 030`, `12,5 %`."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent


def format_number(value: float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def format_percentage(value: float, locale: str) -> str:
    """`value` is a ratio: 0.125 → `12,5 %`."""
    return format_percent(value, format="#,##0.#%", locale=locale)
