"""Pixel work on page images: binarization, small-skew estimation and correction, optional
clean-up before OCR, and form checkboxes decided from the ink inside them.

Images are PIL grayscale ("L") pages with square pixels; `dpi` turns physical sizes (points)
into pixels so the same thresholds hold for a 204-dpi fax and a 300-dpi scan.
"""
from __future__ import annotations

import re

import cv2
import numpy as np
from PIL import Image

from extraction.models import BBox, Checkbox

# Pages are read in parallel by processes, one per core (workers, `intake extract` page workers);
# OpenCV's own threads on top only oversubscribed the cores: 4% more CPU for the same pages (as
# OMP_THREAD_LIMIT=1 does for Tesseract, extraction/ocr.py).
cv2.setNumThreads(1)

MAX_SKEW_DEGREES = 5.0
# Skew search runs on a reduced copy: text lines stay distinct at this width, and each trial
# rotation costs about a millisecond.
_SKEW_WORK_WIDTH_PX = 1000
_SKEW_COARSE_STEP = 0.25
_SKEW_FINE_STEP = 0.05
# Below this share of ink pixels a page has no text lines to align.
_MIN_INK_SHARE = 0.001

# Speckles are ink (or holes) of a few pixels at 200 dpi; a period in 10-pt type is ~10 pixels.
_SPECK_AREA_PX_AT_200_DPI = 3
# A ruled line is straight ink at least this long; checkbox edges (~8-14 pt) are far shorter.
_RULE_MIN_LENGTH_PT = 54

# Form checkboxes are ~8-14 pt squares; allow for hand-drawn and scaled forms.
CHECKBOX_MIN_PT = 6.5
CHECKBOX_MAX_PT = 20.0
_CHECKBOX_MAX_ASPECT = 1.3
# Every side of a box outline is ink along at least this share of its length.
_CHECKBOX_EDGE_COVERAGE = 0.85
# The outer outline of a box encloses nearly all of its bounding rectangle.
_CHECKBOX_MIN_SOLIDITY = 0.8
# Share of the side trimmed off before measuring the interior, to skip the outline itself.
_CHECKBOX_INSET = 0.2
# Interior ink share separating empty boxes (fax noise, < 0.02) from X, check or fill (> 0.15).
CHECKBOX_FILL_THRESHOLD = 0.08


def to_grayscale(image: Image.Image) -> Image.Image:
    return image if image.mode == "L" else image.convert("L")


def binarize(image: Image.Image) -> np.ndarray:
    """Ink mask (uint8, 255 = ink) by Otsu's threshold, robust to faint scans and fax gray."""
    gray = np.asarray(to_grayscale(image))
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def estimate_skew(image: Image.Image) -> float:
    """Counter-clockwise tilt of the text lines in degrees, within ±MAX_SKEW_DEGREES.

    Projection profile: the rotation that makes row ink sums most peaked aligns the lines.
    `deskew(image, estimate_skew(image))` straightens the page.
    """
    ink = binarize(image)
    scale = min(1.0, _SKEW_WORK_WIDTH_PX / ink.shape[1])
    if scale < 1.0:
        ink = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if np.count_nonzero(ink) < _MIN_INK_SHARE * ink.size:
        return 0.0
    center = (ink.shape[1] / 2, ink.shape[0] / 2)

    def sharpness(angle: float) -> float:
        # cv2 turns counter-clockwise for positive angles; undo a tilt of `angle`.
        matrix = cv2.getRotationMatrix2D(center, -angle, 1.0)
        rotated = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]), flags=cv2.INTER_NEAREST)
        # Row sums in integers (exact: at most 255 x the work width), then float64 as before:
        # the same values at a quarter of a float64 sum's cost.
        rows = rotated.sum(axis=1, dtype=np.uint32).astype(np.float64)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1e-9, _SKEW_COARSE_STEP)
    best = max(coarse, key=sharpness)
    fine = np.arange(best - _SKEW_COARSE_STEP, best + _SKEW_COARSE_STEP + 1e-9, _SKEW_FINE_STEP)
    best = max(fine, key=sharpness)
    return float(np.clip(round(best, 2), -MAX_SKEW_DEGREES, MAX_SKEW_DEGREES))


