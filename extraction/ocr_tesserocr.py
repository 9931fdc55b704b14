"""Tesseract in the process, via tesserocr: the language model is loaded once per thread (one
thread per worker process in the service) and pages are handed over as raw 8-bit pixels, with
no PNG encode, temp file or subprocess per call.

The tesserocr wheel bundles its own Tesseract library but no language data: the traineddata
folder is the configured one, else TESSDATA_PREFIX (Tesseract's own variable), else the usual
install folders, else the folder the `tesseract` executable reports.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from PIL import Image

from extraction.errors import ConfigurationError, OcrEngineError
from extraction.models import Word
from extraction.ocr import ConfidenceThresholds, Layout, words_from_columns

# OpenMP reads this when the library loads: one thread per page (see extraction/ocr.py).
os.environ["OMP_THREAD_LIMIT"] = "1"
import tesserocr  # noqa: E402  (after the thread limit)

_TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata", "/usr/local/share/tessdata",
                   "/opt/homebrew/share/tessdata", "/usr/local/share/tesseract-ocr/*/tessdata")
_LIST_LANGS_DIR = re.compile(r'available languages in "([^"]+)"')
_TSV_COLUMNS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
                "left", "top", "width", "height", "conf", "text")
_OSD_LANG = "osd"


def find_tessdata(lang: str, configured: str | None = None) -> str:
    """The folder holding `lang`.traineddata (and osd.traineddata, for orientation)."""
    if configured:
        candidates = [configured]
    else:
        prefix = os.environ.get("TESSDATA_PREFIX")
        candidates = [prefix] if prefix else []
        candidates += sorted((p for pattern in _TESSDATA_GLOBS for p in glob.glob(pattern)), reverse=True)
        candidates += _tesseract_executable_tessdata()
    for folder in candidates:
        if (Path(folder) / f"{lang}.traineddata").is_file():
            return str(folder)
    where = configured or "TESSDATA_PREFIX or the usual install folders"
    raise ConfigurationError(f"Tesseract language data '{lang}' not found in {where} (set INTAKE_TESSDATA)")


def _tesseract_executable_tessdata() -> list[str]:
    binary = shutil.which("tesseract")
    if binary is None:
        return []
    try:
        listing = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    found = _LIST_LANGS_DIR.search(listing.stdout + listing.stderr)
    return [found.group(1)] if found else []


def engine_version() -> str:
    """The version of the Tesseract library the tesserocr wheel carries, e.g. "Tesseract 5.5.4"."""
    return "Tesseract " + tesserocr.tesseract_version().split()[1]


class TesserocrEngine:
    """In-process Tesseract. Orientation is checked only when the page read as it lies is
    doubtful: on this library an orientation pass costs about as much as reading the page."""
    name = "tesserocr"
    thresholds = ConfidenceThresholds()  # the same Tesseract confidences as the executable's
    orientation_first = False

    def __init__(self, lang: str = "eng", timeout_seconds: float = 60, tessdata: str | None = None) -> None:
        if timeout_seconds <= 0:
            raise ValueError(f"OCR timeout must be positive, not {timeout_seconds}")
        self.lang = lang
        self.timeout_seconds = timeout_seconds
        self.tessdata = find_tessdata(lang, tessdata)
        self._local = threading.local()  # a Tesseract API is not thread-safe: one per thread
        # Load both models now, in the worker before RQ forks a work horse per job: a horse
        # inherits them instead of loading the osd model in every job that needs orientation, and
        # missing language data fails at start, not on a page.
        self._reader()
        self._orientation_detector()

    def read_words(self, image: Image.Image, dpi: float, layout: Layout = Layout.PAGE) -> list[Word]:
        api = self._reader()
        gray = _gray(image)
        api.SetPageSegMode(int(layout))
        api.SetImageBytes(gray.tobytes(), gray.width, gray.height, 1, gray.width)
        api.SetSourceResolution(round(dpi))
        try:
            if not api.Recognize(timeout=max(1, round(self.timeout_seconds * 1000))):
                raise OcrEngineError(f"Tesseract did not finish within {self.timeout_seconds} s")
            tsv = api.GetTSVText(0)
        finally:
            api.Clear()  # drops the page's results, keeps the model
        return words_from_columns(_tsv_columns(tsv), dpi, gray.width, gray.height)

    def detect_orientation(self, image: Image.Image, dpi: float = 0) -> int:
        api = self._orientation_detector()
        gray = _gray(image)
        api.SetImageBytes(gray.tobytes(), gray.width, gray.height, 1, gray.width)
        if dpi:
            api.SetSourceResolution(round(dpi))
        try:
            found = api.DetectOrientationScript()  # None: too few characters to tell
        finally:
            api.Clear()
        if not found or found["orient_conf"] < self.thresholds.orientation:
            return 0
        # orient_deg is how far the page was turned clockwise; turning it upright undoes that.
        return (360 - int(found["orient_deg"])) % 360

    def _reader(self) -> "tesserocr.PyTessBaseAPI":
        api = getattr(self._local, "reader", None)
        if api is None:
            api = self._local.reader = self._api(self.lang, tesserocr.PSM.AUTO)
        return api

    def _orientation_detector(self) -> "tesserocr.PyTessBaseAPI":
        # A separate API on the osd model: asking the language API for orientation aborts
        # the process inside Tesseract 5.5.
        api = getattr(self._local, "detector", None)
        if api is None:
            api = self._local.detector = self._api(_OSD_LANG, tesserocr.PSM.OSD_ONLY)
        return api

    def _api(self, lang: str, psm: int) -> "tesserocr.PyTessBaseAPI":
        if not (Path(self.tessdata) / f"{lang}.traineddata").is_file():
            raise ConfigurationError(f"Tesseract language data '{lang}' is not installed in {self.tessdata}")
        try:
            return tesserocr.PyTessBaseAPI(path=self.tessdata, lang=lang, psm=psm)
        except RuntimeError as exc:
            raise ConfigurationError(f"Tesseract could not load '{lang}' from {self.tessdata}") from exc


def _gray(image: Image.Image) -> Image.Image:
    return image if image.mode == "L" else image.convert("L")


def _tsv_columns(tsv: str) -> dict[str, list[str]]:
    """GetTSVText's rows (no header) as the columns pytesseract's image_to_data returns."""
    columns: dict[str, list[str]] = {name: [] for name in _TSV_COLUMNS}
    for row in tsv.splitlines():
        cells = row.split("\t", len(_TSV_COLUMNS) - 1)
        if len(cells) == len(_TSV_COLUMNS):
            for name, cell in zip(_TSV_COLUMNS, cells):
                columns[name].append(cell)
    return columns
