"""build_pipeline(config): the spaCy pipeline, assembled once per process by its caller.

blank English (or a named spaCy/scispaCy model) with scispaCy's biomedical tokenizer
-> sentences at line breaks -> optional trained NER (stashed) -> scispaCy abbreviations
-> medspaCy target rules from extraction/terminology -> abbreviation short forms
-> misspelled product names -> NER entities where no rule matched -> medspaCy sections -> medspaCy ConText.
"""
from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import spacy

import extraction.medspacy_loader  # noqa: F401,I001  before medspaCy: keeps QuickUMLS (and scikit-learn) out
from medspacy.context import ConTextRule
from medspacy.section_detection import SectionRule
from medspacy.target_matcher import TargetRule
from scispacy.abbreviation import AbbreviationDetector  # noqa: F401  registers 'abbreviation_detector'
from scispacy.custom_tokenizer import combined_rule_tokenizer
from spacy.language import Language

import extraction.components  # noqa: F401  registers our components and extensions
from extraction.errors import ConfigurationError
from extraction.terminology import TERMINOLOGY_DIR, Terminology, load_terminology

log = logging.getLogger(__name__)

TERMINOLOGY_META_KEY = "intake_terminology_dir"  # read by extraction.fields
PACKAGED_NER_MODEL = Path(__file__).resolve().parent.parent / "models" / "ner"

# scispaCy keeps a period after a single capital ("J." in "J. Smith"), which also glues it to
# "CAR-T." at a sentence end. A letter after a hyphen is never an initial, so split there.
_HYPHEN_LETTER_PERIOD = r"(?<=-[A-Za-z])\.$"
_OCR_CONFUSIONS = {"0": "0O", "1": "1lI"}
# OCR drops the space after a stray period ("meets and.understands"): split word.word apart.
_WORD_PERIOD_WORD = r"(?<=[a-z]{2})\.(?=[a-z]{2}|[A-Z]{2})"  # also before capitals ("product.CAR-T")
# Faxed lines collect runs of specks between words ("Kymriah.-:CR1"); a run of two or more
# marks between letters or digits is never part of a word, so it separates them.
_PUNCTUATION_RUN = r"(?<=[A-Za-z0-9])[.,:;\-]{2,}(?=[A-Za-z0-9])"
# An apostrophe before three or more letters is no possessive or contraction ('s 't 're 've 'll):
# it is a speck between two words ("outpatient'administration").
_SPECK_APOSTROPHE = r"(?<=[a-z]{2})['’](?=[a-z]{3})"
# Long statements wrap across lines and collect stray OCR punctuation between their words.
_BETWEEN_WORDS = [{"IS_SPACE": True, "OP": "*"}, {"IS_PUNCT": True, "OP": "?"}, {"IS_SPACE": True, "OP": "*"}]
_MAX_SPELLINGS = 12
# A research code ("CTL019", "KTE-X19", "JCAR017"): capitals and digits in one token, which fax OCR
# at times reads with a speck inside ("C¢TL019", "CTL0'19").
_RESEARCH_CODE = re.compile(r"(?=[A-Z-]*\d)[A-Z][A-Z0-9-]{4,}")
_CAPITALS_ABBREVIATION = re.compile(r"[A-Z]{2,5}")
_SPECK_LETTER = {"LENGTH": 1, "IS_ALPHA": True, "LOWER": {"NOT_IN": ["a", "i"]}, "OP": "?"}


@dataclass(frozen=True)
class NlpConfig:
    scispacy_model: str | None = None  # spaCy/scispaCy model name or path used as the base
    ner_model: str | None = str(PACKAGED_NER_MODEL)  # None: rules only (ablation)
    terminology_dir: str = str(TERMINOLOGY_DIR)


def biomedical_tokenizer(nlp: Language):
    tokenizer = combined_rule_tokenizer(nlp)
    suffix_pattern = tokenizer.suffix_search.__self__.pattern
    tokenizer.suffix_search = re.compile(f"{_HYPHEN_LETTER_PERIOD}|{suffix_pattern}").search
    infix_pattern = tokenizer.infix_finditer.__self__.pattern
    tokenizer.infix_finditer = re.compile(f"{_PUNCTUATION_RUN}|{_SPECK_APOSTROPHE}|{_WORD_PERIOD_WORD}|{infix_pattern}").finditer
    return tokenizer