def deskew(image: Image.Image, skew_degrees: float) -> Image.Image:
    """Undo a counter-clockwise tilt; same size, white fill at the corners."""
    if not skew_degrees:
        return image
    return image.rotate(-skew_degrees, resample=Image.BILINEAR, expand=False, fillcolor=255)


def despeckle(image: Image.Image, dpi: float) -> Image.Image:
    """Remove isolated ink specks and fill pinholes in strokes (fax line noise)."""
    ink = binarize(image)
    max_area = _speck_area(dpi)
    ink = _drop_small_components(ink, max_area)
    ink = 255 - _drop_small_components(255 - ink, max_area)
    return Image.fromarray(255 - ink)


def _speck_area(dpi: float) -> int:
    return max(1, round(_SPECK_AREA_PX_AT_200_DPI * (dpi / 200) ** 2))


def _drop_small_components(mask: np.ndarray, max_area: int) -> np.ndarray:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    small = np.zeros(count, dtype=bool)
    small[1:] = stats[1:, cv2.CC_STAT_AREA] <= max_area
    out = mask.copy()
    out[small[labels]] = 0
    return out


def remove_lines(image: Image.Image, dpi: float) -> Image.Image:
    """Erase long horizontal and vertical rules (form lines, table borders) that confuse OCR."""
    ink = binarize(image)
    length = max(3, round(_RULE_MIN_LENGTH_PT * dpi / 72))
    rules = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    rules |= cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return Image.fromarray(255 - (ink & ~rules))


def find_checkboxes(image: Image.Image, dpi: float) -> list[tuple[tuple[int, int, int, int], float]]:
    """Square box outlines of checkbox size, each with the ink share of its interior.

    Returns ((x0, y0, x1, y1) in pixels, fill ratio 0..1), top to bottom, left to right.
    """
    # Specks touching an outline would distort its shape and its fill.
    ink = _drop_small_components(binarize(image), _speck_area(dpi))
    min_px, max_px = CHECKBOX_MIN_PT * dpi / 72, CHECKBOX_MAX_PT * dpi / 72
    # Outlines are found on the straight strokes alone: a tick or cross that overshoots the
    # frame would otherwise merge with it into one shape that is no longer a square.
    contours, hierarchy = cv2.findContours(_straight_strokes(ink, min_px), cv2.RETR_CCOMP,
                                           cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    band = max(2, round(1.0 * dpi / 72))
    found = []
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0]):
        if parent != -1:  # a hole: the inside of some outline, not an outline itself
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if not (min_px <= w <= max_px and min_px <= h <= max_px):
            continue
        if max(w, h) / min(w, h) > _CHECKBOX_MAX_ASPECT:
            continue
        x, y, w, h = _tighten(ink[y:y + h, x:x + w] > 0, x, y, w, h, band)
        cell = ink[y:y + h, x:x + w] > 0
        edges = (cell[:band].any(axis=0), cell[-band:].any(axis=0),
                 cell[:, :band].any(axis=1), cell[:, -band:].any(axis=1))
        if min(edge.mean() for edge in edges) < _CHECKBOX_EDGE_COVERAGE:
            continue
        # Square corners: letters such as B or D pass the edge test but have a rounded corner.
        corners = (cell[:band, :band], cell[:band, -band:], cell[-band:, :band], cell[-band:, -band:])
        if not all(corner.any() for corner in corners):
            continue
        if cv2.contourArea(contour) < _CHECKBOX_MIN_SOLIDITY * w * h:
            continue
        dx, dy = max(band, round(w * _CHECKBOX_INSET)), max(band, round(h * _CHECKBOX_INSET))
        interior = cell[dy:h - dy, dx:w - dx]
        if interior.size == 0:
            continue
        found.append(((x, y, x + w, y + h), float(interior.mean())))
    found = [f for f in found if not any(_inside(f[0], other[0]) for other in found if other is not f)]
    return sorted(found, key=lambda f: (f[0][1], f[0][0]))


