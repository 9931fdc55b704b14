"""Prior CAR-T therapy: the packet's answer from its placed mentions and its form's answers.

Each mention is placed on its own (`therapy_placement`); the answer weighs them: a stated
administration beats a form's "No" (notes beat the form), but a disagreement resting only on weak
evidence is left to the reviewer rather than flipping the answer.
"""
from __future__ import annotations

from extraction import form_answers
from extraction.fields_support import Packet, absent, combine, field_from, reliability
from extraction.models import FieldValue
from extraction.statements import words_pattern
from extraction.therapy_placement import (KIND_UNSTATED, STRONG, UNPLACED_CONFIDENCE, PlacedMention, Placement,
                                          coordinated_negation, place, unnamed_labels)

UNPLACED_DOUBT = 0.6  # a "no" that a product named without context leaves open
UNKNOWN_CONFIDENCE = 0.6
SILENT_HISTORY_CONFIDENCE = 0.75  # no CAR-T in a documented treatment history, nothing said outright
DISAGREEMENT = 0.85  # an answer the notes decide against the form's


def prior_car_t_fields(packet: Packet) -> list[FieldValue]:
    placed = coordinated_negation(packet, [place(packet, m) for m in packet.mentions if m.label == "CAR_T_PRODUCT"])
    text = packet.text
    unnamed = unnamed_labels(packet)

    def weight(p: PlacedMention) -> float:
        return reliability(text, p.mention.start, p.mention.end, p.strength)

    received = [p for p in placed if p.placement is Placement.RECEIVED]
    # A named product stated as given stands against any "no"; an unnamed "CAR-T" only against silence.
    strong = [p for p in received if p.strength >= STRONG and p.mention.normalized not in unnamed]
    negated = [p for p in placed if p.placement is Placement.NEGATED]
    unknown = [p for p in placed if p.placement is Placement.UNKNOWN]
    if unknown and all(KIND_UNSTATED in p.reasons for p in unknown) and sum(
            p.placement is Placement.NEGATED and p.strength >= STRONG for p in placed) >= 2:
        # "s/p T-cell therapy c/b CRS 2025" beside "He has never received CAR-T" and "has not been
        # treated with a CAR T-cell product at any time": the packet says twice what it was not.
        unknown = []
    unplaced = [p for p in placed if p.placement is Placement.UNPLACED and p.mention.normalized
                not in unnamed | packet.requested_products]
    form = _form_answers(packet, [p for p in placed if p.placement is Placement.QUESTION])
    form_yes = [a for a in form if a.value is True and not (a.uncertain and (negated or unknown))]
    uncertain_yes = [a for a in form if a.value is True and a not in form_yes]
    form_no = [a for a in form if a.value is False]
    # Notes beat the form both ways: a form's "Yes" against notes that plainly say no CAR-T was
    # given (twice, or once outright) and name no administration is the form's error.
    denial = len(negated) >= 2 or any(p.strength >= STRONG for p in negated)
    overruled_yes = form_yes if denial and not received else []
    form_yes = [a for a in form_yes if a not in overruled_yes]

    products = sorted({p.mention.normalized for p in received if p.mention.normalized not in unnamed})
    product_spans = [(p.mention.start, p.mention.end, weight(p)) for p in received]
    products_field = (field_from("prior_car_t_products", products, product_spans, text)
                      if received else absent("prior_car_t_products", []))

    def spans(items: list[PlacedMention]) -> list[tuple[int, int, float]]:
        return [(p.mention.start, p.mention.end, weight(p)) for p in items]

    def answer_spans(answers) -> list[tuple[int, int, float]]:
        return [(a.start, a.end, a.confidence) for a in answers]

    if strong or (received and not (negated or form_no or unknown)) or form_yes:
        # Notes beat the form: a stated administration stands against a form's "No".
        yes = spans(received) + answer_spans(form_yes)
        confidence = combine([c for _, _, c in yes])
        note = None
        if negated or form_no:
            confidence *= DISAGREEMENT
            note = "sources disagree: the packet also says no prior CAR-T; the documented administration decides"
        field = field_from("prior_car_t", True, yes + spans(negated) + answer_spans(form_no), text, confidence)
        field.note = note
        return [field, products_field]
    if received or unknown or uncertain_yes:
        # Only weak or unknown evidence against a "no": a reviewer must read it.
        why = spans(received + unknown) + answer_spans(uncertain_yes) + spans(negated) + answer_spans(form_no)
        field = field_from("prior_car_t", None, why, text, UNKNOWN_CONFIDENCE)
        named = sorted({p.mention.normalized for p in received if p.mention.normalized not in unnamed})
        field.note = ("the packet does not establish whether the patient received CAR-T" if unknown else
                      "the form's Yes is one uncertain reading (a bare 'Y', a mark placed by position) that the notes contradict" if not received else
                      f"a past CAR-T{' (' + ', '.join(named) + ')' if named else ''} is implied but not stated "
                      "outright, against a stated 'no'")
        return [field, products_field]
    if overruled_yes:
        no = spans(negated) + answer_spans(form_no)
        field = field_from("prior_car_t", False, no + answer_spans(overruled_yes), text,
                           combine([c for _, _, c in no]) * DISAGREEMENT)
        field.note = "sources disagree: the form answers yes, the notes say no CAR-T was given; the notes decide"
        return [field, products_field]
    if negated or form_no:
        no = spans(negated) + answer_spans(form_no)
        if unplaced and negated:
            # The notes say no; a product named without context does not overturn that, but the
            # answer is served below the review threshold so a reviewer reads the mention.
            field = field_from("prior_car_t", False, no + spans(unplaced[:3]), text,
                               combine([c for _, _, c in no]) * UNPLACED_DOUBT)
            field.note = ("the notes say no prior CAR-T but also name " + ", ".join(
                sorted({p.mention.normalized for p in unplaced})) + " without saying what it was")
            return [field, products_field]
        if unplaced:
            field = field_from("prior_car_t", None, no + spans(unplaced[:3]), text, UNPLACED_CONFIDENCE)
            field.note = ("the notes name " + ", ".join(sorted({p.mention.normalized for p in unplaced}))
                          + " without saying whether the patient received it")
            return [field, products_field]
        field = field_from("prior_car_t", False, no, text)
        products_field.confidence = max(products_field.confidence, field.confidence)
        return [field, products_field]
    if unplaced:
        field = field_from("prior_car_t", None, spans(unplaced[:3]), text, UNPLACED_CONFIDENCE)
        field.note = "a CAR-T product is named without saying whether the patient received it"
        return [field, products_field]
    if any(p.placement is Placement.QUESTION for p in placed) or any(
            p.placement is Placement.UNPLACED and p.mention.normalized != packet.terminology.unspecified_cell_therapy.label
            and "department" not in " ".join(p.reasons) for p in placed):
        # The form asks and nothing answers, or a CAR-T is named that nothing places: not silence.
        return [absent("prior_car_t", None), products_field]
    history = _documented_history(packet)
    if history:
        # Silence about CAR-T where the packet lays out what the patient was treated with: CAR-T
        # named only as the request, a plan, someone else's or reference text. Served below a
        # stated "no" so that a reviewer's look is cheap to ask for.
        field = field_from("prior_car_t", False, history, text, SILENT_HISTORY_CONFIDENCE)
        field.note = "no CAR-T in the documented treatment history; nothing states it either way"
        return [field, products_field]
    return [absent("prior_car_t", None), products_field]


