"""PacketText: every page of a packet as one string, with offsets back to words and boxes.

NLP runs over one string (so a sentence or section can continue across a page break);
evidence must point at a page and a box, so each word keeps its character range.
Checkboxes found from pixels are tied to the words printed to their right on the same line
(their label), so a statement's checkbox state can be looked up from the statement's text.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from extraction.models import BBox, Checkbox, Evidence, Page, Word

PAGE_SEPARATOR = "\n\f\n"
# A checkbox and its label share a line when their vertical centres are this close,
# as a share of the checkbox height (scanned forms drift by a few points).
_SAME_LINE_TOLERANCE = 0.75
# A grid form's label and value start within this many points of each other; words of one label
# phrase are closer than _PHRASE_GAP, columns further apart.
_CELL_SLACK = 15.0
_PHRASE_GAP = 8.0


@dataclass(frozen=True)
class WordSpan:
    start: int
    end: int
    page: int
    word: Word


@dataclass(frozen=True)
class CheckboxLabel:
    """A checkbox and the text to its right on the same line, up to the next checkbox.

    A box with nothing to its right (a box after its statement, or a Yes/No column cell) has an
    empty label placed where the text before it ends (start == end)."""
    checkbox: Checkbox
    page: int
    label: str
    start: int  # label's character range in PacketText.text
    end: int
    line_start: int  # the whole line (question text before the box included)
    line_end: int


@dataclass
class PacketText:
    text: str
    word_spans: list[WordSpan]
    checkbox_labels: list[CheckboxLabel]
    page_starts: list[tuple[int, int]]  # (offset, page number), ascending

    @classmethod
    def from_pages(cls, pages: list[Page]) -> "PacketText":
        parts: list[str] = []
        spans: list[WordSpan] = []
        labels: list[CheckboxLabel] = []
        page_starts: list[tuple[int, int]] = []
        offset = 0
        for index, page in enumerate(pages):
            if index:
                parts.append(PAGE_SEPARATOR)
                offset += len(PAGE_SEPARATOR)
            page_starts.append((offset, page.number))
            lines = layout_lines(page.words)
            line_ranges: list[tuple[int, int, list[WordSpan]]] = []
            for line_number, line in enumerate(lines):
                if line_number:
                    parts.append("\n")
                    offset += 1
                line_start = offset
                line_spans = []
                for position, word in enumerate(line):
                    if position:
                        parts.append(" ")
                        offset += 1
                    parts.append(word.text)
                    line_spans.append(WordSpan(offset, offset + len(word.text), page.number, word))
                    offset += len(word.text)
                spans.extend(line_spans)
                line_ranges.append((line_start, offset, line_spans))
            labels.extend(_label_checkboxes(page, line_ranges, "".join(parts)))
        return cls("".join(parts), spans, labels, page_starts)

    def page_start(self, page: int) -> int:
        """Offset where page `page` begins (0 when unknown)."""
        return next((start for start, number in self.page_starts if number == page), 0)

    def page_at(self, offset: int) -> int:
        index = max(bisect.bisect_right(self._page_offsets, offset) - 1, 0)
        return self.page_starts[index][1] if self.page_starts else 1

    def __post_init__(self) -> None:
        self._word_ends = [s.end for s in self.word_spans]
        self._page_offsets = [start for start, _ in self.page_starts]

    def words_in(self, start: int, end: int) -> list[WordSpan]:
        first = bisect.bisect_right(self._word_ends, start)
        found = []
        for span in self.word_spans[first:]:
            if span.start >= end:
                break
            found.append(span)
        return found

    def evidence(self, start: int, end: int) -> Evidence:
        """The page, text and box of a character range (boxes on the range's first page)."""
        words = self.words_in(start, end)
        page = words[0].page if words else self.page_at(start)
        boxes = [w.word.bbox for w in words if w.page == page]
        return Evidence(page=page, text=self.text[start:end].strip(), bbox=BBox.union(boxes))

    def confidence(self, start: int, end: int) -> float:
        """Lowest recognition confidence of the words in a range: one misread word breaks a date."""
        words = self.words_in(start, end)
        return min((w.word.confidence for w in words), default=1.0)

    def line_bounds(self, offset: int) -> tuple[int, int]:
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return start, (len(self.text) if end < 0 else end)

    def checkbox_for(self, start: int, end: int) -> CheckboxLabel | None:
        """The checkbox whose label overlaps a character range, if any."""
        for label in self.checkbox_labels:
            if label.start < end and start < label.end:
                return label
        return None

    def header_above(self, start: int, end: int) -> str:
        """The label printed over a value in a grid form (label row, value row beneath): the phrase on
        the line above that starts where the value's cell starts. Empty when there is none."""
        words = self.words_in(start, end)
        line_start, _ = self.line_bounds(start)
        if not words or line_start == 0:
            return ""
        above_start, above_end = self.line_bounds(line_start - 1)
        above = sorted((w for w in self.words_in(above_start, above_end) if w.page == words[0].page),
                       key=lambda w: w.word.bbox.x0)
        left = words[0].word.bbox.x0
        starts = [i for i, w in enumerate(above) if w.word.bbox.x0 <= left + _CELL_SLACK]
        if not starts:
            return ""
        first = last = starts[-1]
        while first > 0 and above[first].word.bbox.x0 - above[first - 1].word.bbox.x1 < _PHRASE_GAP:
            first -= 1
        while last + 1 < len(above) and above[last + 1].word.bbox.x0 - above[last].word.bbox.x1 < _PHRASE_GAP:
            last += 1
        if above[last].word.bbox.x1 < left - _CELL_SLACK:
            return ""  # the phrase ends before the value's cell begins: another column's label
        return self.text[above[first].start:above[last].end]

    def checkboxes_on_line(self, offset: int) -> list[CheckboxLabel]:
        return [c for c in self.checkbox_labels if c.line_start <= offset < max(c.line_end, c.line_start + 1)]


def plain_letters(text: str) -> str:
    """The text with OCR's stray accents taken off ("néver recéived" -> "never received"), one
    character for one so that every offset still points into the original text."""
    return "".join(_PLAIN.get(char, char) for char in text) if not text.isascii() else text


# "that no.CAR-T product was ever infused": a speck read as a full stop between "no" and the word
# it negates (lower-case "no." is never "number" right before a capital).
_NO_SPECK = re.compile(r"(?<![A-Za-z])no\.(?=[A-Z])")


# "--No prior CAR-T of any kind": a list's dashes glued to the first word hide it from the cue rules.
_GLUED_DASHES = re.compile(r"(?<![\w-])-{2,}(?=[A-Za-z])")


def cue_text(text: str) -> str:
    """The text NLP reads: `plain_letters`, the speck after a "no" and a list's dashes glued to its
    first word taken off; one character for one, so every offset still points into the original text."""
    plain = _NO_SPECK.sub("no ", plain_letters(text))
    return _GLUED_DASHES.sub(lambda m: " " * len(m.group(0)), plain)


def _plain(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    if len(decomposed) >= 2 and decomposed[0].isascii() and all(unicodedata.combining(c) for c in decomposed[1:]):
        return decomposed[0]
    return char


_PLAIN = {chr(code): _plain(chr(code)) for code in range(0xC0, 0x250) if _plain(chr(code)) != chr(code)}


def layout_lines(words: list[Word]) -> list[list[Word]]:
    """Words in reading order, grouped into visual rows.

    OCR gives a line index per word, but Tesseract splits a form row into separate blocks
    (all labels of a column, then all values), which tears "Planned Infusion Date:" from its
    date; a text layer gives no line at all (every word has line 0). Both are rebuilt the same
    way: units (an OCR line, or a single text-layer word) whose vertical centre falls inside a
    row's span join that row, so a form row reads as it is printed whatever the page method.
    """
    if not words:
        return []
    if any(w.line for w in words):
        by_line: dict[int, list[Word]] = {}
        for word in words:
            by_line.setdefault(word.line, []).append(word)
        units = [part for unit in by_line.values() for part in _stacked_lines(unit)]
    else:
        units = [[word] for word in words]
    rows: list[list[Word]] = []
    spans: list[tuple[float, float]] = []
    for unit in sorted(units, key=lambda u: (_centre(u), min(w.bbox.x0 for w in u))):
        centre = _centre(unit)
        # A unit beside the row joins it; one over the row's own words is the next printed line
        # (two tight or skewed lines whose centres fall inside each other's span).
        if rows and spans[-1][0] <= centre <= spans[-1][1] and not _overlaps(unit, rows[-1]):
            rows[-1].extend(unit)
            continue
        rows.append(list(unit))
        spans.append((min(w.bbox.y0 for w in unit), max(w.bbox.y1 for w in unit)))
    return [sorted(row, key=lambda w: w.bbox.x0) for row in rows]


_ROW_OVERLAP = 0.5  # share of the narrower extent two units must cover together to be stacked
_STACKED_LINE_WORDS = 3  # words each of two stacked lines needs before an OCR line is split
_MAX_STACKED_LINES = 3  # printed lines one OCR line may be split into


def _stacked_lines(unit: list[Word]) -> list[list[Word]]:
    """An OCR line split into the printed lines it holds. On a skewed standard-resolution fax
    Tesseract at times gives two printed lines one line index, and sorted by x their words
    interleave ("PATIENT: SPECIMEN: ASANTE, bone marrow ..."). A word printed over the last word
    of every line so far starts another line; any other word follows the line whose last word
    sits nearest in height (so a skewed line is followed along its slope). Split only when two
    or three of the lines are real lines, not a speck over a word."""
    lines: list[list[Word]] = []
    for word in sorted(unit, key=lambda w: w.bbox.x0):
        # A speck over a word ("i" over "is") starts no line: it goes with the nearest.
        speck = sum(c.isalnum() for c in word.text) < 2
        free = [line for line in lines if speck or not _stacked(word, line[-1])]
        if not free:
            lines.append([word])
            continue
        min(free, key=lambda line: abs(_centre([word]) - _centre(line[-1:]))).append(word)
    if not 2 <= sum(len(line) >= _STACKED_LINE_WORDS for line in lines) <= _MAX_STACKED_LINES:
        # More lines than that is a block of clipped fragments re-read as one line ("nber
        # ministration ression ..."): kept as one line, which reads as the junk it is.
        return [unit]
    # Small leftovers (specks) go back with the nearest real line.
    real = [line for line in lines if len(line) >= _STACKED_LINE_WORDS]
    for line in lines:
        if len(line) < _STACKED_LINE_WORDS:
            nearest = min(real, key=lambda r: abs(_centre(r) - _centre(line)))
            nearest.extend(line)
    return real


def _stacked(word: Word, other: Word) -> bool:
    """One word printed over the other: they share x and their centres are half a height apart
    (OCR boxes of one line overlap at times, but level)."""
    lower = min(word.bbox.y1 - word.bbox.y0, other.bbox.y1 - other.bbox.y0)
    return abs(_centre([word]) - _centre([other])) >= 0.5 * lower and _overlaps([word], [other])


def _overlaps(unit: list[Word], row: list[Word]) -> bool:
    x0, x1 = min(w.bbox.x0 for w in unit), max(w.bbox.x1 for w in unit)
    for word in row:
        shared = min(x1, word.bbox.x1) - max(x0, word.bbox.x0)
        if shared > _ROW_OVERLAP * min(x1 - x0, word.bbox.x1 - word.bbox.x0):
            return True
    return False


def _centre(unit: list[Word]) -> float:
    return (min(w.bbox.y0 for w in unit) + max(w.bbox.y1 for w in unit)) / 2


def _label_checkboxes(page: Page, line_ranges: list[tuple[int, int, list[WordSpan]]],
                      text: str) -> list[CheckboxLabel]:
    labels = []
    for box in page.checkboxes:
        line = _line_of(box, line_ranges)
        if line is None:
            continue
        line_start, line_end, spans = line
        others = [c.bbox.x0 for c in page.checkboxes
                  if c is not box and c.bbox.x0 > box.bbox.x0 and _line_of(c, [line]) is not None]
        stop = min(others, default=float("inf"))
        # A word may start inside the box when OCR read the box's pixels as letters ("MNo").
        right = [s for s in spans if s.word.bbox.x1 > box.bbox.x1 + 2 and s.word.bbox.x0 >= box.bbox.x0 - 2
                 and s.word.bbox.x1 <= stop + 2]
        if not right:
            left = [s for s in spans if s.word.bbox.x1 <= box.bbox.x0 + 2]
            at = left[-1].end if left else line_start
            labels.append(CheckboxLabel(box, page.number, "", at, at, line_start, line_end))
            continue
        start, end = right[0].start, right[-1].end
        labels.append(CheckboxLabel(box, page.number, text[start:end], start, end, line_start, line_end))
    return labels


def _line_of(box: Checkbox, line_ranges: list[tuple[int, int, list[WordSpan]]]):
    centre = (box.bbox.y0 + box.bbox.y1) / 2
    tolerance = max(box.bbox.y1 - box.bbox.y0, 4.0) * _SAME_LINE_TOLERANCE
    best, best_distance = None, tolerance
    for line in line_ranges:
        spans = line[2]
        if not spans:
            continue
        line_centre = sum((s.word.bbox.y0 + s.word.bbox.y1) / 2 for s in spans) / len(spans)
        distance = abs(line_centre - centre)
        if distance <= best_distance:
            best, best_distance = line, distance
    return best
