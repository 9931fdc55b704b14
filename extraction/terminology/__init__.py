"""Terminology as data: the TOML files next to this module, behind a strict loader.

Unknown keys, missing keys and wrong types raise ConfigurationError, so a typo in a term
file fails at start-up instead of silently dropping a synonym.
"""
from __future__ import annotations


import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from extraction.errors import ConfigurationError

TERMINOLOGY_DIR = Path(__file__).parent
CONTEXT_CATEGORIES = ("NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY", "TERMINATE", "PSEUDO")
CONTEXT_DIRECTIONS = ("FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO")


@dataclass(frozen=True)
class TermSet:
    """Synonyms that all normalize to `label`."""
    label: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class StatementConcept:
    """A provider statement known by its meaning: a unit asserts it when it holds a word (or
    phrase; a trailing * matches any ending) of every group."""
    label: str
    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ContextModifier:
    category: str
    direction: str
    literal: str
    targets: tuple[str, ...] = ()  # entity labels it may modify; () = every label
    answer: bool = False  # ": no": backward when it ends the sentence, forward when words follow


@dataclass(frozen=True)
class TherapyHistoryCues:
    """Words that place a cellular-therapy mention (therapy_history.toml)."""
    administered: tuple[str, ...]
    implied: tuple[str, ...]
    infused: tuple[str, ...]
    collected: tuple[str, ...]
    not_infused: tuple[str, ...]
    unknown: tuple[str, ...]
    scoped_negation: tuple[str, ...]
    outcome: tuple[str, ...]
    discussed: tuple[str, ...]
    history_labels: tuple[str, ...]
    regimens: tuple[str, ...]


@dataclass(frozen=True)
class Terminology:
    diagnoses: tuple[TermSet, ...]
    icd10: dict[str, str]
    lineage_unsettled: StatementConcept
    products: tuple[TermSet, ...]
    generic_car_t: TermSet
    unspecified_cell_therapy: TermSet
    requested_product: str
    hcpcs: dict[str, str]
    member_id_formats: tuple[str, ...]
    settings: tuple[TermSet, ...]
    attestations: tuple[TermSet, ...]
    statement_concepts: tuple[StatementConcept, ...]
    therapy_cues: TherapyHistoryCues
    sections: tuple[TermSet, ...]  # label = section category, terms = headers
    reference_categories: tuple[str, ...]
    reference_title_words: tuple[str, ...]
    context_modifiers: tuple[ContextModifier, ...]
    dropped_default_modifiers: tuple[str, ...] = ()  # medspaCy default literals context.toml redefines


def load_terminology(directory: Path | str = TERMINOLOGY_DIR) -> Terminology:
    directory = Path(directory)
    diagnoses = _read(directory / "diagnoses.toml", {"diagnosis", "icd10", "lineage_unsettled"})
    products = _read(directory / "car_t_products.toml", {"requested_product", "product", "generic_mentions",
                                                            "unspecified_cell_therapy"})
    codes = _read(directory / "codes.toml", {"hcpcs", "member_id_formats"})
    statements = _read(directory / "statements.toml", {"setting", "attestation", "concept"})
    sections = _read(directory / "sections.toml", {"reference_categories", "reference_title_words", "section"})
    context = _read(directory / "context.toml", {"modifier", "drop_default_literals", "ocr_misreadings"})
    history = _read(directory / "therapy_history.toml",
                    {"administered", "implied", "infused", "collected", "not_infused", "unknown", "scoped_negation",
                     "outcome", "discussed", "history_labels", "regimens"})

    product_sets = tuple(_term_set(t, "generic", "terms", "product") for t in _tables(products, "product"))
    requested = _string(products, "requested_product", "car_t_products.toml")
    if requested not in {p.label for p in product_sets}:
        raise ConfigurationError(f"requested_product {requested!r} is not a listed product generic name")
    section_sets = tuple(_term_set(t, "category", "headers", "section") for t in _tables(sections, "section"))
    reference = tuple(_strings(sections, "reference_categories", "sections.toml"))
    unknown_reference = set(reference) - {s.label for s in section_sets}
    if unknown_reference:
        raise ConfigurationError(f"reference_categories name unknown sections: {sorted(unknown_reference)}")
    return Terminology(
        diagnoses=tuple(_term_set(t, "label", "terms", "diagnosis") for t in _tables(diagnoses, "diagnosis")),
        icd10=_codes(diagnoses, "icd10"),
        lineage_unsettled=_concept(_table(diagnoses, "lineage_unsettled")),
        products=product_sets,
        generic_car_t=_term_set(_table(products, "generic_mentions"), "label", "terms", "generic_mentions"),
        unspecified_cell_therapy=_term_set(_table(products, "unspecified_cell_therapy"), "label", "terms",
                                           "unspecified_cell_therapy"),
        requested_product=requested,
        hcpcs=_codes(codes, "hcpcs"),
        member_id_formats=tuple(_strings(codes, "member_id_formats", "codes.toml")),
        settings=tuple(_term_set(t, "label", "terms", "setting") for t in _tables(statements, "setting")),
        attestations=tuple(_term_set(t, "label", "terms", "attestation")
                           for t in _tables(statements, "attestation")),
        statement_concepts=tuple(_concept(t) for t in _tables(statements, "concept")),
        therapy_cues=TherapyHistoryCues(*(tuple(_strings(history, key, "therapy_history.toml")) for key in
                                          ("administered", "implied", "infused", "collected", "not_infused", "unknown",
                                           "scoped_negation", "outcome", "discussed", "history_labels",
                                           "regimens"))),
        sections=section_sets,
        reference_categories=reference,
        reference_title_words=tuple(w.lower() for w in _strings(sections, "reference_title_words", "sections.toml")),
        context_modifiers=tuple(_with_misreadings(_modifiers(context), _misreadings(context))),
        dropped_default_modifiers=tuple(_strings(context, "drop_default_literals", "context.toml")),
    )


