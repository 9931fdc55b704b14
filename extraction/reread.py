"""A second, closer look at the lines Tesseract was unsure of.

Small print on a 204-dpi fax (a 9-pt "C91.00" in a form field) has an x-height Tesseract reads
poorly, and it drops or mangles characters at near-zero confidence. Doubtful lines are cut out,
enlarged, stacked into one strip and read in a single Tesseract call (one subprocess per page,
not per line); a line's new reading replaces the old one only when Tesseract is surer of it.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from extraction.models import BBox, Word
from extraction.ocr import Layout, OcrEngine

MAX_LINES_PER_PAGE = 24  # bounds the extra work on a very noisy page
SCALE = 2
_GAP_PX = 40  # white space between stacked lines, in enlarged pixels
_MARGIN_HEIGHTS = 1.5  # context kept left and right of a line, in line heights (a dropped
# first character sits just outside the first word's box)
_MIN_GAIN = 0.05


@dataclass(frozen=True)
class _Cut:
    line: int
    words: list[Word]
    left_px: int
    top_px: int
    strip_top: int  # where the enlarged cut starts in the strip
    strip_bottom: int


def reread_doubtful_lines(image: Image.Image, dpi: float, words: list[Word],
                          engine: OcrEngine) -> list[Word]:
    """`words` with every doubtful line replaced by its closer reading where that is surer."""
    doubtful_below = engine.thresholds.doubtful_word
    by_line: dict[int, list[Word]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    doubtful = sorted((ws for ws in by_line.values() if min(w.confidence for w in ws) < doubtful_below),
                      key=lambda ws: min(w.confidence for w in ws))[:MAX_LINES_PER_PAGE]
    if not doubtful:
        return words
    strip, cuts = _stack(image, dpi, doubtful)
    rereads: dict[int, list[Word]] = {cut.line: [] for cut in cuts}
    for word in engine.read_words(strip, dpi * SCALE, Layout.BLOCK):
        cut = _cut_at(cuts, word.bbox, dpi)
        if cut is not None:
            rereads[cut.line].append(_back_to_page(word, cut, dpi))
    better = {cut.line: rereads[cut.line] for cut in cuts
              if rereads[cut.line] and _mean(rereads[cut.line]) >= _mean(cut.words) + _MIN_GAIN}
    if not better:
        return words
    out: list[Word] = []
    for word in words:
        if word.line not in better:
            out.append(word)
        elif better[word.line] is not None:
            out.extend(Word(w.text, w.bbox, w.confidence, line=word.line) for w in better[word.line])
            better[word.line] = None  # the line's new words go in once, where its first word stood
    return out


def _stack(image: Image.Image, dpi: float, lines: list[list[Word]]) -> tuple[Image.Image, list[_Cut]]:
    to_px = dpi / 72.0
    pieces, cuts, top = [], [], _GAP_PX
    for line_words in lines:
        box = BBox.union([w.bbox for w in line_words])
        height = (box.y1 - box.y0) * to_px
        left = max(0, int(box.x0 * to_px - _MARGIN_HEIGHTS * height))
        right = min(image.width, int(box.x1 * to_px + _MARGIN_HEIGHTS * height))
        upper = max(0, int(box.y0 * to_px - 0.3 * height))
        lower = min(image.height, int(box.y1 * to_px + 0.3 * height))
        if right <= left or lower <= upper:
            continue
        piece = image.crop((left, upper, right, lower)).convert("L")
        piece = piece.resize((piece.width * SCALE, piece.height * SCALE), Image.LANCZOS)
        pieces.append((piece, top))
        cuts.append(_Cut(line_words[0].line, line_words, left, upper, top, top + piece.height))
        top += piece.height + _GAP_PX
    width = max((p.width for p, _ in pieces), default=1) + 2 * _GAP_PX
    strip = Image.new("L", (width, max(top, 1)), 255)
    for piece, piece_top in pieces:
        strip.paste(piece, (_GAP_PX, piece_top))
    return strip, cuts


def _cut_at(cuts: list[_Cut], box_pt: BBox, dpi: float) -> _Cut | None:
    centre_px = (box_pt.y0 + box_pt.y1) / 2 * (dpi * SCALE) / 72.0
    return next((c for c in cuts if c.strip_top <= centre_px <= c.strip_bottom), None)


def _back_to_page(word: Word, cut: _Cut, dpi: float) -> Word:
    """Strip coordinates (points at dpi*SCALE) -> page points."""
    strip_px = dpi * SCALE / 72.0
    page_pt = 72.0 / dpi

    def x(v: float) -> float:
        return max(0.0, ((v * strip_px - _GAP_PX) / SCALE + cut.left_px) * page_pt)

    def y(v: float) -> float:
        return max(0.0, ((v * strip_px - cut.strip_top) / SCALE + cut.top_px) * page_pt)

    b = word.bbox
    return Word(word.text, BBox(x(b.x0), y(b.y0), max(x(b.x0), x(b.x1)), max(y(b.y0), y(b.y1))),
                word.confidence, line=cut.line)


def _mean(words: list[Word]) -> float:
    return sum(w.confidence for w in words) / len(words) if words else 0.0
