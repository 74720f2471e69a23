"""Numbers and percentages in the dossier's locale (Babel): `2 030`, `12,5 %`."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent


def format_number(value: float, locale: str) -> str:
    """`2030` → `2 030` (fr), `2,030` (en); decimals as given: `12.5` → `12,5`."""
    return format_decimal(value, locale=locale, decimal_quantization=False)


def format_percentage(value: float, locale: str) -> str:
    """`value` is a ratio: 0.125 → `12,5 %` (the locale's own pattern, decimals kept)."""
    return format_percent(value, locale=locale, decimal_quantization=False)
