"""OCR engines: words with boxes and 0..1 confidences, page orientation, and re-reads of regions.

`OcrEngine` is what the page reader needs from an engine; `build_engine` makes one by name
(`INTAKE_OCR_ENGINE`). Two implementations, both Tesseract:

- "tesseract": the `tesseract` executable via pytesseract, a subprocess per call (so pages can be
  read in parallel from threads). It loads the language model and receives a PNG on every call.
- "tesserocr": Tesseract in the process (extraction/ocr_tesserocr.py), the model loaded once per
  thread and pages handed over as raw pixels.

Tesseract is limited to one OpenMP thread: with its default threading, two pages at once ran ~9x
slower on our 2-core machines than one thread each.
"""
from __future__ import annotations

import enum
import importlib.util
import os
import re
from dataclasses import dataclass
from typing import Protocol

import pytesseract
from PIL import Image

from extraction.errors import ConfigurationError, OcrEngineError
from extraction.models import BBox, Word

ENGINE_NAMES = ("tesseract", "tesserocr")


def _default_engine() -> str:
    """tesserocr where its library is installed (it reads a page several times faster:
    docs/operations.md), else the executable. Only looks for the library, never loads it."""
    return "tesserocr" if importlib.util.find_spec("tesserocr") is not None else "tesseract"


DEFAULT_OCR_ENGINE = _default_engine()
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_ORIENTATION_CONFIDENCE_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)
_TOO_FEW_CHARACTERS = "Too few characters"


class Layout(enum.IntEnum):
    """How the image is laid out; the values are Tesseract's page segmentation modes."""
    PAGE = 3  # fully automatic segmentation, the right default for mixed forms and notes
    BLOCK = 6  # one uniform block of lines (stacked line cut-outs being re-read)
    LINE = 7  # a single short line (the inside of a circled answer)


@dataclass(frozen=True)
class ConfidenceThresholds:
    """Thresholds on one engine's confidence scale. Word confidences are 0..1 on every engine,
    but what counts as doubtful depends on how the engine spreads them."""
    doubtful_word: float = 0.5  # a line with a word below this is re-read, enlarged
    upright_mean: float = 0.6  # a page read as it lies below this mean may not be upright
    orientation: float = 2.0  # orientation confidence below this is no evidence (full fax pages ~17+)


class OcrEngine(Protocol):
    name: str  # one of ENGINE_NAMES; calibration maps record it
    thresholds: ConfidenceThresholds
    # True: orientation is detected before every page is read. False: the page is read as it
    # lies and orientation is detected only when that reading is doubtful (one pass when upright).
    orientation_first: bool

    def read_words(self, image: Image.Image, dpi: float, layout: Layout = Layout.PAGE) -> list[Word]:
        """Words in reading order (block, paragraph, line, word), boxes in PDF points of `image`
        at `dpi`, confidences 0..1. A region is re-read by passing its cut-out."""
        ...

    def detect_orientation(self, image: Image.Image, dpi: float = 0) -> int:
        """Degrees clockwise (0/90/180/270) to turn `image` upright; 0 when there is no evidence."""
        ...


def build_engine(name: str, lang: str = "eng", timeout_seconds: float = 60,
                 tessdata: str | None = None) -> OcrEngine:
    """The engine called `name`; `tessdata` (tesserocr only) is the folder of traineddata files,
    found on this machine when None."""
    if name == "tesseract":
        return TesseractEngine(lang=lang, timeout_seconds=timeout_seconds)
    if name == "tesserocr":
        from extraction.ocr_tesserocr import TesserocrEngine  # its library is optional
        return TesserocrEngine(lang=lang, timeout_seconds=timeout_seconds, tessdata=tessdata)
    raise ConfigurationError(f"unknown OCR engine {name!r}; expected one of {', '.join(ENGINE_NAMES)}")


def words_from_columns(data: dict[str, list], dpi: float, width_px: int, height_px: int) -> list[Word]:
    """Tesseract's TSV word table (as columns) -> Words in points, lines numbered per page."""
    to_pt = 72.0 / dpi
    width_pt, height_pt = width_px * to_pt, height_px * to_pt
    line_ids: dict[tuple[int, int, int], int] = {}
    words = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        text = str(text).strip()
        if conf < 0 or not text:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        line = line_ids.setdefault(key, len(line_ids))
        x0, y0 = int(data["left"][i]) * to_pt, int(data["top"][i]) * to_pt
        x1 = min(x0 + int(data["width"][i]) * to_pt, width_pt)
        y1 = min(y0 + int(data["height"][i]) * to_pt, height_pt)
        words.append(Word(text, BBox(x0, y0, x1, y1), min(conf / 100.0, 1.0), line=line))
    return words


class TesseractEngine:
    """The `tesseract` executable through pytesseract: a subprocess (and an image file) per call."""
    name = "tesseract"
    thresholds = ConfidenceThresholds()
    # Read first: an orientation pass of the executable costs more CPU than reading the page
    # (1.7 s against 1.1 s per faxed page); it runs only when the reading is doubtful or sideways.
    orientation_first = False

    def __init__(self, lang: str = "eng", timeout_seconds: float = 60) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"OCR timeout must be positive, not {timeout_seconds}")
        self.lang = lang
        self.timeout_seconds = timeout_seconds
        # pytesseract offers no per-call environment; the subprocess inherits ours.
        os.environ["OMP_THREAD_LIMIT"] = "1"

    def read_words(self, image: Image.Image, dpi: float, layout: Layout = Layout.PAGE) -> list[Word]:
        config = f"--psm {int(layout)} --dpi {round(dpi)}"
        data = self._run(pytesseract.image_to_data, image, lang=self.lang, config=config,
                         output_type=pytesseract.Output.DICT)
        return words_from_columns(data, dpi, image.width, image.height)

    def detect_orientation(self, image: Image.Image, dpi: float = 0) -> int:
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
        if not rotate or (confidence and float(confidence.group(1)) < self.thresholds.orientation):
            return 0
        return int(rotate.group(1)) % 360

    def _run(self, func, image: Image.Image, **kwargs):
        try:
            return func(_uncompressed(image), timeout=self.timeout_seconds, **kwargs)
        except pytesseract.TesseractNotFoundError as exc:
            raise ConfigurationError("the tesseract executable is not installed or not on PATH") from exc
        except pytesseract.TesseractError as exc:
            if "Failed loading language" in str(exc.message):
                raise ConfigurationError(f"Tesseract language data '{self.lang}' is not installed") from exc
            raise OcrEngineError(f"Tesseract failed (status {exc.status})") from exc
        except RuntimeError as exc:  # pytesseract signals its timeout as a bare RuntimeError
            raise OcrEngineError(f"Tesseract did not finish within {self.timeout_seconds} s") from exc


def _uncompressed(image: Image.Image) -> Image.Image:
    """The page as pytesseract will hand it over: netpbm (PGM for grayscale) instead of its
    default PNG, whose compression cost more CPU than writing the raw pixels; Tesseract gets the
    same pixels either way."""
    handed = image.copy()
    handed.format = "PPM"  # pytesseract saves in the image's format; PIL writes "L" as P5 (PGM)
    return handed