def blank_pipeline() -> Language:
    """The base every pipeline (and NER training) shares: English, scispaCy tokenizer, no vectors."""
    nlp = spacy.blank("en")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scispaCy's regex set-union notice
        nlp.tokenizer = biomedical_tokenizer(nlp)
    return nlp


def build_pipeline(config: NlpConfig | None = None) -> Language:
    config = config or NlpConfig()
    terminology = load_terminology(config.terminology_dir)
    nlp = _base(config.scispacy_model)
    if "ner" in nlp.pipe_names:
        nlp.add_pipe("stash_model_entities", name="stash_base_entities", after="ner")
    if config.ner_model:
        nlp.add_pipe("ner", name="trained_ner", source=_load_model(config.ner_model, "ner_model"))
        nlp.add_pipe("stash_model_entities", name="stash_trained_entities")
    if not nlp.has_pipe("parser") and not nlp.has_pipe("senter"):
        nlp.add_pipe("line_sentencizer", first=True)
    nlp.add_pipe("abbreviation_detector")
    matcher = nlp.add_pipe("entity_target_matcher", name="medspacy_target_matcher")
    matcher.add(target_rules(terminology, nlp.tokenizer))
    nlp.add_pipe("abbreviation_entities")
    nlp.add_pipe("misspelled_products", config={"terminology_dir": str(config.terminology_dir)})
    nlp.add_pipe("merge_model_entities")
    sectionizer = nlp.add_pipe("medspacy_sectionizer",
                               config={"rules": None, "require_start_line": True})
    sectionizer.add([section_rule(header, s.label) for s in terminology.sections for header in s.terms])
    add_context(nlp, terminology)
    nlp.meta[TERMINOLOGY_META_KEY] = str(config.terminology_dir)
    log.info("nlp pipeline built: %s", ",".join(nlp.pipe_names))
    return nlp


def target_rules(terminology: Terminology, tokenizer) -> list[TargetRule]:
    rules = []
    for label, term_sets in (("DIAGNOSIS", terminology.diagnoses), ("CAR_T_PRODUCT", terminology.products),
                             ("CAR_T_PRODUCT", (terminology.generic_car_t, terminology.unspecified_cell_therapy)), ("SETTING", terminology.settings)):
        for term_set in term_sets:
            # A term wrapped onto the next line ("B-cell acute\nlymphoblastic leukemia") is still the term.
            rules.extend(TargetRule(literal=spelling, category=label, attributes={"normalized": term_set.label},
                                    pattern=_term_pattern(spelling, tokenizer))
                         for term in term_set.terms for spelling in ocr_spellings(term))
            rules.extend(TargetRule(literal=term, category=label, attributes={"normalized": term_set.label},
                                    pattern=[{"TEXT": {"REGEX": _specked_code(term)}}])
                         for term in term_set.terms if _RESEARCH_CODE.fullmatch(term))
    for term_set in terminology.attestations:
        rules.extend(TargetRule(literal=term, category="ATTESTATION", attributes={"normalized": term_set.label},
                                pattern=wrapped_statement_pattern(term, tokenizer))
                     for term in term_set.terms)
    return rules


def add_context(nlp: Language, terminology: Terminology) -> None:
    """medspaCy ConText with its default English rules (less those context.toml redefines) and ours,
    its targets paired with modifiers through a token index (extraction/indexed_context.py)."""
    context = nlp.add_pipe("indexed_context", name="medspacy_context", config={"rules": None})
    dropped = {literal.lower() for literal in terminology.dropped_default_modifiers}
    rules = [r for r in ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH) if r.literal.lower() not in dropped]
    for rule in rules:
        rule.on_modifies = _outside_target
    rules.extend(ConTextRule(literal=m.literal, category=m.category, direction=m.direction,
                             allowed_types=set(m.targets) or None,
                             on_modifies=_answer_or_list if m.answer else _outside_target)
                 for m in terminology.context_modifiers)
    for rule in rules:
        if rule.pattern is None and " " in rule.literal.strip():
            # A cue wrapped onto the next line ("has never\nreceived") is still the cue.
            rule.pattern = _across_line_breaks(rule.literal, nlp.tokenizer, specks=True)
    context.add(rules)


