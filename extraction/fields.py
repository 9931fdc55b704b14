"""extract_fields(pages, nlp): the packet's fields with value, confidence and evidence.

The only place spaCy spans are read: each entity becomes a `Mention` (plain data) at once,
and everything after works on Mentions, PacketText offsets and our models.
Text inside attached reference material (drug label, payer policy) is never about the patient.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from extraction import form_answers
from extraction.codes import hcpcs_codes, icd10_codes
from extraction.dates import find_dates
from extraction.fields_dates import GAP, LABEL_REACH, request_date, treatment_date
from extraction.fields_disease import disease_status_field
from extraction.fields_people import foreign_pages, member_id_field, patient_name_field, request_patient_birth
from extraction.fields_support import (Mention, Packet, Region, absent, combine, date_field,
                                       field_from, reliability)
from extraction.models import FieldValue, Page
from extraction.nlp import TERMINOLOGY_META_KEY
from extraction.spelling import edit_distance
from extraction.statements import concept_keyword, statement_units
from extraction.fields_setting import setting_and_attestations
from extraction.therapy_history import prior_car_t_fields
from extraction.terminology import TERMINOLOGY_DIR, load_terminology
from extraction.text import PacketText, cue_text

FIELD_NAMES = (
    "patient_name", "member_id", "birth_date", "treatment_date", "request_date", "diagnosis",
    "diagnosis_icd10", "prior_car_t", "prior_car_t_products", "setting", "outpatient_appropriate_attested",
    "safety_monitoring_attested", "hcpcs_codes", "expedited", "disease_status",
)

# Words of a label may be split by fax specks as well as spaces ("Planned Infusion. Date:").
# Fax OCR reads "DOB" as "DGB", "D0B", "BOB": a capitals label one letter off, right before a date.
_BIRTH_LABEL = re.compile(rf"(\bD\.?\s?O\.?\s?B\b|(?-i:\b(D[0GQCU]|[BO0][O0])[B8]\b)|date{GAP}of{GAP}birth|birth\s?date|\bborn({GAP}on)?)[\W_]*$"
                          # "Patient / DOB   ZHAO, WEN-LI 10/17/1983": one label for two values, the name first
                          r"|\b(patient|member|name|pt)\s*/\s*(DOB|date\s+of\s+birth)\b[A-Za-z ,.'\-]{0,40}$", re.IGNORECASE)
_OTHER_PERSON = re.compile(r"\b(donor|brother|sister|sibling|mother|father|spouse|wife|husband|son|daughter"
                           r"|physician|provider|prescriber|doctor|dr\.?|md|npi|signature|signed|parent|guardian)\b",
                           re.IGNORECASE)
_EXPEDITED = re.compile(r"\b(expedited|urgent|stat|rush)\b", re.IGNORECASE)
# "Routine review - we are not asking for expedited handling": a denial in the same clause.
# "Urgent: form hdr box empty": the box said to be left blank. ("Won-urgent": the N misread.)
_NOT_EXPEDITED = re.compile(r"\b([nhNHW]on[-\s]?urgent|(not|no|never|without)\b[^.;:\n]{0,30}\b(expedited|urgent)"
                            r"|(standard|routine)\s+review|(expedited|urgent)\b[^.;\n]{0,25}\b(empty|blank|unchecked"
                            r"|unticked|unmarked|not\s+(checked|ticked|marked)))\b", re.IGNORECASE)
# After "expedited": a question mark or a choice offered ("? [ ]", "(check if ...)", "Y / N").
_OFFERED_CHOICE = re.compile(r"^[^.]{0,40}(\?|\(check|\bif\b|\bY\s*/\s*N\b)", re.IGNORECASE)
_SECTION_HEADING = re.compile(r"\W*(part|section)\s+\w{1,3}\s*[-:.]", re.IGNORECASE)
_STANDARD = re.compile(r"^\s*(standard|routine|non[-\s]?urgent)\b", re.IGNORECASE)

NOT_EXPEDITED_CONFIDENCE = 0.9  # forms put an expedited request up front; silence means standard
UNSPECIFIED_LINEAGE = "ALL, lineage unspecified"
ALL_LINEAGES = {"B-cell precursor ALL", "T-cell ALL", UNSPECIFIED_LINEAGE}
_LINEAGE_WORD = re.compile(r"(\b[BT]\b|\b[BT]-|\bpre|\bpro|precursor|lineage)", re.IGNORECASE)
_SUPPOSED = re.compile(r"\b(if|whether|unless|should (it|this) (be|prove))\b", re.IGNORECASE)
_CAR_SPELLING = re.compile(r"[CG]\W?A\W?R|cel\b", re.IGNORECASE)  # "CAR", OCR's "GAR", an INN's "-cel"
_HEMATOLOGIC_MALIGNANCY = re.compile(r"C(8[1-9]|9[0-6])\.")
_REQUIREMENT_BEFORE = re.compile(r"\b(requir(es|ed|ing)|must have|restricted to|limited to)\s+(an?\s+|the\s+)?"
                                 r"((confirmed|documented|established)\s+)?(diagnosis\s+of\s+)?$", re.IGNORECASE)
_CONSEQUENT = re.compile(r"\bwould\b[^.;:]{0,30}$", re.IGNORECASE)
_INDICATION = re.compile(r"\b(label(ed|led)?|indicat(ed|ion|ions)|approved|FDA|designed for|studied in)\b", re.IGNORECASE)


@dataclass(frozen=True)
class PacketFields:
    fields: dict[str, FieldValue]
    other_patient_pages: frozenset[int]  # misfiled pages about another patient, left out of the fields


def extract_fields(pages: list[Page], nlp: Language,
                   requested_products: frozenset[str] | None = None) -> dict[str, FieldValue]:
    """Every field of the packet. `requested_products` (generic names) are what the packet asks
    for; unset, the terminology's default request (car_t_products.toml `requested_product`)."""
    return extract_packet_fields(pages, nlp, requested_products).fields


