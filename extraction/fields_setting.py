"""The care setting (inpatient / outpatient) and the two outpatient attestations.

A form says the setting with a ticked box, a typed radio mark ("(o) Outpatient") or a circled
word; a letter says it in a sentence. Options a form only offers (an empty box, "(circle one):
Outpatient  Inpatient" whose circle OCR lost, "complete only if outpatient") say nothing. Without
any setting stated, a provider's attestation that outpatient administration is appropriate is a
request for it.
"""
from __future__ import annotations

import re

from extraction import form_answers
from extraction.fields_support import Packet, absent, combine, disagreement, field_from, reliability
from extraction.models import FieldValue
from extraction.statements import StatementVote, statement_vote, statement_votes

# A setting word near one of these is a condition ("complete only if outpatient"), not the request.
_CONDITIONAL_SETTING = re.compile(r"\b(if|when|only|required|applicable|whether|unless)\b", re.IGNORECASE)
_CONDITION_WORDS_BEFORE, _CONDITION_WORDS_AFTER = 6, 3
# Admission is the usual contingency ("our inpatient unit is on the same campus if admission becomes
# necessary"): a condition anywhere later in its clause makes an inpatient mention one.
_CONTINGENCY_WORDS_AFTER = 12
# "(circle one)", "check one:", "Setting (circle):": the line offers options.
_CHOICE_PROMPT = re.compile(r"\b(circle|check|tick|select|mark|choose)(\s+(one|all|the)\b|\s*\)|\s*:)",
                            re.IGNORECASE)
# "Hospital inpatient / Flospital outpatient> / Other": the next option's first word may be misread
# (a circle drawn round it adds strokes), so any one word may stand before its setting word.
_OPTION_AFTER = re.compile(r"\W{0,3}([^\s/|]{1,12}\s+)?(other|inpatient|outpatient)\b", re.IGNORECASE)
_OPTION_BEFORE = re.compile(r"\b(other|inpatient|outpatient)\W{0,3}$", re.IGNORECASE)
_SETTING_LABEL = re.compile(r"(setting|site\s+of\s+(care|service)|place\s+of\s+service)[\W_]*$", re.IGNORECASE)
# An outpatient attestation stands for the setting only below anything that names it.
ATTESTED_SETTING_SHARE = 0.8


def setting_and_attestations(packet: Packet) -> list[FieldValue]:
    votes = statement_votes(packet.text, packet.terminology.statement_concepts, packet.is_reference, packet.units)
    votes += _phrase_votes(packet, votes)
    setting = _setting_field(packet, votes)
    attestations = [_attestation_field("outpatient_appropriate_attested", "outpatient_appropriate", votes, packet),
                    _attestation_field("safety_monitoring_attested", "safety_monitoring", votes, packet)]
    if setting.value == "inpatient":
        # Outpatient attestations mean nothing for an inpatient request, whatever the boxes show.
        attestations = [FieldValue(a.name, None, setting.confidence, a.evidence,
                                   "inpatient request: outpatient attestations do not apply")
                        for a in attestations]
    return [setting, *attestations]


def _setting_field(packet: Packet, attestations: list[StatementVote]) -> FieldValue:
    labels = {s.label for s in packet.terminology.settings}
    text = packet.text.text
    # An attestation's own words ("attests that outpatient administration is appropriate") say the
    # setting only when it is attested; asked and left open, or denied, they say nothing.
    unattested = [(v.start, v.end) for v in attestations if v.value is not True]
    for box in form_answers.checked_labels(packet.text):
        value = setting_word(box.label, labels)
        if value and not packet.is_reference(box.start):
            confidence = form_answers.CHECKBOX_RELIABILITY * (0.5 + 0.5 * box.checkbox.confidence)
            return field_from("setting", value, [(box.start, box.end, confidence)], packet.text, confidence)
    votes: dict[str, list[tuple[int, int, float]]] = {}
    for m in packet.about_patient("SETTING"):
        # (Planning cues - "plan", "requested" - do not make a setting hypothetical: context.toml.)
        if m.negated or m.hypothetical or packet.text.checkbox_for(m.start, m.end) is not None:
            continue
        mark = form_answers.typed_choice_before(packet.text, m.start)
        if mark is True:
            # "( ) Inpatient hospital  (o) Outpatient hospital": the portal's chosen radio button.
            confidence = reliability(packet.text, m.start, m.end, form_answers.TYPED_MARK_RELIABILITY)
            return field_from("setting", m.normalized, [(m.start, m.end, confidence)], packet.text, confidence)
        if mark is False:
            continue  # an option offered with its empty radio button
        unit_start, unit_end = packet.unit_around(m.start)
        after_words = _CONTINGENCY_WORDS_AFTER if m.normalized == "inpatient" else _CONDITION_WORDS_AFTER
        if _CONDITIONAL_SETTING.search(_nearby(text, m.start, m.end, unit_start, unit_end, after_words)):
            continue  # "Outpatient attestation (outpatient orders only)", "if outpatient: ...": no setting said
        line_start, line_end = packet.text.line_bounds(m.start)
        if (_CHOICE_PROMPT.search(text[line_start:line_end])
                or _OPTION_AFTER.match(text, m.end, line_end)
                or _OPTION_BEFORE.search(text, line_start, m.start)):
            continue  # "SETTING (circle one): Outpatient  Inpatient  Other": an offered option, its mark unread
        if any(start <= m.start < end for start, end in unattested):
            continue
        labelled = bool(_SETTING_LABEL.search(text[line_start:m.start]))
        base = 0.9 if labelled else 0.7
        votes.setdefault(m.normalized, []).append((m.start, m.end, reliability(packet.text, m.start, m.end, base)))
    if not votes:
        return _attested_outpatient(packet, attestations)
    best = max(votes, key=lambda k: combine([c for _, _, c in votes[k]]))
    confidence = combine([c for _, _, c in votes[best]])
    note = None
    if len(votes) > 1:
        confidence = disagreement(confidence, max(combine([c for _, _, c in v]) for k, v in votes.items()
                                                  if k != best))
        note = "both inpatient and outpatient are mentioned"
    field = field_from("setting", best, votes[best], packet.text, confidence)
    field.note = note
    return field


