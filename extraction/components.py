"""Every custom spaCy component of the pipeline, registered by name in this one module.

Importing this module registers the components and the Span/Doc extensions they use;
extraction.nlp imports it before assembling a pipeline.
"""
from __future__ import annotations

import functools
import re

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from extraction.spelling import edit_distance
from extraction.terminology import load_terminology

MODEL_ENTITIES = "model_entities"  # doc.spans key where statistical NER output waits for the rules
SENTENCE_END = {".", "?", "!", ";"}
# Words a sentence cannot end on: a line that stops on one wrapped mid-sentence
# ("... ponatinib. No prior" / "CAR-T cell therapy."), whatever case the next line starts with.
_CANNOT_END_SENTENCE = {
    "a", "an", "the", "no", "not", "never", "without", "prior", "previous", "previously", "any",
    "of", "to", "for", "with", "in", "on", "at", "by", "from", "and", "or", "nor", "but", "s/p",
}
# Words no sentence ends on before a period either: a period after one is a speck OCR read
# ("He has not had any. CAR-T product himself."), not the end of the sentence.
_NO_PERIOD_AFTER = {"a", "an", "the", "any", "of", "to", "for", "with", "without", "from", "by", "and",
                    "or", "nor", "s/p", "prior", "previous"}
# A misspelled product name is at most this many edits from the real one (OCR drops, swaps
# or misreads a letter); shorter names allow fewer so ordinary words never match.
_MISSPELLING_EDITS = ((10, 2), (6, 1))
_WORDS_REMEMBERED = 50_000  # distinct words whose nearest product names a worker keeps (a few MB)

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
    starts = numpy.array([1 if _starts_sentence(doc, index) else -1 for index in range(len(doc))], dtype="int64")
    # One array write: setting token.is_sent_start asks the whole doc whether it is parsed, each time
    # (a 50-page packet spent seconds there).
    doc.from_array([SENT_START], starts.astype("uint64"))
    return doc


def _starts_sentence(doc: Doc, index: int) -> bool:
    if index == 0:
        return True
    token, previous = doc[index], doc[index - 1]
    before_break = doc[index - 2] if index > 1 else None
    # A wrapped line of prose continues in lower case: it is not a new sentence.
    wrapped = before_break is not None and before_break.lower_ in _CANNOT_END_SENTENCE
    line_break = "\n" in previous.text and previous.is_space and not wrapped and (
        not token.is_lower or before_break is None or before_break.text in SENTENCE_END | {":"}
        or "\f" in previous.text)
    # OCR drops the space after a speck read as a period ("brother.received"): a real
    # sentence end is followed by a space.
    glued = previous.text == "." and not previous.whitespace_ and token.is_lower and doc[index - 2].is_lower
    speck = previous.text == "." and before_break is not None and before_break.lower_ in _NO_PERIOD_AFTER
    return bool(line_break or (previous.text in SENTENCE_END and not token.is_space and not glued and not speck))


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


@Language.factory("misspelled_products", default_config={"terminology_dir": None})
def misspelled_products(nlp, name, terminology_dir):  # unannotated: spaCy validates factory signatures
    return MisspelledProducts(terminology_dir)


_OCR_LETTER = {"i": "[ijl1!|]", "l": "[l1I|i]", "e": "[ec]", "a": "[ao]", "o": "[o0]", "-": "[-~]?\\s?", "c": "[ce]"}


