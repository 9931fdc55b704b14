"""Tesseract, via pytesseract: words with boxes and confidences, and page orientation.

Tesseract runs as a subprocess per call, so pages can be read in parallel from threads. It is
limited to one OpenMP thread: with its default threading, two pages at once ran ~9x slower
on our 2-core machines than one thread each.
"""
from __future__ import annotations

import os
import re

import pytesseract
from PIL import Image

from extraction.errors import ConfigurationError, OcrEngineError
from extraction.models import BBox, Word

# PSM 3: fully automatic page segmentation, the right default for mixed forms and notes.
DEFAULT_PSM = 3
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_ORIENTATION_CONFIDENCE_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)
# Orientation confidence below this is treated as no evidence (full fax pages score ~17).
MIN_ORIENTATION_CONFIDENCE = 2.0
_TOO_FEW_CHARACTERS = "Too few characters"


class TesseractEngine:
    def __init__(self, lang: str = "eng", timeout_seconds: float = 60, psm: int = DEFAULT_PSM) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"OCR timeout must be positive, not {timeout_seconds}")
        self.lang = lang
        self.timeout_seconds = timeout_seconds
        self.psm = psm
        # pytesseract offers no per-call environment; the subprocess inherits ours.
        os.environ["OMP_THREAD_LIMIT"] = "1"

    def read_words(self, image: Image.Image, dpi: float, psm: int | None = None) -> list[Word]:
        """Words in Tesseract's reading order (block, paragraph, line, word), boxes in points.

        `image` is the upright page at `dpi`; boxes are converted to PDF points of that page.
        """
        config = f"--psm {psm or self.psm} --dpi {round(dpi)}"
        data = self._run(pytesseract.image_to_data, image, lang=self.lang, config=config,
                         output_type=pytesseract.Output.DICT)
        to_pt = 72.0 / dpi
        width_pt, height_pt = image.width * to_pt, image.height * to_pt
        line_ids: dict[tuple[int, int, int], int] = {}
        words = []
        for i, text in enumerate(data["text"]):
            conf = float(data["conf"][i])
            text = text.strip()
            if conf < 0 or not text:
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            line = line_ids.setdefault(key, len(line_ids))
            x0, y0 = data["left"][i] * to_pt, data["top"][i] * to_pt
            x1 = min(x0 + data["width"][i] * to_pt, width_pt)
            y1 = min(y0 + data["height"][i] * to_pt, height_pt)
            words.append(Word(text, BBox(x0, y0, x1, y1), min(conf / 100.0, 1.0), line=line))
        return words

    def detect_orientation(self, image: Image.Image, dpi: float = 0) -> int:
        """Degrees clockwise (0/90/180/270) to turn `image` upright; 0 when OSD cannot tell."""
        config = "--psm 0" + (f" --dpi {round(dpi)}" if dpi else "")
        try:
            osd = self._run(pytesseract.image_to_osd, image, config=config)
        except OcrEngineError as exc:
            # Tesseract refuses OSD on pages with little text ("Too few characters"): not an
            # engine failure, the page simply gives no orientation evidence.
            cause = exc.__cause__
            if isinstance(cause, pytesseract.TesseractError) and _TOO_FEW_CHARACTERS in str(cause.message):
                return 0
            raise
        rotate = _ROTATE_RE.search(osd)
        confidence = _ORIENTATION_CONFIDENCE_RE.search(osd)
        if not rotate or (confidence and float(confidence.group(1)) < MIN_ORIENTATION_CONFIDENCE):
            return 0
        return int(rotate.group(1)) % 360

    def _run(self, func, image: Image.Image, **kwargs):
        try:
            return func(image, timeout=self.timeout_seconds, **kwargs)
        except pytesseract.TesseractNotFoundError as exc:
            raise ConfigurationError("the tesseract executable is not installed or not on PATH") from exc
        except pytesseract.TesseractError as exc:
            if "Failed loading language" in str(exc.message):
                raise ConfigurationError(f"Tesseract language data '{self.lang}' is not installed") from exc
            raise OcrEngineError(f"Tesseract failed (status {exc.status})") from exc
        except RuntimeError as exc:  # pytesseract signals its timeout as a bare RuntimeError
            raise OcrEngineError(f"Tesseract did not finish within {self.timeout_seconds} s") from exc