def _tighten(cell: np.ndarray, x: int, y: int, w: int, h: int, most: int) -> tuple[int, int, int, int]:
    """Drop up to `most` nearly empty rows/columns on each side: closing the strokes and a
    speck touching the frame make the found outline a pixel or two larger than the ink."""
    def sparse(line: np.ndarray) -> bool:
        return line.mean() < 0.5

    top, bottom, left, right = 0, h, 0, w
    while top < most and bottom - top > 2 and sparse(cell[top, left:right]):
        top += 1
    while h - bottom < most and bottom - top > 2 and sparse(cell[bottom - 1, left:right]):
        bottom -= 1
    while left < most and right - left > 2 and sparse(cell[top:bottom, left]):
        left += 1
    while w - right < most and right - left > 2 and sparse(cell[top:bottom, right - 1]):
        right -= 1
    return x + left, y + top, right - left, bottom - top


def _straight_strokes(ink: np.ndarray, min_box_px: float) -> np.ndarray:
    """Horizontal and vertical runs at least 60% of the smallest box side (noise holes closed)."""
    closed = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, np.ones((2, 2), np.uint8))
    length = max(3, int(min_box_px * 0.6))
    horizontal = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vertical = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return cv2.bitwise_or(horizontal, vertical)


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3] and inner != outer)


def checkbox_from_fill(box_px: tuple[int, int, int, int], fill_ratio: float, dpi: float) -> Checkbox:
    """A Checkbox in points; confidence grows from 0.5 at the threshold to 1.0 one threshold away."""
    to_pt = 72.0 / dpi
    distance = abs(fill_ratio - CHECKBOX_FILL_THRESHOLD) / CHECKBOX_FILL_THRESHOLD
    return Checkbox(
        bbox=BBox(*(v * to_pt for v in box_px)),
        checked=fill_ratio >= CHECKBOX_FILL_THRESHOLD,
        fill_ratio=round(fill_ratio, 4),
        confidence=round(0.5 + 0.5 * min(1.0, distance), 3),
    )


# Answers a form lets you circle; only these are looked at, so a ring is never sought around prose.
ANSWER_WORDS = {"yes", "no", "n/a", "na", "unknown", "unk", "y", "n"}  # "Y  N" forms circle a letter
def answer_word(text: str) -> str:
    """The word without the specks and ring remnants OCR glues to it ('"Yes.' -> 'Yes')."""
    return re.sub(r"[^A-Za-z/]", "", text)


def is_answer_word(text: str) -> bool:
    return answer_word(text).lower() in ANSWER_WORDS


# A circle drawn round a printed answer: a closed, thin loop about a line of type tall.
_RING_MIN_HEIGHT_PT, _RING_MAX_HEIGHT_PT = 12.0, 36.0
_RING_MAX_ASPECT = 7.0
_RING_MAX_FILL = 0.3  # share of its bounding box the loop's own ink covers


def find_rings(image: Image.Image, dpi: float) -> list[tuple[int, int, int, int]]:
    """Hand-drawn rings (x0, y0, x1, y1 in pixels): connected ink shaped as a hollow loop that
    closes on all four sides of its box, wider than tall, about one text line high."""
    mask = (np.asarray(image.convert("L")) < 128).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    per_pt = dpi / 72
    rings = []
    for index in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[index])
        if not (_RING_MIN_HEIGHT_PT * per_pt <= h <= _RING_MAX_HEIGHT_PT * per_pt and h * 1.1 <= w <= h * _RING_MAX_ASPECT):
            continue
        if area > _RING_MAX_FILL * w * h:
            continue
        own = labels[y:y + h, x:x + w] == index
        centre = own[h // 4:h - h // 4, w // 5:w - w // 5]
        band = max(2, h // 6)
        closed = own[:band].any() and own[-band:].any() and own[:, :band].any() and own[:, -band:].any()
        # A loop: every column of its middle half has ink above and below the centre line.
        middle = own[:, w // 4:w - w // 4]
        above, below = middle[:h // 2].any(axis=0), middle[h // 2:].any(axis=0)
        if closed and centre.mean() < 0.05 and above.mean() > 0.9 and below.mean() > 0.9:
            rings.append((x, y, x + w, y + h))
    return rings
