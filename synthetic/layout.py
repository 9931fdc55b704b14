"""Page drafts: what is drawn where, and which characters are which entity.

A generator writes `Segment`s (text, label-or-None); the composer wraps them into lines without
ever breaking inside a labelled value, so every entity's character offsets survive into the
page text used for NER training and into the rendered PDF unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from string import Formatter

from reportlab.pdfbase.pdfmetrics import stringWidth

Segment = tuple[str, "str | None"]
Span = tuple[int, int, str]
PAGE_WIDTH, PAGE_HEIGHT = 612.0, 792.0  # US letter, points
BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}


@dataclass
class TextLine:
    x: float
    y: float  # baseline, from the top of the page
    text: str
    spans: list[Span]
    font: str
    size: float


@dataclass
class Box:
    x: float
    y: float  # top edge, from the top of the page
    size: float
    mark: str | None  # None (empty), "x", "fill" or "check"


@dataclass
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Ellipse:
    """A hand-drawn circle around an answer; its bounding box, from the top of the page."""
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class PageDraft:
    kind: str
    lines: list[TextLine] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    ellipses: list[Ellipse] = field(default_factory=list)

    def text(self) -> tuple[str, list[Span]]:
        """Reading-order text: lines sharing a baseline joined by a space, rows by newlines."""
        rows: dict[int, list[TextLine]] = {}
        for line in self.lines:
            rows.setdefault(round(line.y), []).append(line)
        parts: list[str] = []
        spans: list[Span] = []
        offset = 0
        for _, row in sorted(rows.items()):
            for i, line in enumerate(sorted(row, key=lambda ln: ln.x)):
                if i:
                    parts.append(" ")
                    offset += 1
                spans.extend((s + offset, e + offset, label) for s, e, label in line.spans)
                parts.append(line.text)
                offset += len(line.text)
            parts.append("\n")
            offset += 1
        return "".join(parts).rstrip("\n"), spans


def flatten(segments: list[Segment]) -> tuple[str, list[Span]]:
    text, spans = "", []
    for chunk, label in segments:
        if label and chunk:
            spans.append((len(text), len(text) + len(chunk), label))
        text += chunk
    return text, spans


class Composer:
    """Flows text top to bottom over as many letter pages as it needs."""

    def __init__(self, kind: str, font: str, size: float, margin: float = 54.0) -> None:
        self.kind, self.font, self.size, self.margin = kind, font, size, margin
        self.pages: list[PageDraft] = [PageDraft(kind)]
        self.y = margin

    @property
    def page(self) -> PageDraft:
        return self.pages[-1]

    @property
    def leading(self) -> float:
        return self.size * 1.35

    def _room(self, height: float) -> None:
        if self.y + height > PAGE_HEIGHT - self.margin:
            self.pages.append(PageDraft(self.kind))
            self.y = self.margin

    def gap(self, points: float) -> None:
        self.y += points

    def rule(self) -> None:
        self._room(6)
        self.page.rules.append(Rule(self.margin, self.y, PAGE_WIDTH - self.margin, self.y))
        self.y += 8

    def text(self, segments: list[Segment], *, bold: bool = False, size: float | None = None,
             x: float | None = None, width: float | None = None, advance: bool = True) -> float:
        """Wrap and draw a paragraph at `x`; returns the x where its last line ends."""
        font = BOLD[self.font] if bold else self.font
        size = size or self.size
        x = self.margin if x is None else x
        width = width or (PAGE_WIDTH - self.margin - x)
        text, spans = flatten(segments)
        end_x = x
        for start, end in _wrap(text, spans, font, size, width):
            self._room(size * 1.35)
            line_spans = [(s - start, e - start, lb) for s, e, lb in spans if start <= s and e <= end]
            self.page.lines.append(TextLine(x, self.y + size, text[start:end], line_spans, font, size))
            end_x = x + stringWidth(text[start:end], font, size)
            if advance or end < len(text):
                self.y += size * 1.35
        return end_x

    def checkbox(self, mark: str | None, segments: list[Segment], x: float | None = None,
                 advance: bool = True) -> float:
        x = self.margin if x is None else x
        side = max(8.0, self.size * 0.95)
        self._room(self.leading)
        self.page.boxes.append(Box(x, self.y + self.size * 0.15, side, mark))
        return self.text(segments, x=x + side + 6, advance=advance)


def _wrap(text: str, spans: list[Span], font: str, size: float, width: float) -> list[tuple[int, int]]:
    inside = set()
    for s, e, _ in spans:
        inside.update(range(s, e))
    words, start = [], 0
    for i, ch in enumerate(text + " "):
        if ch == " " and i not in inside:
            if i > start:
                words.append((start, i))
            start = i + 1
    lines: list[tuple[int, int]] = []
    for ws, we in words:
        if lines and stringWidth(text[lines[-1][0]:we], font, size) <= width:
            lines[-1] = (lines[-1][0], we)
        else:
            lines.append((ws, we))
    return lines


def fill(template: str, values: dict[str, Segment]) -> list[Segment]:
    """'{patient} is {age}' + {'patient': ('Ann Lee', 'PATIENT_NAME'), ...} -> labelled segments."""
    out: list[Segment] = []
    for literal, key, _, _ in Formatter().parse(template):
        if literal:
            out.append((literal, None))
        if key is not None:
            out.append(values[key])
    return out
