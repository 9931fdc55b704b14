"""Seventh round of blind-authored layouts and phrasings, each a class seen on an office's packets:
typed marks under "Y  N  U" column heads (with a source column after them), a form's "Yes" that the
notes plainly contradict, a circled letter the fax read as a ring inside the question's unit, a box
whose left side was lost ("x]"), boxes printed after their words for the setting, a statement that
ends in ":" with its answer unread, a first-person judgement in the conditional, a condition on the
approval itself, counterfactual and intended CAR-T, "CAR-T naive" beside a donor, a negation split by
OCR ("nev er"), expedited review declined in words or its box said to be empty, a bare "Name (last,
first MI):" label, a prescriber's "Name:" and a misfiled page's patient named on one page only.
Built pages; no OCR needed."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet

_HISTORY = ["Treatment history: hyper-CVAD 2024, blinatumomab 2025."]


def _grid(prior_column: int, source: bool = False) -> list[str]:
    tail = "   SOURCE" if source else ""
    cells = ["    " if i != prior_column else " X  " for i in range(3)]
    return ["INTAKE ABSTRACT (re-keyed from the provider's submission)",
            f"ITEM                                    Y   N   U {tail}",
            f"B-ALL confirmed on flow                 X            {'flow p3' if source else ''}",
            f"Prior CAR-T documented in notes        {''.join(cells)}  {'EHR p2' if source else ''}",
            f"OP appropriateness attested            X            {'order p4' if source else ''}"]


@pytest.mark.parametrize("column, prior", [(0, True), (1, False), (2, None)])
@pytest.mark.parametrize("source", [False, True])
def test_a_typed_mark_answers_by_the_column_it_stands_under(nlp, column, prior, source):
    fields = extract_fields(build_packet(_grid(column, source), _HISTORY), nlp)
    assert fields["prior_car_t"].value is prior


def test_a_form_yes_gives_way_to_notes_that_plainly_say_no(nlp):
    pages = build_packet(["PRIOR AUTHORIZATION REQUEST",
                          "Prior CAR-T therapy?  [[x]] Yes  [[ ]] No   blinatumomab 2025"],
                         ["CONSULTATION", "She has never received a CAR-T product. We request obe-cel.",
                          "No prior CAR-T cell therapy of any kind.", *_HISTORY])
    field = extract_fields(pages, nlp)["prior_car_t"]
    assert field.value is False
    assert "sources disagree" in field.note


def test_a_stated_administration_still_beats_a_form_no(nlp):
    pages = build_packet(["PRIOR AUTHORIZATION REQUEST", "Prior CAR-T therapy?  [[ ]] Yes  [[x]] No"],
                         ["TRANSFER NOTE", "She received tisagenlecleucel (Kymriah) on 03/14/2023 on trial."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is True


@pytest.mark.parametrize("answer, value", [("©) IN", True), ("©) 7N", True), ("Y ©", False)])
def test_a_circled_letter_read_as_a_ring_answers_inside_the_question(nlp, answer, value):
    pages = build_packet(["ORDER SHEET", "Outpatient only - has the prescriber assessed the patient and determined",
                          f"that outpatient administration is clinically appropriate? {answer}"])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is value


def test_a_box_whose_left_side_was_lost_is_still_a_mark(nlp):
    pages = build_packet(["H. Outpatient attestations (provider-administered, outpatient only)",
                          "x] Prescriber has evaluated the patient and outpatient administration is clinically",
                          ": appropriate. :"])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is True


@pytest.mark.parametrize("line, setting", [
    ("Setting:   Inpatient  [[ ]]      Outpatient  [[x]]", "outpatient"),
    ("Setting:   Inpatient  [[x]]      Outpatient  [[ ]]", "inpatient"),
])
def test_boxes_printed_after_their_words_choose_the_setting(nlp, line, setting):
    pages = build_packet(["CELLULAR THERAPY REQUEST", line])
    assert extract_fields(pages, nlp)["setting"].value == setting


def test_a_statement_ending_in_a_colon_with_its_answer_unread_attests_nothing(nlp):
    pages = build_packet(["Prescriber attestations (outpatient only)",
                          "Patient and caregiver meet and understand post-infusion safety and monitoring requirements",
                          "(24-hour caregiver, stay within 1 hour of center for 4 weeks):",
                          "Yo/ ON ;"])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is None


@pytest.mark.parametrize("sentence", [
    "I have assessed her and outpatient administration would be clinically appropriate.",
    "If therapy proceeds, I have assessed him myself and I believe administration in the hospital "
    "outpatient cellular therapy unit would be clinically appropriate for him.",
])
def test_a_first_person_judgement_in_the_conditional_is_made(nlp, sentence):
    pages = build_packet(["LETTER OF MEDICAL NECESSITY", sentence])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is True


def test_a_conditional_without_a_judge_still_defers(nlp):
    pages = build_packet(["LETTER", "Outpatient administration would be clinically appropriate once a caregiver "
                                    "is found."])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is None


@pytest.mark.parametrize("sentence", [
    "Had he already received a CAR-T product, I would have been reluctant to recommend another.",
    "He has not undergone transplant; we intend transplant consolidation after CAR-T if he achieves remission.",
])
def test_counterfactual_or_intended_car_t_is_no_history(nlp, sentence):
    pages = build_packet(["CONSULT NOTE", sentence, "He has never received any CAR-T cell therapy.", *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_car_t_naive_is_the_patients_even_beside_a_donor(nlp):
    pages = build_packet(["CONSULT NOTE", "He relapsed after an allogeneic transplant from his sister. He is CAR-T "
                                          "naive: there has been no leukapheresis and no donor lymphocyte infusion.",
                          *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_negation_split_by_ocr_still_denies(nlp):
    pages = build_packet(["LETTER", "To be explicit: Ms. Brankovic has nev er received a CAR-T infusion.", *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


@pytest.mark.parametrize("line", [
    "Routine review - we are not asking for expedited handling.",
    "Urgent: form hdr box empty",
])
def test_expedited_review_declined_is_not_requested(nlp, line):
    pages = build_packet(["SBAR SUMMARY", line])
    assert extract_fields(pages, nlp)["expedited"].value is False


def test_a_name_label_with_its_order_in_brackets_and_a_prescribers_name(nlp):
    pages = build_packet(["MEDICATION PRIOR AUTHORIZATION REQUEST", "1. Member information",
                          "Name (last, first MI): Quennell, Beatriz E.", "Subscriber ID: CP623081947",
                          "2. Prescriber information", "Name: A. M. Korrigan, MD NPI: 1548820093"])
    field = extract_fields(pages, nlp)["patient_name"]
    assert field.value == "Beatriz E. Quennell"
    assert field.note is None


def test_the_patient_named_page_after_page_wins_over_a_misfiled_page(nlp):
    own = ["Member: Ferreira-Lund, Nico", "Ferreira-Lund, Nico - continued"]
    pages = build_packet(["FAX COVER", "Re: Ferreira-Lund prior authorization"],
                         ["REQUEST FORM", own[0], "DOB: 03/19/2008"],
                         ["DISCHARGE SUMMARY", "Patient: » Ferreira-Lund, Nico A", "DOB: 03/19/2008"],
                         ["PROGRESS NOTE", "Patient: PETTIBONE, Harlan D", "History: tisagenlecleucel (Kymriah) "
                                                                            "infused 06/2025."])
    fields = extract_fields(pages, nlp)
    assert "Ferreira-Lund" in fields["patient_name"].value
    assert fields["prior_car_t"].value is not True
