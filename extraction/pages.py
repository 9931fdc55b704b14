"""Read one page into a Page: the PDF's text layer when it holds real text, otherwise OCR of the
page image turned upright and deskewed. Checkboxes come from drawn rects and glyphs on
text-layer pages and from pixels on image pages.

A page that cannot be read degrades to Page(method="failed", error=code); only transient and
configuration errors propagate, because retrying or an operator can fix those.
"""
from __future__ import annotations

import dataclasses

import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

from PIL import Image

from extraction import imaging
from extraction.documents import SourceDocument, TextLayer
from extraction.errors import BadInput
from extraction.models import BBox, Checkbox, Page, Word
from extraction.ocr import Layout, OcrEngine
from extraction.reread import reread_doubtful_lines

logger = logging.getLogger(__name__)

# Preview resolution for text-layer pages: enough to draw boxes on and to see checkbox pixels.
PREVIEW_DPI = 150
# A text layer is trusted when it has this many characters, mostly in plausible words; a stray
# invisible OCR layer of garbage fails the second test and the page is OCR'd instead.
MIN_TEXT_LAYER_CHARS = 20
MIN_PLAUSIBLE_SHARE = 0.6
# Skew under this is noise of the estimate; rotating for it would only blur the page.
MIN_SKEW_TO_CORRECT = 0.1

_PLAUSIBLE_TOKEN = re.compile(
    r"\d[\d/.,:%-]*"  # numbers, dates, doses
    r"|[A-Z0-9][A-Z0-9-]{0,7}"  # abbreviations: ALL, CAR-T, CD19
    r"|[A-Za-z]?[a-z'-]*[aeiouy][a-z'-]*"  # words with a vowel
)
_PUNCTUATION = "()[]{}.,;:!?\"'*"
_CHECKED_GLYPHS = "☒☑■▣✔✓✗✘"
_UNCHECKED_GLYPHS = "☐□▢"
_CHECKED_BRACKETS = ("[x]", "[X]", "[✓]", "[✔]")


@dataclass
class PageReading:
    page: Page
    image: Image.Image | None  # upright, deskewed grayscale page the boxes refer to; None if failed


def read_page(doc: SourceDocument, index: int, engine: OcrEngine,
              cleanup: bool = False) -> PageReading:
    """Read page `index` (0-based). `cleanup` despeckles and removes ruled lines before OCR."""
    start = time.perf_counter()
    try:
        layer = doc.text_layer(index)
        if layer is not None and has_real_text(layer.words):
            reading = _read_text_layer(doc, index, layer)
        else:
            reading = _read_image(doc, index, engine, cleanup)
    except BadInput as exc:
        width, height = doc.page_size(index)
        reading = PageReading(Page(index + 1, width, height, "failed", error=exc.code), None)
    reading.page.seconds = time.perf_counter() - start
    page = reading.page
    logger.info("page %d read: method=%s words=%d checkboxes=%d rotation=%d skew=%.2f seconds=%.2f error=%s",
                page.number, page.method, len(page.words), len(page.checkboxes), page.rotation,
                page.skew, page.seconds, page.error)
    return reading


def read_pages(doc: SourceDocument, engine: OcrEngine, max_workers: int | None = None,
               cleanup: bool = False) -> list[PageReading]:
    """All pages in order; OCR runs outside the GIL (a subprocess, or tesserocr's released
    lock), so threads give real parallelism."""
    workers = max(1, min(max_workers or os.cpu_count() or 1, doc.page_count))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda i: read_page(doc, i, engine, cleanup), range(doc.page_count)))


def has_real_text(words: list[Word]) -> bool:
    """Enough characters, most of them in tokens that look like words, numbers or abbreviations."""
    total = sum(len(w.text) for w in words)
    if total < MIN_TEXT_LAYER_CHARS:
        return False
    plausible = sum(len(w.text) for w in words if _PLAUSIBLE_TOKEN.fullmatch(w.text.strip(_PUNCTUATION)))
    return plausible / total >= MIN_PLAUSIBLE_SHARE


def _read_text_layer(doc: SourceDocument, index: int, layer: TextLayer) -> PageReading:
    width, height = doc.page_size(index)
    preview = doc.render(index, PREVIEW_DPI)
    checkboxes = _vector_checkboxes(layer) + _glyph_checkboxes(layer.words)
    if not checkboxes:  # e.g. a scanned form under a good invisible OCR layer
        checkboxes = [imaging.checkbox_from_fill(box, fill, PREVIEW_DPI)
                      for box, fill in imaging.find_checkboxes(preview, PREVIEW_DPI)]
    words = [dataclasses.replace(w, circled=True) if imaging.is_answer_word(w.text) and _ringed(w.bbox, layer.strokes)
             else w for w in layer.words]
    page = Page(index + 1, width, height, "text_layer", words=words,
                checkboxes=checkboxes, mean_confidence=1.0)
    return PageReading(page, preview)


