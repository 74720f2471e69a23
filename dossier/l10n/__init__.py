"""Locale: dates, numbers, layout words (gettext) and typography in the dossier's language."""
