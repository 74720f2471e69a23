"""Every diagnostic code and its level: what `[diagnostics] ignore` may name.

docs/diagnostics.md says what each one means and what to do; tests/test_diagnostics.py checks
that the codes the stages report, this list and that page agree. A new diagnostic: its code
here, a line there. Only warnings can be silenced; the EPUB checkers' codes are both (a finding
of EPUBCheck or Ace is an error or a warning as the tool says).
"""

from __future__ import annotations

ERRORS = frozenset(
    {
        # the command and its environment
        "environment", "internal", "new-exists", "new-locale",
        # dossier import
        "import-exists", "import-missing", "import-empty", "import-yaml",
        # dossier.toml
        "config-missing", "config-empty", "config-syntax", "config-missing-key", "config-unknown-key",
        "config-type", "config-locale", "config-layout", "config-outside",
        # files
        "file-missing", "limit-file", "encoding", "yaml-syntax", "yaml-character", "json-syntax",
        # chapters
        "chapter-outside", "chapter-missing", "chapter-twice", "chapter-unlisted", "chapter-title",
        "front-matter", "heading-empty", "table-span", "limit-nesting", "limit-paragraph", "math",
        # notes, citations, links, images, raw HTML
        "note-duplicate", "note-undefined", "note-called-twice", "note-nested", "note-block",
        "limit-notes", "limit-paragraph-notes", "source-unknown", "link-scheme", "link-chapter",
        "link-anchor", "image-alt", "image-remote", "image-missing", "image-outside", "image-format",
        "raw-html",
        # sources
        "sources-missing", "sources-format", "source-format", "source-id", "source-type", "source-date",
        "source-names", "source-url", "source-duplicate", "bib-syntax", "bib-entry", "bib-pandoc",
        # glossary, generated blocks and their data
        "glossary-format", "block-unknown", "block-options", "data-outside", "data-missing",
        "data-format", "data-date", "map-country", "map-city",
        # the layout: a house layout's folder, its manifest, its templates
        "layout-missing", "layout-manifest", "layout-outside", "layout-font", "layout-files", "layout-format",
        "layout-template", "layout-sandbox",
        # the print layout
        "resource-refused", "hyphenation-entry",
        # the PDF's tags (a PDF/UA build, `dossier check`)
        "pdf-untagged", "pdf-lang", "pdf-tree", "pdf-parent-tree", "pdf-link", "pdf-note", "pdf-table",
        "pdf-figure", "pdf-id", "pdf-text",
        # the EPUB's checks (`dossier check`)
        "epub-epubcheck", "epub-ace",
    }
)  # fmt: skip

WARNINGS = frozenset(
    {
        "config-ignore", "locale-catalog", "control-character", "front-matter-ignored", "raw-latex",
        "note-uncalled", "image-misnamed", "source-uncited", "source-web-url", "source-accessed", "source-language",
        "spelling",
        "epub-epubcheck", "epub-ace",
        # the EPUB's own accessibility checks (dossier.validate.accessibility): no conformance claim then
        "epub-lang", "epub-alt-text", "epub-page-list", "epub-notes", "epub-a11y-unchecked",
        # WeasyPrint's remarks on a layout's stylesheets (dossier.write.csslog), and a file they name that is missing
        "css-property", "css-value", "css-font", "css-syntax", "css-ignored", "css-missing",
    }
)  # fmt: skip

CODES = ERRORS | WARNINGS
