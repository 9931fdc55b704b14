"""Plain data and arithmetic shared by the field extractors: mentions, evidence, confidence.

Confidence is a probability that the value is right, built from: how reliable the kind of
source is when read cleanly (`base`), the OCR confidence of the words it was read from,
and agreement or disagreement between sources.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from extraction.dates import DateMention
from extraction.models import FieldValue
from extraction.record_corrections import withdrawn_spans
from extraction.terminology import Terminology
from extraction.text import PacketText

MAX_EVIDENCE = 5
MAX_CONFIDENCE = 0.98
ABSENT_CONFIDENCE = 0.7
_AGREEMENT_WEIGHT = 0.6  # sources in a packet are correlated (copied forward): agreement adds little


# "F. Coverage criteria (mark one box per line)", "3. Patient handout (2 pp)": a section of the request
# form or an item of a cover sheet's contents list, not attached text.
# A line that carries on the sentence above ("request. Payer decisions follow the payer's own
# coverage policy.") names a policy; it is no sheet's title.
_IN_A_SENTENCE = re.compile(r"^\W*[a-z]")
_TITLE_WORDS = 16  # "Northwind Shore Health Plan - Medical Policy MP-RX-118 (excerpt, attached by provider for reference)"
_FORM_SECTION = re.compile(r"^\W*([A-Z]|\d{1,2}|section\s+\w+|part\s+\w+)[.):]+\s|\b(mark|check|tick|circle|complete|"
                           r"answer)\b[^.]{0,30}\b(box|boxes|one|each|all|below|line|yes|no)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """A matched entity as plain data (converted from a spaCy span in extraction.fields)."""
    start: int
    end: int
    label: str
    normalized: str | None
    source: str  # "rules", "abbreviation" or "ner"
    negated: bool
    historical: bool
    hypothetical: bool
    family: bool
    section: str | None


@dataclass(frozen=True)
class Region:
    start: int
    end: int
    category: str | None
    header_page: int


@dataclass
class Packet:
    text: PacketText
    mentions: list[Mention]
    regions: list[Region]
    terminology: Terminology
    units: list[tuple[int, int]]  # statement units (sentence, form item, table row), cut once per packet
    reference_titles: list[int] = field(default_factory=list)  # offsets of reference title lines
    foreign_pages: set[int] = field(default_factory=set)  # pages about another patient (misfiled)
    # Generic names of the product(s) this packet asks for: named in its plan sentences, they are the
    # request, not history. The caller says which (the policy judging the packet governs them).
    requested_products: frozenset[str] = frozenset()
    _unit_starts: list[int] = field(default_factory=list, repr=False)
    # Record entries the packet withdraws (entered in error, retired), every occurrence.
    _withdrawn: list[tuple[int, int]] = field(default_factory=list, repr=False)
    _first_title: dict[int, int] = field(default_factory=dict, repr=False)  # page -> its first reference title
    _region_starts: list[int] | None = field(default=None, repr=False)  # when regions are in order, apart
    _by_label: dict[str, tuple[list[int], list[Mention]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._unit_starts = [start for start, _ in self.units]
        self._withdrawn = withdrawn_spans(self.text.text)
        body = self.text.text
        offset, page, line_on_page = 0, None, 0
        for line in body.split("\n"):
            lowered = line.lower()
            line_page = self.text.page_at(offset)
            line_on_page = line_on_page + 1 if line_page == page else 0
            page = line_page
            # A title is short: its words (not the dashes and specks between them) fit on one line.
            words = sum(bool(re.search(r"[A-Za-z0-9]", w)) for w in line.split())
            if (words <= _TITLE_WORDS and any(w in lowered for w in self.terminology.reference_title_words)
                    and not _FORM_SECTION.search(line) and not _IN_A_SENTENCE.search(line)):
                # A sheet's own title sits above its subtitle: near the top, the whole page is the sheet.
                self.reference_titles.append(self.text.page_start(page) if line_on_page <= 3 else offset)
            offset += len(line) + 1
        # Asked of every mention and line: looked up by page and by bisection, not by scanning the packet.
        for title in self.reference_titles:
            title_page = self.text.page_at(title)
            self._first_title[title_page] = min(title, self._first_title.get(title_page, title))
        if all(a.start <= a.end <= b.start for a, b in zip(self.regions, self.regions[1:])):
            self._region_starts = [region.start for region in self.regions]
        for mention in sorted(self.mentions, key=lambda m: m.start):
            starts, mentions = self._by_label.setdefault(mention.label, ([], []))
            starts.append(mention.start)
            mentions.append(mention)

    def mentions_starting_in(self, label: str, start: int, end: int) -> list[Mention]:
        """Mentions of `label` that start in [start, end), in order."""
        starts, mentions = self._by_label.get(label, ([], []))
        return mentions[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]

    def is_reference(self, offset: int) -> bool:
        """Inside attached reference material (drug label, payer policy) on the same page."""
        page = self.text.page_at(offset)
        if self._first_title.get(page, offset + 1) <= offset:
            return True
        region = self._region_at(offset)
        return region is not None and (region.category in self.terminology.reference_categories
                                       and region.header_page == page)

    def _region_at(self, offset: int) -> Region | None:
        """The first region holding `offset`."""
        if self._region_starts is None:
            return next((r for r in self.regions if r.start <= offset < r.end), None)
        # In order and apart, only the last region starting at or before `offset` can hold it.
        index = bisect.bisect_right(self._region_starts, offset) - 1
        return self.regions[index] if index >= 0 and offset < self.regions[index].end else None

    def is_withdrawn(self, start: int, end: int) -> bool:
        return any(s <= start + 1 and end - 1 <= e for s, e in self._withdrawn)

    def unit_around(self, offset: int) -> tuple[int, int]:
        """The statement unit holding `offset`."""
        units = self.units
        index = bisect.bisect_right(self._unit_starts, offset) - 1
        if index >= 0 and units[index][0] <= offset < units[index][1]:
            return units[index]
        return offset, offset

    def about_patient(self, label: str) -> list[Mention]:
        return [m for m in self.mentions if m.label == label and not m.family
                and m.section != "family_history" and not self.is_reference(m.start)
                and self.text.page_at(m.start) not in self.foreign_pages]


def ocr_factor(word_confidence: float) -> float:
    """Tesseract confidence is not a probability: a low-confidence word still often reads right."""
    return 0.85 + 0.15 * word_confidence


def reliability(text: PacketText, start: int, end: int, base: float) -> float:
    return base * ocr_factor(text.confidence(start, end))


def combine(confidences: list[float]) -> float:
    if not confidences:
        return 0.0
    ordered = sorted(confidences, reverse=True)
    value = ordered[0]
    for other in ordered[1:]:
        value += (1.0 - value) * other * _AGREEMENT_WEIGHT
    return min(value, MAX_CONFIDENCE)


def disagreement(winner: float, loser: float) -> float:
    """Confidence left for the winning side when sources contradict each other."""
    return winner * winner / (winner + loser) if winner + loser else 0.0


def field_from(name: str, value, spans: list[tuple[int, int, float]], text: PacketText,
               confidence: float | None = None) -> FieldValue:
    ordered = sorted(spans, key=lambda s: -s[2])
    evidence, seen = [], set()
    for start, end, _ in ordered:
        item = text.evidence(start, end)
        key = (item.page, item.text)
        if key not in seen:
            seen.add(key)
            evidence.append(item)
        if len(evidence) == MAX_EVIDENCE:
            break
    value_confidence = combine([c for _, _, c in spans]) if confidence is None else confidence
    return FieldValue(name, value, round(value_confidence, 4), evidence)


def absent(name: str, empty) -> FieldValue:
    """Nothing found: usually because the packet does not say it (the confidence of that)."""
    return FieldValue(name, empty, ABSENT_CONFIDENCE)


UNREADABLE_NOTE = "labelled in the packet, but the value could not be read"


def unreadable_date(packet: Packet, label: re.Pattern, dates: list[DateMention],
                    pages: set[int] | None = None) -> tuple[int, int] | None:
    """A line where `label` is followed by digits that no date was read from ("Date: 12/01/202")."""
    text = packet.text.text
    for match in re.finditer(r"[^\n]+", text):
        digit = re.search(r"\d", match.group(0))
        if digit is None or (pages is not None and packet.text.page_at(match.start()) not in pages):
            continue
        value_start = match.start() + digit.start()
        found = label.search(text, match.start(), value_start)
        if found is None or packet.is_reference(match.start()):
            continue
        if not any(match.start() <= d.start < match.end() and d.start >= found.end() - 1 for d in dates):
            return found.start(), match.end()
    return None


_SPECK_LETTERS = re.compile(r"(?<=:)([^\w\n]*\b[a-z]{1,2}\b)+[^\w\n]*$")


# A line going on with a sentence in lower case ("scheduled for June 30, 2026"): prose, not a grid cell.
_WRAPPED_PROSE = re.compile(r"[^\w\n]*[a-z]")


def date_field(name: str, packet: Packet, dates: list[DateMention], label: re.Pattern, reach: int,
               exclude: re.Pattern | None = None) -> FieldValue:
    """The date whose label (just before it, same line or the line above) names this role."""
    text = packet.text.text
    candidates: dict[str, list[tuple[int, int, float]]] = {}
    previous_end = 0
    for mention in dates:
        window_start, previous_end = max(previous_end, mention.start - reach), mention.end
        if packet.is_reference(mention.start):
            continue
        line_start, _ = packet.text.line_bounds(mention.start)
        prefix_start = max(line_start, window_start)
        if not text[line_start:mention.start].strip() and line_start > 0:
            prefix_start = packet.text.line_bounds(line_start - 1)[0]
        # A format hint between label and value: "DOB (mm/dd/yyyy):", "BIRTHDATE (DD MON YYYY). "
        prefix = re.sub(r"\([^)]*\)[\s.:]*$", "", text[prefix_start:mention.start])
        # "Date:., os March 24, 2026": specks read as a letter or two between a label and its value.
        prefix = _SPECK_LETTERS.sub(" ", prefix)
        match = label.search(prefix)
        base, start = 0.95, prefix_start + (match.start() if match else 0)
        wrapped = _WRAPPED_PROSE.match(text, line_start, mention.start) is not None
        if not match and wrapped and window_start < line_start:
            # "Her infusion is tentatively / scheduled for June 30, 2026": a sentence wrapped
            # between its label and its date.
            match = label.search(_SPECK_LETTERS.sub(" ", text[window_start:mention.start]))
            base, start = 0.9, window_start + (match.start() if match else 0)
        if not match and not wrapped:
            # A grid form: the label sits over the value, in the row above.
            prefix = re.sub(r"\([^)]*\)[\s.:]*$", "", packet.text.header_above(mention.start, mention.end))
            # A cell's label is a few words; the end of a sentence above ("... post infusion.") is none.
            match = None if prefix.rstrip().endswith(".") and len(prefix.split()) > 3 else label.search(prefix)
            base, start = 0.9, mention.start
        if not match:
            continue
        if exclude is not None and exclude.search(prefix[:match.start()] + match.group(0)):
            continue
        base *= (0.85 if mention.repaired else 1.0) * (0.9 if mention.two_digit_year else 1.0)
        candidates.setdefault(mention.value.isoformat(), []).append(
            (start, mention.end, reliability(packet.text, mention.start, mention.end, base)))
    if not candidates:
        return absent(name, None)
    scores = {value: combine([c for _, _, c in spans]) for value, spans in candidates.items()}
    # Equal support: the value read first wins (the request's own pages come first; a misfiled page later).
    best = max(scores, key=lambda v: (round(scores[v], 3), -min(start for start, _, _ in candidates[v])))
    field = field_from(name, best, candidates[best], packet.text, scores[best])
    if len(scores) > 1:
        runner_up = max(s for v, s in scores.items() if v != best)
        field.confidence = round(disagreement(scores[best], runner_up), 4)
        field.note = f"{len(scores)} different dates are labelled as {name.replace('_', ' ')}"
    return field