def _documented_history(packet: Packet) -> list[tuple[int, int, float]]:
    """Where the packet documents the patient's past treatment (a treatment-history heading, or
    regimens named outside reference text): evidence that a CAR-T would have been written there."""
    text = packet.text.text
    cues = packet.terminology.therapy_cues
    labels = [m for m in words_pattern(cues.history_labels).finditer(text) if not packet.is_reference(m.start())
              and packet.text.page_at(m.start()) not in packet.foreign_pages]
    regimens = [m for m in words_pattern(cues.regimens).finditer(text) if not packet.is_reference(m.start())
                and packet.text.page_at(m.start()) not in packet.foreign_pages]
    if not labels and len({m.group(0).lower() for m in regimens}) < 2:
        return []
    return [(m.start(), m.end(), SILENT_HISTORY_CONFIDENCE) for m in (labels + regimens)[:3]]


def _form_answers(packet: Packet, questions: list[PlacedMention]) -> list[form_answers.Answer]:
    """The answer given to each prior-CAR-T question (one per question unit)."""
    answers, seen = [], set()
    for question in questions:
        start, end = packet.unit_around(question.mention.start)
        if (start, end) in seen:
            continue
        seen.add((start, end))
        mark = packet.text.text.find("?", question.mention.end, max(end, question.mention.end + 1))
        after = mark if mark >= 0 else question.mention.end
        # The question's own line first, then its whole unit, then the line under it.
        answer = (form_answers.yes_no_answer(packet.text, question.mention.end, next_line=False)
                  or form_answers.printed_choices(packet.text, start, end)
                  or form_answers.trailing_mark(packet.text, start, end)
                  or form_answers.leading_columns(packet.text, question.mention.start, question.mention.end)
                  or form_answers.yes_no_answer(packet.text, after))
        if answer is not None and answer.value is not None:
            answers.append(answer)
    return answers
