"""Eighth round (test-8, read after its first run), each a class seen on an office's packets: a
CAR-T named as the subject of a plan ("here to finalize cellular therapy plan"), "Y / N" read as
"YIN", a line ending in its answer choices ending its question, "never actually received", "not"
read as "noi", a denial about the patient followed by a relative's history in the same sentence, a
denial inside a condition, "cannot state whether", the answer column left of a question, a form's
answer anywhere beating a bare "expedited", "hon-urgent", and a page label whose colon the fax
turned into a quote mark. Built pages; no OCR needed."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet

_HISTORY = ["Treatment history: hyper-CVAD 2024, blinatumomab 2025."]
_FORM_NO = ["PRIOR AUTHORIZATION REQUEST", "2. Prior CAR-T cell therapy?  [[ ]] Yes  [[x]] No"]


def test_a_therapy_named_as_the_subject_of_a_plan_is_no_history(nlp):
    pages = build_packet(_FORM_NO, ["PROGRESS NOTE", "Now refractory to both blinatumomab and inotuzumab, here to "
                                                     "finalize cellular therapy plan.", *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_y_n_read_as_yin_is_an_open_answer(nlp):
    pages = build_packet(["STATE UNIFORM PA FORM", "h) Member meets and understands the post-infusion safety YIN",
                          "and monitoring requirements."])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is None


def test_a_line_ending_in_its_choices_ends_its_question(nlp):
    pages = build_packet(["5. Outpatient administration planned?  ((Yes))  No",
                          "If yes - prescriber attests that he/she has assessed the patient and",
                          "outpatient administration is clinically appropriate:  ((Yes))  No",
                          "If yes - prescriber attests patient meets and understands post-infusion",
                          "safety and monitoring requirements:  Yes  ((No))"])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is False


@pytest.mark.parametrize("sentence", [
    "Cells were collected in 2025 but she has never actually received a CAR-T infusion.",
    "She has noi been treated with any CAR T-cell product, family history is notable: her brother received "
    "axicabtagene ciloleucel in 2024.",
])
def test_a_denial_about_the_patient_stands(nlp, sentence):
    pages = build_packet(["CONSULT NOTE", sentence, *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_denial_inside_a_condition_decides_nothing(nlp):
    pages = build_packet(["CONSULT NOTE", "He received an outside immune cell infusion in 2024. Until we have the "
                                          "records, I cannot state whether the 2024 product was a CAR-T product. If it "
                                          "was donor lymphocytes, he has never received CAR-T.", *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is None


@pytest.mark.parametrize("answer, expedited", [("Y  (©)", False), ("(©)  N", True)])
def test_the_answer_column_left_of_a_question(nlp, answer, expedited):
    pages = build_packet(["STATE PA FORM", f"{answer}   h. Is expedited review requested? (Prescriber must certify.)",
                          "9. Expedited review certification: I certify that the standard time frame could harm."])
    assert extract_fields(pages, nlp)["expedited"].value is expedited


def test_a_misread_non_urgent_is_no_request(nlp):
    pages = build_packet(["FORM", "Payer must respond within 72 hours for hon-Urgent requests received complete."])
    assert extract_fields(pages, nlp)["expedited"].value is False


def test_a_page_label_whose_colon_became_a_quote_still_names_another_patient(nlp):
    pages = build_packet(["REQUEST", "Patient: Anton V. Lisowski   DOB: 10/19/1990", "Diagnosis: B-ALL"],
                         ["NOTE", "Patient: LISOWSKI, ANTON V", "He has never received a CAR-T product.", *_HISTORY],
                         ["FOLLOW-UP NOTE", "Patient” Harold P. Vinter", "Mr. Vinter is seen at Day +90 after "
                                                                        "axicabtagene ciloleucel (Yescarta), infused "
                                                                        "05/30/2026."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False
