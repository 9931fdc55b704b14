"""Fourteenth round (test-13 read after its first run), each a class seen on offices' packets: a
relative's CAR-T whose appositive comma the fax read as a semicolon ("her older brother; Anders,
was treated with ..."), someone the writer met ("a woman in our support group who had Tecartus"),
a denial verb misread ("has riever received", "never teceivéd"), "No prior CAR-T" whose "prior"
was taken for an administration cue, a product talked about in a bracketed sentence after a
denial, a structured field answered after dot leaders ("CAR-T infused ....... NO"), "Asked about
prior CAR-T", a statement answered on the line
under it ("Yes / No: Yes"), an unticked choice's label not wrapped onto the next field's line, and
specks between a date's label and its value. Built pages; no OCR."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet, placed_mentions

_REQUEST = ["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Request date: 03/02/2026",
            "Patient: Rosa M. Lindqvist   DOB: 04/11/1961", "Drug: Aucatzyl (obecabtagene autoleucel)",
            "Treatment history: hyper-CVAD 2024, blinatumomab 2025, inotuzumab 2026."]


def _prior(nlp, lines: list[str]):
    return extract_fields(build_packet(_REQUEST + lines), nlp)["prior_car_t"]


def test_a_relative_named_before_a_semicolon_read_comma_is_not_the_patient(nlp):
    prior = _prior(nlp, ["Keziah has never had apheresis or cell collection. Her chart holds a family",
                         "history that can be misread: her older brother; Anders, was treated with",
                         "tisagenlecleucel (Kymriah) in 2021 for his own B-ALL."])
    assert prior.value is not True


def test_someone_the_writer_met_is_not_the_patient(nlp):
    prior = _prior(nlp, ["I have never had any CAR-T before. I met a woman in our support group who had",
                         "Tecartus at another hospital last year and she is doing well."])
    assert prior.value is False and prior.confidence >= 0.8  # nothing about the patient left open


@pytest.mark.parametrize("verb", ["has riever received", "has never teceiv\u00e9d"])
def test_a_misread_denial_verb_still_denies(nlp, verb):
    prior = _prior(nlp, [f"To be explicit: Ms. Halloran {verb} a CAR-T cell product of any kind,",
                         "commercial or investigational."])
    assert prior.value is False


def test_no_prior_car_t_after_a_dash_is_a_denial(nlp):
    prior = _prior(nlp, ["Hx reviewed with pt today.", "--No prior CAR-T of any kind."])
    assert prior.value is False


def test_a_product_talked_about_in_a_bracketed_sentence_is_no_history(nlp):
    prior = _prior(nlp, ["Coordinator confirms NO prior CAR-T. (Peds had talked about Kymriah back in",
                         "2024 - never done.)"])
    assert prior.value is False


def test_a_structured_field_answered_no_after_dot_leaders(nlp):
    prior = _prior(nlp, ["CELLULAR THERAPY HISTORY (structured field)", "CAR-T infused ............ NO"])
    assert prior.value is False


def test_a_question_asked_about_prior_car_t_is_not_an_administration(nlp):
    prior = _prior(nlp, ["Patient himself - chemo only, no transplant, no CAR-T.",
                         "- Asked about prior CAR-T because the family hx section mentions CAR-T: that",
                         "was the patient's uncle (lymphoma)."])
    assert prior.value is False


def test_a_statement_answered_on_the_line_under_it(nlp):
    pages = build_packet(_REQUEST + [
        "Setting: outpatient", "Outpatient attestations (ordering physician)",
        "1. I assessed the patient and outpatient administration is clinically appropriate:",
        "Yes / No: Yes",
        "2. Patient meets and understands post-infusion safety and monitoring requirements",
        "(caregiver 24/7, within 2 h of the center x 4 wks, no driving 8 wks):",
        "Yes / No: Yes - wife and son trained 8/10"])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is True


def test_an_unticked_choices_label_does_not_run_onto_the_next_field(nlp):
    # The unticked "Inpatient" box answers for its own choice, not for the monitoring line under it.
    pages = build_packet(_REQUEST + [
        "Location: [x] Outpatient Cellular Therapy Unit   [ ] Inpatient 6 West (CTU)",
        "Post-infusion monitoring: home nursing visits Day 1 - Day 28; on-call MD 24/7"])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is not False


def test_specks_between_a_dates_label_and_its_value(nlp):
    pages = build_packet(["MEMO - CASE MANAGEMENT", "Date:., os March 24, 2026",
                          "Patient: Rosa M. Lindqvist   DOB: 04/11/1961",
                          "Drug: Aucatzyl (obecabtagene autoleucel)", "Start date: TBD"])
    assert extract_fields(pages, nlp)["request_date"].value == "2026-03-24"


def test_a_portal_question_is_answered_by_the_selection_under_it_not_by_the_next_rows_choices(nlp):
    pages = build_packet(_REQUEST + [
        "Setting: outpatient",
        "Q9. Outpatient administration: Does the prescriber attest that he/she has assessed the member and",
        "determined that administration in the outpatient setting is clinically appropriate?",
        "Selected: Yes",
        "Q10. Is the infusing site enrolled to administer this CAR-T product?", "Selected: Yes",
        "The prescriber has assessed the patient and the outpatient setting is clinically appropriate:",
        "[ ] Yes  [ ] No   The patient meets and understands the safety and post-infusion monitoring",
        "requirements (caregiver, proximity to treatment center, monitoring visits)."])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is None  # its own Yes / No left blank


def test_an_item_offering_y_n_with_an_unreadable_answer_asserts_nothing(nlp):
    pages = build_packet(_REQUEST + [
        "Setting: outpatient",
        "12. (Outpatient only) Patient meets and understands the post-infusion safety and monitoring",
        "requirements; Y/N. pending - see letter p.4"])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is None


def test_a_letters_date_line_with_specks_around_it_is_the_request_date(nlp):
    pages = build_packet(["WESTVIEW UNIVERSITY HOSPITAL - CELLULAR THERAPY PHARMACY", "~ October 14,2026 \u00a9",
                          "CarePartners Utilization Management",
                          "Re: Rosa M. Lindqvist, DOB 04/11/1961, request for Aucatzyl (obecabtagene autoleucel)",
                          "The infusion date will be set when the product is released."])
    assert extract_fields(pages, nlp)["request_date"].value == "2026-10-14"


def _placements(nlp, lines: list[str]) -> list:
    return placed_mentions(nlp, _REQUEST, lines)


def test_the_policys_criterion_quoted_in_an_appeal_says_nothing_of_the_patient(nlp):
    from extraction.therapy_placement import Placement
    placed = _placements(nlp, ["The guideline requires that 'the Member has not received prior treatment with a",
                               "CAR-T therapy' and excludes any form of CAR-T cell therapy."])
    assert placed and all(p.placement is Placement.REFERENCE for p in placed)


def test_a_denial_scoped_to_one_country_is_no_denial(nlp):
    from extraction.therapy_placement import Placement
    placed = _placements(nlp, ["She has never received CAR-T cells in the United States."])
    assert [p.placement for p in placed] == [Placement.SCOPED_NEGATION]


def test_a_record_that_does_not_say_what_the_cells_were_leaves_it_open(nlp):
    prior = _prior(nlp, ["In 09/2025 she received autologous T cells at a clinic abroad. The discharge note does",
                         "not say whether they were genetically modified or carried a chimeric antigen receptor."])
    assert prior.value is None


def test_a_circled_letter_read_as_a_ring_after_specks_still_answers(nlp):
    # "((Y)) N" faxed: the circled Y read as "(©)", with specks read as letters before it.
    pages = build_packet(_REQUEST + ["Setting: outpatient",
                                     "5. Outpatient: provider assessed member, outpatient use appropriate? . mo mo (\u00a9) N"])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is True


@pytest.mark.parametrize("line", ["Member name: Rosa M. Lindqvist   Date of birth: 11-Peb-1961",
                                  "Pt: LINDQVIST, ROSA M   DOB 11-Feb:1961 (65 y)",
                                  "Patient: LINDQVIST, ROSA   008: 02/11/1961"])
def test_a_birth_date_faxed_with_its_month_or_label_misread(nlp, line):
    pages = build_packet(["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Request date: 03/02/2026", line,
                          "Drug: Aucatzyl (obecabtagene autoleucel)"])
    assert extract_fields(pages, nlp)["birth_date"].value == "1961-02-11"


def test_one_label_for_the_name_and_the_birth_date(nlp):
    pages = build_packet(["CAR-T THERAPY ORDER / AUTHORIZATION SHEET", "Patient / DOB    ZHAO, WEN-LI   10/17/1983",
                          "Member #   CP549023167", "Product   AUCATZYL (obecabtagene autoleucel)",
                          "Planned Infusion   11/16/2026"])
    assert extract_fields(pages, nlp)["birth_date"].value == "1983-10-17"


@pytest.mark.parametrize("line, name", [("Patient: Keziah M, Lindqvist   DOB: 03/14/1988", "Keziah M. Lindqvist"),
                                        ("Member: PETTIBONE, HAROLD W. JR.   DOB: 02/11/1961", "Harold W. Pettibone Jr.")])
def test_a_middle_initials_period_read_as_a_comma_and_a_suffix_after_the_given_names(nlp, line, name):
    pages = build_packet(["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Request date: 03/02/2026", line,
                          "Drug: Aucatzyl (obecabtagene autoleucel)"])
    assert extract_fields(pages, nlp)["patient_name"].value == name


def test_a_caregiver_committed_for_24_hours_a_day_with_specks_for_spaces(nlp):
    pages = build_packet(_REQUEST + ["Setting: outpatient",
                                     "I have assessed her and outpatient administration is clinically appropriate.",
                                     "Her sister, Roisin Delahunt, will be her caregiver 24 hours.a.day for",
                                     "at least four weeks; they will stay at the St. Brendan lodge 10 minutes away."])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is True


def test_a_caregiver_named_but_the_safety_class_still_to_come_attests_nothing(nlp):
    pages = build_packet(_REQUEST + ["Setting: outpatient",
                                     "I have assessed him and outpatient administration is clinically appropriate.",
                                     "Mr. Pruitt and his daughter, who will be his caregiver, are",
                                     "scheduled for our cellular therapy safety and monitoring class on March 20, 2026."])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is None