class MisspelledProducts:
    """CAR-T product names as OCR misspells them ("Kytriah"), where no rule or model matched.

    Only whole-word names of six letters or more take part, and only a word within a couple
    of edits: a product missed here is a prior therapy missed, so this errs towards finding.
    """

    def __init__(self, terminology_dir: str | None) -> None:
        terminology = load_terminology(terminology_dir) if terminology_dir else load_terminology()
        self.names: dict[str, str] = {}
        self.second_words: dict[str, set[str]] = {}  # generic -> "autoleucel", "vicleucel", ...
        self.unspecified = terminology.generic_car_t.label
        short_forms: list[tuple[str, str]] = []
        for term_set in terminology.products:
            for term in term_set.terms:
                if len(term.split()) == 2:
                    self.second_words.setdefault(term_set.label, set()).add(term.split()[1].lower())
                word = term.split()[0]
                if word.isalpha() and len(word) >= 6:
                    self.names[word.lower()] = term_set.label
                if re.fullmatch(r"[a-z]+-cel", term):
                    short_forms.append((term, term_set.label))
        # INN short forms ("axi-cel") read through fax noise ("axj-ce)"): each letter may be one
        # of its usual misreadings, and the final l may be lost to a bracket.
        self.short_forms = [(re.compile(r"(?<![A-Za-z])" + "".join(_OCR_LETTER.get(c, re.escape(c)) for c in term[:-1])
                                        + r"[l1I|)\]!]", re.IGNORECASE), label) for term, label in short_forms]
        # A packet repeats its words, and every word is measured against every name: remember each word's answer.
        self._nearest = functools.lru_cache(maxsize=_WORDS_REMEMBERED)(self._nearest_names)

    def __call__(self, doc: Doc) -> Doc:
        taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
        added = []
        for token in doc:
            if token.i in taken or not token.is_alpha or len(token) < 6 or token.lower_ in self.names:
                continue
            following = doc[token.i + 1].lower_ if token.i + 1 < len(doc) else ""
            generic = self._closest(token.lower_, following)
            if generic is not None:
                span = Span(doc, token.i, token.i + 1, label="CAR_T_PRODUCT")
                span._.normalized = generic
                span._.source = "spelling"
                added.append(span)
        for pattern, generic in self.short_forms:
            for match in pattern.finditer(doc.text):
                span = doc.char_span(match.start(), match.end(), label="CAR_T_PRODUCT", alignment_mode="expand")
                if span is None or any(i in taken for i in range(span.start, span.end)):
                    continue
                span._.normalized = generic
                span._.source = "spelling"
                added.append(span)
                taken.update(range(span.start, span.end))
        if added:
            doc.ents = list(doc.ents) + added
        return doc

    def _closest(self, word: str, following: str) -> str | None:
        """The nearest name within its allowed edits ("abecabtagene": obe-, one edit; not axi-, two).
        Two products as near ("checabtagene": obe- or ide-?) are told apart by the word after it
        ("autoleucel"); failing that, the mention is a CAR-T of unknown product."""
        nearest = self._nearest(word)
        if len(nearest) <= 1:
            return nearest[0] if nearest else None
        by_next = [g for g in nearest if any(edit_distance(following, second, 2) <= 2
                                             for second in self.second_words.get(g, ()))]
        return by_next[0] if len(by_next) == 1 else self.unspecified

    def _nearest_names(self, word: str) -> tuple[str, ...]:
        """The products whose names are nearest `word`, within their allowed edits."""
        distances: dict[str, int] = {}
        for name, generic in self.names.items():
            allowed = next(edits for length, edits in _MISSPELLING_EDITS if len(name) >= length)
            if abs(len(name) - len(word)) <= allowed:
                distance = edit_distance(word, name, allowed)
                if distance <= allowed:
                    distances[generic] = min(distance, distances.get(generic, distance))
        return tuple(g for g, d in distances.items() if d == min(distances.values()))


@Language.factory("indexed_context", default_config={"rules": None})
def indexed_context(nlp, name, rules):  # unannotated: spaCy validates factory signatures
    """medspaCy's ConText, pairing targets with modifiers through a token index (extraction/indexed_context.py)."""
    from extraction.indexed_context import IndexedConText
    return IndexedConText(nlp, name=name, rules=rules)


@Language.factory("entity_target_matcher")
def entity_target_matcher(nlp, name):  # unannotated: spaCy validates factory signatures
    """medspaCy's TargetMatcher, its matches placed in doc.ents at once (extraction/target_entities.py)."""
    from extraction.target_entities import EntityTargetMatcher
    return EntityTargetMatcher(nlp, name=name)
