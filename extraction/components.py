"""Every custom spaCy component of the pipeline, registered by name in this one module.

Importing this module registers the components and the Span/Doc extensions they use;
extraction.nlp imports it before assembling a pipeline.
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

MODEL_ENTITIES = "model_entities"  # doc.spans key where statistical NER output waits for the rules
SENTENCE_END = {".", "?", "!", ";"}

if not Span.has_extension("normalized"):
    Span.set_extension("normalized", default=None)
if not Span.has_extension("source"):
    Span.set_extension("source", default="rules")


@Language.component("line_sentencizer")
def line_sentencizer(doc: Doc) -> Doc:
    """Sentences end at line breaks (except inside wrapped prose) and at sentence punctuation.

    A form line ("Prior CAR-T therapy: No") is its own sentence, so a ConText modifier
    never reaches the next form field.
    """
    for index, token in enumerate(doc):
        if index == 0:
            token.is_sent_start = True
            continue
        previous = doc[index - 1]
        before_break = doc[index - 2] if index > 1 else None
        # A wrapped line of prose continues in lower case: it is not a new sentence.
        line_break = "\n" in previous.text and previous.is_space and (
            not token.is_lower or before_break is None or before_break.text in SENTENCE_END | {":"}
            or "\f" in previous.text)
        token.is_sent_start = bool(line_break or (previous.text in SENTENCE_END and not token.is_space))
    return doc


@Language.component("stash_model_entities")
def stash_model_entities(doc: Doc) -> Doc:
    """Moves statistical NER entities aside so the rule matcher can claim tokens first."""
    stashed = list(doc.spans.get(MODEL_ENTITIES, []))
    for ent in doc.ents:
        ent._.source = "ner"
        stashed.append(ent)
    doc.spans[MODEL_ENTITIES] = stashed
    doc.ents = []
    return doc


@Language.component("abbreviation_entities")
def abbreviation_entities(doc: Doc) -> Doc:
    """A short form defined in the text ("... leukemia (PBL)") takes its long form's label."""
    abbreviations = getattr(doc._, "abbreviations", None) or []
    rule_ents = list(doc.ents)
    added = []
    for short in abbreviations:
        long_form = short._.long_form
        if long_form is None:
            continue
        source = next((e for e in rule_ents if e.start < long_form.end and long_form.start < e.end), None)
        if source is None:
            continue
        span = Span(doc, short.start, short.end, label=source.label_)
        span._.normalized = source._.normalized
        span._.source = "abbreviation"
        added.append(span)
    if added:
        doc.ents = filter_spans(rule_ents + added)
    return doc


@Language.component("merge_model_entities")
def merge_model_entities(doc: Doc) -> Doc:
    """Adds NER entities where no rule entity lies: rules win on overlap."""
    taken = set()
    for ent in doc.ents:
        taken.update(range(ent.start, ent.end))
    extra = [e for e in doc.spans.get(MODEL_ENTITIES, [])
             if not taken.intersection(range(e.start, e.end))]
    if extra:
        doc.ents = list(doc.ents) + filter_spans(extra)
    return doc
