"""Eleventh round (test-11, read after its first run), each a class seen on an office's packets: an
attached policy excerpt whose title runs long or reads "reference copy - not patient specific"
(its product codes are no request, so the packet's policy is still chosen), a family-history row
wrapping onto the product's line, a checklist row's label ("PRIOR CAR-T OR OTHER IMMUNE EFFECTOR
CELL TX") whose circled answer the fax lost, a step
planned after CAR-T on a condition, a circled "No" read as "--CNo)", an education sheet titled
"Going home after CAR-T cell therapy", and the safety requirements "reviewed and accepted" in a
letter. Built pages; no OCR."""
from __future__ import annotations

from extraction.fields import extract_fields
from page_builders import build_packet

_HISTORY = "Treatment history: hyper-CVAD 2024, blinatumomab 2025, inotuzumab 2026."


def test_codes_in_an_attached_policy_excerpt_with_a_long_title_are_no_request(nlp):
    pages = build_packet(["PRIOR AUTHORIZATION REQUEST", "Drug: Aucatzyl (obecabtagene autoleucel)  HCPCS: Q2058"],
                         ["Northwind Shore Health Plan - - Medical Policy MP- RX. 118 (excerpt, attached by provider "
                          "for reference)", "Products covered by this policy",
                          "Kymriah tisagenlecleucel Q2042", "Tecartus brexucabtagene autoleucel Q2053"],
                         ["CD19-directed CAR T-cell products for adult B-ALL (reference copy - not patient specific)",
                          "Yescarta axicabtagene ciloleucel Q2041"])
    assert extract_fields(pages, nlp)["hcpcs_codes"].value == ["Q2058"]


def test_a_family_history_row_wrapping_onto_the_products_line(nlp):
    pages = build_packet(["SOCIAL / FAMILY", _HISTORY, "No CAR-T or other cell therapy to date.",
                          'Maternal uncle (Gerald Pask) - diffuse large B-cell lymphoma 2021; "got the CAR-T at Boston,',
                          'Yescarta" in 2023 - alive and working per mother.'])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_a_checklist_rows_label_is_a_question_not_a_stated_administration(nlp):
    pages = build_packet(["PLAN CAR-T FORM", "CIRCLE ONE FOR EACH", "RELAPSED / REFRACTORY",
                          "PRIOR CAR-T OR OTHER IMMUNE EFFECTOR CELL TX", "PRIOR ALLOGENEIC TRANSPLANT"],
                         ["CLINIC NOTE", "HPI: 17 YO F, B-ALL DX AGE 14. " + _HISTORY.upper(),
                          "NEVER HAD CAR-T, NO CELL TX, NO TRANSPLANT YET."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_step_planned_after_car_t_on_a_condition_is_no_history(nlp):
    pages = build_packet(["PLAN", _HISTORY, "1. Proceed with obecabtagene autoleucel, planned Day 1 03/16/2026.",
                          "4: Continue MUD search; allo-HCT after CAR-T if MRD-negative CR."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is not True


def test_a_circled_no_read_with_specks_answers_the_question(nlp):
    pages = build_packet(["PRE-SERVICE REQUEST", _HISTORY,
                          "Has the member received any prior CAR-T therapy (incl. trials)? Yes --CNo) Unk"])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_an_education_sheet_titled_going_home_after_car_t_is_reference(nlp):
    pages = build_packet(["PROGRESS NOTE", _HISTORY, "He has never received CAR-T cells."],
                         ["Going home after CAR-T cell therapy", "Patient and caregiver guide",
                          "This guide is for anyone treated with a CAR-T cell product at our center."])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t"].note is None


def test_safety_requirements_reviewed_and_accepted_in_a_letter(nlp):
    pages = build_packet(["Dear Reviewer,", "I recommend obecabtagene autoleucel in our outpatient cellular therapy "
                          "unit.", "He is fit for outpatient administration, and he and his parents have reviewed "
                          "and accepted the", "4-week caregiver, proximity and no-driving requirements."])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is True