def _nearby(text: str, start: int, end: int, unit_start: int, unit_end: int, after_words: int) -> str:
    """A few words either side of a mention, inside its statement unit."""
    before = text[unit_start:start].split()[-_CONDITION_WORDS_BEFORE:]
    after = text[end:unit_end].split()[:after_words]
    return " ".join(before + [text[start:end]] + after)


def _attested_outpatient(packet: Packet, attestations: list[StatementVote]) -> FieldValue:
    """No setting named: an attestation that outpatient administration is appropriate asks for it."""
    attested = [v for v in attestations if v.label == "outpatient_appropriate" and v.value is True
                and not packet.is_reference(v.start)]
    if not attested:
        return absent("setting", None)
    confidence = combine([v.confidence for v in attested]) * ATTESTED_SETTING_SHARE
    field = field_from("setting", "outpatient", [(v.start, v.end, confidence) for v in attested], packet.text,
                       confidence)
    field.note = "no setting named; the provider attests that outpatient administration is appropriate"
    return field


def _phrase_votes(packet: Packet, found: list[StatementVote]) -> list[StatementVote]:
    """Attestation sentences of the terminology that no statement unit already covered."""
    votes = []
    for m in packet.about_patient("ATTESTATION"):
        if m.negated or any(v.label == m.normalized and v.start <= m.start < v.end for v in found + votes):
            continue
        # A phrase the model stretched over a line break belongs to the unit it ends in, not to the
        # box of the statement above it.
        start, end = packet.unit_around(m.end - 1)
        vote = statement_vote(packet.text, m.normalized, max(start, m.start) if m.start < start else start,
                              max(end, m.end), m.end)
        if vote is not None:
            votes.append(vote)
    return votes


def _attestation_field(name: str, label: str, votes: list[StatementVote], packet: Packet) -> FieldValue:
    """The form's answer is the attestation when the packet has one (an unticked box is a
    statement not attested, an unmarked Yes/No an open question); prose counts without a form."""
    mine = [v for v in votes if v.label == label]
    form = [v for v in mine if v.how == "form"]
    chosen = form or mine
    if not chosen:
        return absent(name, None)
    marked = [v for v in chosen if v.value is not None]
    if not marked:
        unmarked = chosen[0]
        field = field_from(name, None, [(unmarked.start, unmarked.end, unmarked.confidence)], packet.text,
                           unmarked.confidence)
        field.note = "the form asks for this attestation but neither answer is marked"
        return field
    value, confidence, note = _decide([(v.value, v.start, v.end, v.confidence) for v in marked])
    field = field_from(name, value, [(v.start, v.end, v.confidence) for v in marked], packet.text, confidence)
    field.note = note
    return field


def _decide(votes: list[tuple[bool, int, int, float]]) -> tuple[bool, float, str | None]:
    yes = [c for v, _, _, c in votes if v]
    no = [c for v, _, _, c in votes if not v]
    if yes and no:
        disagreement_confidence = disagreement(combine(yes), combine(no))
        value = combine(yes) >= combine(no)
        return value, disagreement_confidence, "sources disagree"
    return bool(yes), combine(yes or no), None


def setting_word(label: str, settings: set[str]) -> str | None:
    patient = _ocr_tolerant("patient")
    found = [s for s in settings
             if re.search(rf"\b{_ocr_tolerant(s).replace(patient, '-?' + patient)}\b", label, re.IGNORECASE)]
    return found[0] if len(found) == 1 else None


def _ocr_tolerant(word: str) -> str:
    """A pattern for a printed word as faxes read it: i and l are often read as each other or 1."""
    return "".join("[il1|]" if char in "il" else re.escape(char) for char in word)