MAX_RINGS_PER_PAGE = 40  # a form has a handful; more is a drawing, not answers


def _read_image(doc: SourceDocument, index: int, engine: OcrEngine, cleanup: bool) -> PageReading:
    """The page turned upright, deskewed and read. An engine that checks orientation first is
    asked before reading; another reads the page as it lies and asks only when that reading is
    doubtful or came out sideways. Still doubtful and not turned: the page is also read upside
    down (OSD had no answer)."""
    raster = doc.raster(index)
    dpi = raster.dpi
    floor = engine.thresholds.upright_mean
    rotation = engine.detect_orientation(raster.image, dpi) if engine.orientation_first else 0
    image, skew, prepared, words = _straightened_reading(raster.image, rotation, dpi, cleanup, engine)
    sideways = not engine.orientation_first and _read_sideways(words)
    if sideways or (not engine.orientation_first and _mean_confidence(words) < floor):
        detected = engine.detect_orientation(raster.image, dpi)
        if detected:
            turned = _straightened_reading(raster.image, detected, dpi, cleanup, engine)
            if sideways or _mean_confidence(turned.words) > _mean_confidence(words):
                image, skew, prepared, words = turned
                rotation = detected
    if rotation == 0 and _mean_confidence(words) < floor:
        flipped = turn_clockwise(image, 180)
        flipped_prepared = _prepared(flipped, dpi, cleanup)
        flipped_words = engine.read_words(flipped_prepared, dpi)
        if _mean_confidence(flipped_words) > _mean_confidence(words):
            image, prepared, words, rotation = flipped, flipped_prepared, flipped_words, 180
    words = reread_doubtful_lines(prepared, dpi, words, engine)
    checkboxes = [imaging.checkbox_from_fill(box, fill, dpi) for box, fill in imaging.find_checkboxes(image, dpi)]
    words = _mark_circled(words, image, dpi, engine)
    page = Page(index + 1, image.width * 72 / dpi, image.height * 72 / dpi, "ocr", words=words,
                checkboxes=checkboxes, rotation=rotation, skew=skew,
                mean_confidence=_mean_confidence(words))
    return PageReading(page, image)


# Tesseract reads a page lying on its side in turned blocks, often as confidently as an upright
# one; its words then come out taller than wide. Short words are left out: "I" is tall anyway.
_SIDEWAYS_MIN_CHARS = 3
_SIDEWAYS_WORD_SHARE = 0.5


def _read_sideways(words: list[Word]) -> bool:
    longer = [w for w in words if len(w.text) >= _SIDEWAYS_MIN_CHARS]
    tall = sum(1 for w in longer if w.bbox.y1 - w.bbox.y0 > w.bbox.x1 - w.bbox.x0)
    return bool(longer) and tall > _SIDEWAYS_WORD_SHARE * len(longer)


class _Straightened(NamedTuple):
    image: Image.Image  # upright and deskewed
    skew: float  # degrees corrected
    prepared: Image.Image  # what OCR saw (cleaned up when asked)
    words: list[Word]


def _straightened_reading(raster: Image.Image, rotation: int, dpi: float, cleanup: bool,
                          engine: OcrEngine) -> _Straightened:
    image = turn_clockwise(raster, rotation)
    skew = imaging.estimate_skew(image)
    skew = skew if abs(skew) >= MIN_SKEW_TO_CORRECT else 0.0
    image = imaging.deskew(image, skew)
    prepared = _prepared(image, dpi, cleanup)
    return _Straightened(image, skew, prepared, engine.read_words(prepared, dpi))


def _mark_circled(words: list[Word], image: Image.Image, dpi: float, engine: OcrEngine) -> list[Word]:
    """Answers circled by hand. The ring usually spoils the word for OCR, so each ring found on
    the page has its inside read again on its own; a word already read there is marked instead."""
    scale = dpi / 72
    marked = list(words)
    for x0, y0, x1, y1 in imaging.find_rings(image, dpi)[:MAX_RINGS_PER_PAGE]:
        inside = BBox(x0 / scale, y0 / scale, x1 / scale, y1 / scale)
        hits = [i for i, w in enumerate(marked) if _centre_in(w.bbox, inside) and imaging.is_answer_word(w.text)]
        if hits:
            marked = [dataclasses.replace(w, circled=True) if i in hits else w for i, w in enumerate(marked)]
            continue
        inset_x, inset_y = (x1 - x0) // 8, (y1 - y0) // 5
        crop = image.crop((x0 + inset_x, y0 + inset_y, x1 - inset_x, y1 - inset_y))
        read = [w for w in engine.read_words(_padded(crop), dpi, Layout.LINE) if imaging.is_answer_word(w.text)]
        if len(read) == 1:
            line = next((w.line for w in marked if abs((w.bbox.y0 + w.bbox.y1) / 2 - (inside.y0 + inside.y1) / 2)
                         < (inside.y1 - inside.y0) / 2), 0)
            marked.append(Word(imaging.answer_word(read[0].text), inside, read[0].confidence, line, circled=True))
    return marked


