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
    max_page_pixels: int = 60_000_000
    # Highest resolution a PDF page is rasterized at; image-only pages use their embedded
    # image's resolution when it is lower, so a 204-dpi fax is not upsampled for nothing.
    raster_dpi_max: int = 300

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pages", "max_page_pixels", "raster_dpi_max"):
            if getattr(self, name) <= 0:
                raise ValueError(f"limit {name} must be positive, not {getattr(self, name)}")
