"""Every resource limit the extraction library enforces, in one explicit, configurable place."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Bytes of the uploaded file; checked before any parser sees it.
    max_bytes: int = 50_000_000
    # Pages (PDF pages or TIFF frames) in one document.
    max_pages: int = 100
    # Pixels of one page at the resolution it is rasterized for OCR (PDF: media box at
    # raster_dpi_max; images: their own pixel grid). Bounds the memory and time of one page.
    # Also bounds what is decoded on the way, whatever the resolution tag says: an image file's
    # frame and each image embedded in a PDF page, in their stored pixels.
    max_page_pixels: int = 60_000_000
    # Highest resolution a PDF page is rasterized at; image-only pages use their embedded
    # image's resolution when it is lower, so a 204-dpi fax is not upsampled for nothing.
    raster_dpi_max: int = 300
    # One PDF page's content, bounded before pdfminer holds it: decompressed content-stream
    # bytes (each Form XObject counted every time it is drawn), glyphs, and drawn shapes/images.
    # A dense text page is ~0.2 MB and 5,000 characters; pdfminer plus pdfplumber keep ~2.5 KB
    # per glyph or shape, so these keep one page's parse within a few hundred MB.
    max_page_content_bytes: int = 8_000_000
    max_page_chars: int = 60_000
    max_page_drawings: int = 60_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pages", "max_page_pixels", "raster_dpi_max", "max_page_content_bytes",
                     "max_page_chars", "max_page_drawings"):
            if getattr(self, name) <= 0:
                raise ValueError(f"limit {name} must be positive, not {getattr(self, name)}")
