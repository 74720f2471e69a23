"""Write stage: WeasyPrint → PDF, ebooklib → EPUB, each file written atomically."""