def extract_packet_fields(pages: list[Page], nlp: Language,
                          requested_products: frozenset[str] | None = None) -> PacketFields:
    """`extract_fields`, and which pages it found to be about another patient."""
    text = PacketText.from_pages(pages)
    terminology_dir = nlp.meta.get(TERMINOLOGY_META_KEY, str(TERMINOLOGY_DIR))
    terminology = _terminology(terminology_dir)
    # Cue words are matched without the accents fax OCR sprinkles on them; names keep theirs.
    packet = _read_packet(text, nlp(cue_text(text.text)), terminology)
    packet.requested_products = (frozenset(p.lower() for p in requested_products) if requested_products
                                 else frozenset({terminology.requested_product}))
    dates = find_dates(text.text)
    request = request_date(packet, dates)
    name = patient_name_field(packet)
    page_births = {page: date_field("birth_date", packet, [d for d in dates if text.page_at(d.start) == page],
                                    _BIRTH_LABEL, LABEL_REACH, exclude=_OTHER_PERSON).value
                   for page in {text.page_at(d.start) for d in dates}}
    first_birth = request_patient_birth(page_births)
    packet.foreign_pages = foreign_pages(packet, name.value, first_birth, page_births, request.value)
    own_dates = [d for d in dates if text.page_at(d.start) not in packet.foreign_pages]
    birth = date_field("birth_date", packet, own_dates, _BIRTH_LABEL, LABEL_REACH, exclude=_OTHER_PERSON)
    if packet.foreign_pages:
        name = patient_name_field(packet)  # read again without the other patient's pages
    fields = [
        name,
        member_id_field(packet),
        birth,
        treatment_date(packet, dates, request.value),
        request,
        *_diagnosis_fields(packet),
        *prior_car_t_fields(packet),
        *setting_and_attestations(packet),
        _hcpcs_field(packet),
        _expedited_field(packet),
        disease_status_field(packet),
    ]
    return PacketFields({f.name: f for f in fields}, frozenset(packet.foreign_pages))