def _term_pattern(spelling: str, tokenizer) -> list[dict] | None:
    """None for a plain literal (matched case-insensitively). A capitals abbreviation matches only in
    capitals ("MM" is myeloma, "8 mm" a size); a term of several words also across a line break."""
    if _CAPITALS_ABBREVIATION.fullmatch(spelling):
        return [{"TEXT": spelling}]
    return _across_line_breaks(spelling, tokenizer) if " " in spelling.strip() else None


def _across_line_breaks(literal: str, tokenizer, specks: bool = False) -> list[dict]:
    pattern: list[dict] = []
    for index, token in enumerate(t for t in tokenizer(literal) if not t.is_space):
        if index:
            pattern.append({"IS_SPACE": True, "OP": "*"})
            if specks:  # a fax speck read as a letter between a cue's words ("has never r been treated")
                pattern += [_SPECK_LETTER, {"IS_SPACE": True, "OP": "*"}]
        pattern.append({"LOWER": token.lower_})
    return pattern


def _outside_target(target, modifier, span_between) -> bool:
    """A cue inside the target phrase is part of what is named, not said about it
    ("neck supple, no lymphadenopathy" as one finding)."""
    return not (target.start <= modifier.start and modifier.end <= target.end)


def _answer_or_list(target, modifier, span_between) -> bool:
    """": no" answers what precedes it when it ends the sentence ("Fever: no."), and opens a
    list of what follows otherwise ("Extremities: no clubbing, cyanosis or edema")."""
    rest = modifier.doc[modifier.end:modifier.sent.end]
    ends_sentence = all(t.is_punct or t.is_space for t in rest)
    before = target.end <= modifier.start
    return _outside_target(target, modifier, span_between) and before == ends_sentence


def section_rule(header: str, category: str) -> SectionRule:
    """A header rule; an abbreviation ("FH", "HPI") only as written and followed by a colon.

    Matched loosely, a short abbreviation fires on OCR noise: a ticked box read as "fH"
    would open a family-history section over the provider's attestations.
    """
    if len(header) <= 4 and header.upper() == header:
        return SectionRule(literal=header, category=category, pattern=[{"TEXT": header}, {"TEXT": ":"}])
    return SectionRule(literal=header, category=category)


def wrapped_statement_pattern(statement: str, tokenizer) -> list[dict]:
    """Token pattern for a statement whose words may be split by line breaks or OCR punctuation."""
    words = [t for t in tokenizer(statement) if not t.is_space]
    pattern: list[dict] = []
    for index, token in enumerate(words):
        if index:
            pattern.extend(_BETWEEN_WORDS)
        pattern.append({"LOWER": token.lower_})
    return pattern


_LETTER_HYPHEN = re.compile(r"([A-Za-z])-(?=[A-Za-z])")


def _specked_code(code: str) -> str:
    """Token regex for a research code read with one speck (a mark that is no letter or digit)
    between two of its characters, and 0/O, 1/l/I confused; the bare code is an ordinary rule."""
    chars = ["[" + re.escape(_OCR_CONFUSIONS.get(c, c)) + "]" for c in code]
    with_speck = ["".join(chars[:i]) + r"[^\w\s-]" + "".join(chars[i:]) for i in range(1, len(chars))]
    return "^(" + "|".join(with_speck) + ")$"


def ocr_spellings(term: str) -> list[str]:
    """The term plus its OCR misreadings of 0 and 1 ("CTLO19", "bb2l21") for terms with digits, and
    of a one-letter prefix's hyphen, which faxes break apart ("T- -lymphoblastic", "T- ALL")."""
    spellings = [""]
    for char in term:
        options = _OCR_CONFUSIONS.get(char, char)
        spellings = [s + o for s in spellings for o in options][:_MAX_SPELLINGS]
    prefix = _LETTER_HYPHEN.match(term)
    if prefix:
        rest = term[prefix.end():]
        spellings += [f"{prefix.group(1)}- {rest}", f"{prefix.group(1)}- -{rest}"]
    return spellings


def _base(name: str | None) -> Language:
    if name is None:
        return blank_pipeline()
    return _load_model(name, "scispacy_model")


def _load_model(name: str, setting: str) -> Language:
    try:
        return spacy.load(name)
    except OSError as exc:
        raise ConfigurationError(
            f"{setting}={name!r} is neither an installed spaCy/scispaCy package nor a model directory; "
            f"install it (pip install <model package>) or set {setting} to a path, or to none"
        ) from exc