def _padded(crop: Image.Image) -> Image.Image:
    out = Image.new("L", (crop.width + 40, crop.height + 40), 255)
    out.paste(crop.convert("L"), (20, 20))
    return out


def _centre_in(box: BBox, outer: BBox) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    return outer.x0 <= cx <= outer.x1 and outer.y0 <= cy <= outer.y1


def _ringed(word: BBox, strokes: list[BBox]) -> bool:
    """A drawn curve enclosing the word, not much larger than it: a circled answer."""
    height = word.y1 - word.y0
    return any(s.x0 <= word.x0 and s.y0 <= word.y0 + 1 and word.x1 <= s.x1 and word.y1 - 1 <= s.y1
               and s.y1 - s.y0 <= 3 * height and s.x1 - s.x0 <= (word.x1 - word.x0) + 6 * height for s in strokes)


def _prepared(image: Image.Image, dpi: float, cleanup: bool) -> Image.Image:
    if not cleanup:
        return image
    return imaging.remove_lines(imaging.despeckle(image, dpi), dpi)


def turn_clockwise(image: Image.Image, degrees: int) -> Image.Image:
    transposes = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                  270: Image.Transpose.ROTATE_90}  # PIL's names count counter-clockwise
    return image.transpose(transposes[degrees]) if degrees in transposes else image


def _mean_confidence(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0


def _vector_checkboxes(layer: TextLayer) -> list[Checkbox]:
    """Square drawn rects of checkbox size: checked when filled or when a stroke or glyph sits inside."""
    outlines = [r for r in layer.rects if _checkbox_sized(r.bbox)]
    # A mark drawn as a smaller filled square inside an outline is the outline's fill, not a box.
    fills = [r.bbox for r in layer.rects if r.filled]
    marks = [*layer.strokes, *(w.bbox for w in layer.words), *fills]
    boxes = []
    for rect in outlines:
        b = rect.bbox
        if any(other.bbox != b and _center_inside(b, other.bbox) and _area(other.bbox) > _area(b)
               for other in outlines):
            continue
        boxes.append(_certain_box(b, rect.filled or any(m != b and _center_inside(m, b) for m in marks)))
    return boxes


def _checkbox_sized(b: BBox) -> bool:
    w, h = b.x1 - b.x0, b.y1 - b.y0
    return (imaging.CHECKBOX_MIN_PT <= min(w, h) and max(w, h) <= imaging.CHECKBOX_MAX_PT
            and max(w, h) / min(w, h) <= 1.3)


def _area(b: BBox) -> float:
    return (b.x1 - b.x0) * (b.y1 - b.y0)


def _glyph_checkboxes(words: list[Word]) -> list[Checkbox]:
    """☒ ☑ ■ [X] (checked) and ☐ □ [ ] (empty) written as text."""
    boxes = []
    for i, word in enumerate(words):
        text = word.text
        if text[:1] in _CHECKED_GLYPHS + _UNCHECKED_GLYPHS:
            side = min(word.bbox.y1 - word.bbox.y0, word.bbox.x1 - word.bbox.x0)
            box = BBox(word.bbox.x0, word.bbox.y0, word.bbox.x0 + side, word.bbox.y1)
            boxes.append(_certain_box(box, text[0] in _CHECKED_GLYPHS))
        elif text.startswith(_CHECKED_BRACKETS):
            boxes.append(_certain_box(word.bbox, True))
        elif text.startswith("[]"):
            boxes.append(_certain_box(word.bbox, False))
        elif text == "[" and i + 1 < len(words) and words[i + 1].text.startswith("]") \
                and words[i + 1].line == word.line:
            boxes.append(_certain_box(BBox.union([word.bbox, words[i + 1].bbox]), False))
    return boxes


def _certain_box(bbox: BBox, checked: bool) -> Checkbox:
    return Checkbox(bbox, checked, 1.0 if checked else 0.0, 1.0)


def _center_inside(mark: BBox, box: BBox) -> bool:
    cx, cy = (mark.x0 + mark.x1) / 2, (mark.y0 + mark.y1) / 2
    return box.x0 < cx < box.x1 and box.y0 < cy < box.y1