def _read_packet(text: PacketText, doc: Doc, terminology) -> Packet:
    """Converts the spaCy Doc into plain Mentions and section Regions, once."""
    mentions = []
    for ent in doc.ents:
        categories = {modifier.category for modifier in ent._.modifiers}
        normalized = ent._.normalized
        if normalized is None and ent.label_ in ("CAR_T_PRODUCT", "DIAGNOSIS"):
            normalized = _closest_term(ent.text, ent.label_, terminology)
            if normalized is None:
                continue
            if normalized == terminology.generic_car_t.label and not _CAR_SPELLING.search(ent.text):
                # "has already failed a CD19-directed bispecific antibody": a target without "CAR"
                # names no CAR-T, however near "CD19-directed CAR" it reads.
                continue
            if normalized in ALL_LINEAGES and not _LINEAGE_WORD.search(ent.text):
                # A near spelling ("lymphoblastic leukemia") names no lineage, whatever it is closest to.
                normalized = UNSPECIFIED_LINEAGE
        mentions.append(Mention(
            start=ent.start_char, end=ent.end_char, label=ent.label_, normalized=normalized,
            source=ent._.source, negated="NEGATED_EXISTENCE" in categories,
            historical="HISTORICAL" in categories, hypothetical="HYPOTHETICAL" in categories,
            family="FAMILY" in categories, section=ent._.section_category,
        ))
    regions = []
    for section in doc._.sections:
        start = doc[section.title_start].idx if section.title_start < len(doc) else len(doc.text)
        end = doc[section.body_end - 1].idx + len(doc[section.body_end - 1]) if section.body_end else len(doc.text)
        regions.append(Region(start, end, section.category, text.page_at(start)))
    return Packet(text, mentions, regions, terminology, statement_units(text))


def _closest_term(text: str, label: str, terminology) -> str | None:
    """Normalizes a model-found spelling the rules missed ("tisagenleceucel") to its closest term."""
    sets = (terminology.products + (terminology.generic_car_t, terminology.unspecified_cell_therapy)) if label == "CAR_T_PRODUCT" else terminology.diagnoses
    by_term = {term.lower(): s.label for s in sets for term in s.terms}
    close = difflib.get_close_matches(text.lower(), list(by_term), n=3, cutoff=0.8)
    # Similar-looking names ("abecabtagene": obe- or axi-?) go to the fewest edits, not the best ratio.
    return by_term[min(close, key=lambda term: edit_distance(text.lower(), term, 6))] if close else None


@lru_cache(maxsize=4)
def _terminology(directory: str):
    return load_terminology(directory)


def _diagnosis_fields(packet: Packet) -> list[FieldValue]:
    mentions = [m for m in packet.about_patient("DIAGNOSIS")
                if not (m.negated or m.hypothetical or _conditional(packet, m))
                and not _indication_or_question(packet, m)]
    codes = list(icd10_codes(packet.text.text, packet.is_reference))
    malignant = [c for c in codes if _HEMATOLOGIC_MALIGNANCY.match(c[0])]
    codes = malignant or codes  # the request's diagnosis, not the problem list's comorbidities
    code_values = sorted({c for c, _, _ in codes})
    if any(c.startswith("C91.0") for c in code_values) and any(m.normalized in ALL_LINEAGES for m in mentions):
        # Coded as ALL: a lymphoma or myeloma named outside the diagnosis and pathology sections is
        # history or a product's other indication.
        mentions = [m for m in mentions if m.normalized in ALL_LINEAGES or m.section == "diagnosis"]
    code_field = field_from("diagnosis_icd10", code_values,
                            [(s, e, reliability(packet.text, s, e, 0.95)) for _, s, e in codes],
                            packet.text) if codes else absent("diagnosis_icd10", [])
    if not mentions:
        if any(c.startswith("C91.0") for c in code_values):
            # The code covers every ALL lineage: it says ALL, never which one.
            return [field_from("diagnosis", UNSPECIFIED_LINEAGE,
                               [(s, e, 0.5) for _, s, e in codes], packet.text), code_field]
        return [absent("diagnosis", None), code_field]
    unsettled = _lineage_unsettled(packet)
    stated = [m for m in mentions if m.normalized in ALL_LINEAGES and m.normalized != UNSPECIFIED_LINEAGE
              and m.section != "request_form" and not packet.text.checkboxes_on_line(m.start)]
    if unsettled is not None and not stated:
        # "lineage to be confirmed" in the notes outweighs a form's tick for B-ALL (notes beat the form).
        field = field_from("diagnosis", UNSPECIFIED_LINEAGE, [(unsettled[0], unsettled[1], 0.7)], packet.text)
        field.note = "a note says the leukemia's lineage is not yet established"
        return [field, code_field]
    specific = [m for m in mentions if m.normalized != UNSPECIFIED_LINEAGE] or mentions
    revised = [m for m in specific if _REVISED.search(packet.text.text, packet.text.line_bounds(m.start)[0], m.start)]
    if revised:
        # "ADDENDUM - REVISED DIAGNOSIS: T-lymphoblastic leukemia": the pathologist's revision
        # supersedes the diagnosis the earlier pages carry.
        best = revised[-1].normalized
        chosen = [m for m in revised if m.normalized == best]
        confidence = combine([reliability(packet.text, m.start, m.end, 0.8) for m in chosen]) * REVISION_SHARE
        field = field_from("diagnosis", best, [(m.start, m.end, confidence) for m in chosen[:3]], packet.text)
        field.confidence = round(confidence, 4)
        field.note = "a revised diagnosis supersedes what earlier pages say"
        return [field, code_field]
    weights: dict[str, float] = {}
    for m in specific:
        weights[m.normalized] = weights.get(m.normalized, 0.0) + (2.0 if m.section == "diagnosis" else 1.0)
    best = max(weights, key=weights.get)
    chosen = [m for m in specific if m.normalized == best]
    confidence = combine([reliability(packet.text, m.start, m.end, 0.8) for m in chosen])
    share = weights[best] / sum(weights.values())
    note = None
    if share < 1.0:
        confidence *= share
        note = "packet names more than one diagnosis: " + ", ".join(sorted(weights))
    field = field_from("diagnosis", best, [(m.start, m.end, confidence) for m in chosen[:3]], packet.text)
    field.confidence, field.note = round(confidence, 4), note
    return [field, code_field]