def _read(path: Path, allowed: set[str]) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"terminology file missing: {path.name}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"terminology file {path.name} is not valid TOML: {exc}") from exc
    unknown = set(data) - allowed
    if unknown:
        raise ConfigurationError(f"{path.name}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    missing = allowed - set(data)
    if missing:
        raise ConfigurationError(f"{path.name}: missing keys {sorted(missing)}")
    return data


def _tables(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    tables = data[key]
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigurationError(f"[[{key}]] must be an array of tables")
    return tables


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    if not isinstance(data[key], dict):
        raise ConfigurationError(f"[{key}] must be a table")
    return data[key]


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, optional: set[str] = frozenset()) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ConfigurationError(f"[{where}]: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
    missing = allowed - optional - set(table)
    if missing:
        raise ConfigurationError(f"[{where}]: missing keys {sorted(missing)}")


def _string(table: dict[str, Any], key: str, where: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where}: {key} must be a non-empty string")
    return value


def _strings(table: dict[str, Any], key: str, where: str) -> list[str]:
    values = table[key]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise ConfigurationError(f"{where}: {key} must be a non-empty list of non-empty strings")
    return values


def _term_set(table: dict[str, Any], label_key: str, terms_key: str, where: str) -> TermSet:
    _check_keys(table, {label_key, terms_key}, where)
    label = _string(table, label_key, where)
    return TermSet(label, tuple(_strings(table, terms_key, f"{where} {label!r}")))


def _concept(table: dict[str, Any]) -> StatementConcept:
    _check_keys(table, {"label", "all_of"}, "concept")
    label = _string(table, "label", "concept")
    groups = table["all_of"]
    if not isinstance(groups, list) or not groups or not all(isinstance(g, list) and g for g in groups):
        raise ConfigurationError(f"[concept] {label!r}: all_of must be a non-empty list of word lists")
    return StatementConcept(label, tuple(tuple(_strings({"words": g}, "words", f"concept {label!r}"))
                                         for g in groups))


def _codes(data: dict[str, Any], key: str) -> dict[str, str]:
    codes = {}
    for table in _tables(data, key):
        _check_keys(table, {"code", "description"}, key)
        codes[_string(table, "code", key).upper()] = _string(table, "description", key)
    return codes


def _misreadings(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    table = data.get("ocr_misreadings", {})
    if not isinstance(table, dict):
        raise ConfigurationError("context.toml: [ocr_misreadings] must be a table of word = [readings]")
    return {word.lower(): tuple(r.lower() for r in _strings(table, word, "ocr_misreadings")) for word in table}


def _with_misreadings(modifiers: list[ContextModifier],
                      misreadings: dict[str, tuple[str, ...]]) -> list[ContextModifier]:
    """Each cue also as the fax reads it ("has neyer been"): one misread word per variant."""
    variants = []
    for modifier in modifiers:
        words = modifier.literal.split(" ")
        for index, word in enumerate(words):
            variants.extend(replace(modifier, literal=" ".join(words[:index] + [reading] + words[index + 1:]))
                            for reading in misreadings.get(word.lower(), ()))
    return modifiers + variants


def _modifiers(data: dict[str, Any]) -> list[ContextModifier]:
    modifiers = []
    for table in _tables(data, "modifier"):
        _check_keys(table, {"category", "direction", "literals", "targets", "answer"}, "modifier",
                    optional={"targets", "answer"})
        category = _string(table, "category", "modifier")
        direction = _string(table, "direction", "modifier")
        if category not in CONTEXT_CATEGORIES:
            raise ConfigurationError(f"[modifier]: category {category!r} not one of {CONTEXT_CATEGORIES}")
        if direction not in CONTEXT_DIRECTIONS:
            raise ConfigurationError(f"[modifier]: direction {direction!r} not one of {CONTEXT_DIRECTIONS}")
        targets = tuple(_strings(table, "targets", "modifier")) if "targets" in table else ()
        answer = table.get("answer", False)
        if not isinstance(answer, bool):
            raise ConfigurationError("[modifier]: answer must be true or false")
        modifiers.extend(ContextModifier(category, direction, literal, targets, answer)
                         for literal in _strings(table, "literals", "modifier"))
    return modifiers
