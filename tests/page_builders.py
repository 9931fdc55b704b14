"""Pages for unit tests, laid out from lines of text the way a page reader would deliver them.

`[[x]]` and `[[ ]]` inside a line become pixel checkboxes (checked / empty) at that spot,
not words, like the boxes extraction.imaging finds on a scanned form; `((Yes))` is the word
Yes circled by hand, as the page reader marks it.
"""
from __future__ import annotations

import re

from extraction.models import BBox, Checkbox, Page, Word

CHAR_WIDTH = 6.0
LINE_HEIGHT = 14.0
MARGIN = 72.0
_TOKEN = re.compile(r"\[\[(?P<box>[ xX])\]\]|\(\((?P<circled>[^()\s]+)\)\)|\S+")


def build_page(lines: list[str], number: int = 1, confidence: float = 1.0, method: str = "text_layer",
               low_confidence_words: dict[str, float] | None = None) -> Page:
    words, boxes = [], []
    for index, line in enumerate(lines):
        top = MARGIN + index * LINE_HEIGHT
        for token in _TOKEN.finditer(line):
            x0 = MARGIN + token.start() * CHAR_WIDTH
            if token.group("box") is not None:
                checked = token.group("box").lower() == "x"
                boxes.append(Checkbox(BBox(x0, top + 1, x0 + 10, top + 11), checked,
                                      0.35 if checked else 0.02, 0.95))
                continue
            text = token.group("circled") or token.group(0)
            word_confidence = (low_confidence_words or {}).get(text, confidence)
            words.append(Word(text, BBox(x0, top, x0 + len(text) * CHAR_WIDTH, top + 10), word_confidence,
                              line=index + 1, circled=token.group("circled") is not None))
    mean = sum(w.confidence for w in words) / len(words) if words else 0.0
    return Page(number=number, width=612.0, height=792.0, method=method, words=words, checkboxes=boxes,
                mean_confidence=mean)


def build_packet(*pages_lines: list[str], confidence: float = 1.0) -> list[Page]:
    return [build_page(lines, number=i + 1, confidence=confidence) for i, lines in enumerate(pages_lines)]


def placed_mentions(nlp, header: list[str], lines: list[str]) -> list:
    """Each CAR-T mention of `lines` (not of the `header` before them) placed as the extractor
    places it, on one built page."""
    from extraction import fields as fields_module
    from extraction.therapy_placement import place
    text = fields_module.PacketText.from_pages(build_packet(header + lines))
    packet = fields_module._read_packet(text, nlp(text.text), fields_module._terminology(
        str(fields_module.TERMINOLOGY_DIR)))
    first = text.text.find(lines[0][:20])
    return [place(packet, m) for m in packet.mentions if m.label == "CAR_T_PRODUCT" and m.start >= first]