# "REVISED DIAGNOSIS:", "Amended dx -", "reclassified as" (OCR: "DIAGNosIg") before the diagnosis on its line.
_REVISED = re.compile(r"\b(revised|amended|corrected|updated)\s+(diagnos\w*|dx)\b|\breclassified\s+as\b", re.IGNORECASE)
REVISION_SHARE = 0.9  # an earlier diagnosis still stands on other pages: a little doubt remains


def _conditional(packet: Packet, mention) -> bool:
    """"If this is CD19-positive B-cell ALL, ...": a diagnosis supposed, not stated, or what one
    would lead to."""
    start, _ = packet.unit_around(mention.start)
    before = packet.text.text[start:mention.start]
    # "... we would pivot to a T-ALL salvage strategy": what a supposition would lead to.
    return bool(_SUPPOSED.search(before[-60:]) or _CONSEQUENT.search(before))


def _lineage_unsettled(packet: Packet) -> tuple[int, int] | None:
    """The first statement unit about this patient that says the lineage is still open."""
    for start, end in packet.units:
        if (not packet.is_reference(start) and packet.text.page_at(start) not in packet.foreign_pages
                and concept_keyword(packet.text.text[start:end],
                                                              packet.terminology.lineage_unsettled) is not None):
            return start, end
    return None


def _indication_or_question(packet: Packet, mention) -> bool:
    """A diagnosis named in a product's indication ("the adult R/R B-ALL label") or in a form
    question ("Diagnosis of B-cell precursor ALL?") says nothing yet about this patient."""
    start, end = packet.unit_around(mention.start)
    unit = packet.text.text[start:end]
    # "- Tecartus (brexucabtagene autoleucel) - mantle cell lymphoma; adults with B-cell ALL": a product list.
    listed = any(m.label == "CAR_T_PRODUCT" and start <= m.start <= start + 4 for m in packet.mentions)
    # "Candidacy for obe-cel requires a B-cell precursor ALL with CD19 expression": a requirement.
    required = _REQUIREMENT_BEFORE.search(packet.text.text, max(start, mention.start - 40), mention.start)
    return bool(_INDICATION.search(unit)) or "?" in unit[mention.end - start:] or listed or required is not None


