"""What a sentence asserts about one phrase in it: negated, historical, hypothetical, someone else's.

The same ConText rules the packet pipeline runs (extraction.nlp.add_context), callable on a plain
sentence and a target phrase, so that they can be measured on public assertion test sets
(`intake assertions`). Packet mentions get the same judgement inside the full pipeline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span

from extraction.nlp import add_context, blank_pipeline
from extraction.terminology import TERMINOLOGY_DIR, load_terminology

TARGET_LABEL = "CONDITION"  # not a packet label: only general-purpose modifiers apply


@dataclass(frozen=True)
class Assertion:
    negated: bool
    historical: bool
    hypothetical: bool
    other_person: bool
    cues: tuple[str, ...]  # "CATEGORY: cue words", for every modifier that applied

    @classmethod
    def from_categories(cls, cues: list[tuple[str, str]]) -> "Assertion":
        categories = {category for category, _ in cues}
        return cls(negated="NEGATED_EXISTENCE" in categories, historical="HISTORICAL" in categories,
                   hypothetical="HYPOTHETICAL" in categories, other_person="FAMILY" in categories,
                   cues=tuple(f"{category}: {text}" for category, text in cues))


class PhraseClassifier:
    """Built once (it loads the ConText rules); `classify` is cheap."""

    def __init__(self, terminology_dir: str = str(TERMINOLOGY_DIR)) -> None:
        self._nlp = blank_pipeline()
        self._nlp.add_pipe("line_sentencizer", first=True)
        add_context(self._nlp, load_terminology(terminology_dir))

    def classify(self, sentence: str, target: str) -> Assertion | None:
        """The assertion about `target` in `sentence`; None when the phrase is not in it.
        A phrase written more than once counts as negated (historical, ...) if any occurrence is."""
        doc = self._nlp.make_doc(sentence)
        spans = []
        for match in re.finditer(re.escape(target.strip()), sentence, re.IGNORECASE):
            span = doc.char_span(match.start(), match.end(), label=TARGET_LABEL, alignment_mode="expand")
            if span is not None and not any(s.start < span.end and span.start < s.end for s in spans):
                spans.append(span)
        if not spans:
            return None
        doc.ents = spans
        for _, component in self._nlp.pipeline:
            doc = component(doc)
        cues = [(modifier.category, _cue_text(doc, modifier)) for span in doc.ents for modifier in span._.modifiers]
        return Assertion.from_categories(cues)


def _cue_text(doc, modifier) -> str:
    start, end = modifier.modifier_span
    return Span(doc, start, end).text