def _hcpcs_field(packet: Packet) -> FieldValue:
    found: dict[str, list[tuple[int, int, float]]] = {}
    occurrences = list(hcpcs_codes(packet.text.text, packet.terminology.hcpcs))
    per_line: dict[int, set[str]] = {}
    for code, start, _ in occurrences:
        if code.startswith("Q20"):  # CAR-T product codes; "Q2058, J9999" is one product and a catch-all
            per_line.setdefault(packet.text.line_bounds(start)[0], set()).add(code)
    for code, start, end in occurrences:
        if packet.is_reference(start) or (code not in packet.terminology.hcpcs and not code.startswith("Q20")):
            continue
        # A form's product menu offers codes; only the ticked one is requested. A menu whose boxes
        # OCR lost (two product codes on a line, no box) requests none of them.
        box = packet.text.checkbox_for(start, end)
        if (box is not None and not box.checkbox.checked) or (
                box is None and len(per_line.get(packet.text.line_bounds(start)[0], ())) >= 2):
            continue
        base = 0.95 if code in packet.terminology.hcpcs else 0.8
        found.setdefault(code, []).append((start, end, reliability(packet.text, start, end, base)))
    for code in [c for c in found if c not in packet.terminology.hcpcs]:
        # An unknown Q20xx one digit away from a known code read in the same packet is that code misread.
        if any(edit_distance(code, known, 1) <= 1 for known in found if known in packet.terminology.hcpcs):
            del found[code]
    if not found:
        return absent("hcpcs_codes", [])
    evidence = [e for spans in found.values() for e in spans]
    confidence = min(combine([c for _, _, c in spans]) for spans in found.values())
    return field_from("hcpcs_codes", sorted(found), evidence, packet.text, confidence)


def _expedited_field(packet: Packet) -> FieldValue:
    for box in packet.text.checkbox_labels:
        if packet.is_reference(box.start):
            continue
        confidence = form_answers.CHECKBOX_RELIABILITY * (0.5 + 0.5 * box.checkbox.confidence)
        if _EXPEDITED.search(box.label) and not _NOT_EXPEDITED.search(box.label) and box.checkbox.checked:
            return field_from("expedited", True, [(box.start, box.end, confidence)], packet.text, confidence)
        if _STANDARD.match(box.label) and box.checkbox.checked:
            return field_from("expedited", False, [(box.start, box.end, confidence)], packet.text, confidence)
    text = packet.text.text
    bare = None  # the first "expedited" said without a choice around it; a form's answer anywhere beats it
    for match in _EXPEDITED.finditer(text):
        if packet.is_reference(match.start()) or packet.text.checkbox_for(match.start(), match.end()):
            continue
        line_start, line_end = packet.text.line_bounds(match.start())
        if _NOT_EXPEDITED.search(text[line_start:line_end]):
            continue
        if _SECTION_HEADING.match(text, line_start):
            continue  # "Part 8 - Expedited review": the form's section, asked or answered below it
        line = text[line_start:line_end]
        leading = form_answers.leading_choice(packet.text, line_start, match.start())
        if leading is not None:
            return field_from("expedited", leading.value, [(leading.start, match.end(), leading.confidence)],
                              packet.text, leading.confidence)
        circled = [w for w in packet.text.words_in(line_start, line_end) if w.word.circled]
        if circled and (_STANDARD.search(line) or len(circled) == 1):
            # "Request type (circle): Standard  Expedited": the circled word is the answer.
            chosen = any(_EXPEDITED.search(w.word.text) for w in circled)
            confidence = form_answers.CIRCLED_RELIABILITY
            return field_from("expedited", chosen, [(circled[0].start, circled[0].end, confidence)], packet.text,
                              confidence)
        answer = (form_answers.yes_no_answer(packet.text, match.end())
                  or form_answers.typed_column_mark(packet.text, line_start, line_end))
        if answer is not None and answer.value is not None:
            return field_from("expedited", answer.value, [(match.start(), answer.end, answer.confidence)],
                              packet.text, answer.confidence)
        if answer is not None or _OFFERED_CHOICE.search(line[match.end() - line_start:]) or re.search(
                r"\b(standard|circle|check one|select one)\b", line, re.IGNORECASE) or any(
                c.start >= match.start() - 1 for c in packet.text.checkboxes_on_line(match.start())):
            continue  # the form offers expedited review (a choice, a question, an empty box): not chosen
        if bare is None:
            confidence = reliability(packet.text, match.start(), match.end(), 0.85)
            bare = field_from("expedited", True, [(match.start(), match.end(), confidence)], packet.text, confidence)
    # No request for expedited review anywhere: a standard request.
    return bare or FieldValue("expedited", False, NOT_EXPEDITED_CONFIDENCE)
