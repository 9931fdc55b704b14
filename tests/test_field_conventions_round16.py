"""Sixteenth round (test-15 read after its first run), each a class seen on offices' packets: a
record entry the packet withdraws (a documentation query's "entered in error", a retired problem-list
entry) wherever it stands, a therapy named in an institution's policy, an upper-case item letter
before a form question, circled choices the fax read as brackets, a "C" or a ring at the end of a
wrapped question's first line, "No caregiver confirmed", and an item numbered "(2)". Built pages; no OCR."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet, placed_mentions

_REQUEST = ["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Request date: 07/14/2026",
            "Patient: Corinne L. Aldana   DOB: 02/19/1979", "Drug: Aucatzyl (obecabtagene autoleucel)",
            "Treatment history: hyper-CVAD 2024, allo-HCT 2025, blinatumomab 2026."]
_FORM = ["CELLULAR THERAPY REQUEST", "Request date: 03/02/2026", "Patient: Rosa M. Lindqvist   DOB: 04/11/1961",
         "Drug: Aucatzyl (obecabtagene autoleucel)   Site of care: outpatient"]


def test_a_history_line_withdrawn_as_entered_in_error_is_no_administration_anywhere(nlp):
    from extraction.therapy_placement import Placement
    note = ["ONCOLOGIC HISTORY", "04/2024 Pro-B ALL, hyper-CVAD, MRD-negative CR1.", "02/2025 MUD allo-HCT.",
            "06/2025 CAR-T (axi-cel) - CR", "12/2025 relapse; DLI x2; blinatumomab."]
    correction = ["Correction, in response to CDI query: the line \"06/2025 CAR-T (axi-cel) - CR\"",
                  "in the oncologic history above was entered in error. It was copied from another",
                  "patient's note. She has never received axi-cel or any other CAR-T product."]
    placed = placed_mentions(nlp, _REQUEST, note + correction)
    history_row = [p for p in placed if p.mention.start < placed[-1].mention.start and "withdraws" in " ".join(p.reasons)]
    assert len(history_row) >= 2  # the row itself as well as its quotation
    assert not any(p.placement is Placement.RECEIVED for p in placed)
    prior = extract_fields(build_packet(_REQUEST + note + correction), nlp)["prior_car_t"]
    assert prior.value is False


def test_an_entry_revised_by_the_attending_is_withdrawn_but_its_revision_stands(nlp):
    from extraction.record_corrections import withdrawn_spans
    text = ('Problem list entry "CAR-T 10/2025" revised by the attending to "Leukapheresis 10/14/2025 - '
            'CAR-T product not released, never infused." Problem list: CAR-T 10/2025.')
    withdrawn = [text[s:e] for s, e in withdrawn_spans(text)]
    assert withdrawn == ["CAR-T 10/2025", "CAR-T 10/2025"]


def test_a_short_undated_quotation_is_not_withdrawn_everywhere(nlp):
    from extraction.record_corrections import withdrawn_spans
    # "T-cell therapy" recurs in sentences it never was ("CAR T-cell therapy"): too short to look for.
    text = ("The term \"T-cell therapy\" in the 09/15 note was wrong; it was blinatumomab. "
            "Obe-cel will be his first CAR T-cell therapy.")
    assert withdrawn_spans(text) == []


def test_a_therapy_named_in_an_institutions_policy_is_no_prior_therapy(nlp):
    from extraction.therapy_placement import Placement
    placed = placed_mentions(nlp, _REQUEST, ["Prior therapies reviewed. Supportive orders:",
                                             "[[x]] Levetiracetam prophylaxis per institutional CAR-T. policy"])
    assert placed and all(p.placement is not Placement.RECEIVED for p in placed)


def test_an_upper_case_item_letter_opens_a_form_question(nlp):
    from extraction.therapy_placement import Placement
    placed = placed_mentions(nlp, _REQUEST, ["PRESCRIBER STATEMENTS (circle Y or N, initial each)",
                                             "C. Patient has previously received a CAR-T product. : Y/CN Py"])
    assert placed and all(p.placement is Placement.QUESTION for p in placed)


def test_a_misread_option_after_inpatient_leaves_inpatient_an_option(nlp):
    setting = extract_fields(build_packet(_FORM[:3] + [
        "Drug: Aucatzyl (obecabtagene autoleucel)",
        "Site of care: Hospital inpatient / Flospital outpatient> / Other",
        "Plan: outpatient infusion at the cellular therapy clinic; mother will stay as caregiver."]), nlp)["setting"]
    assert setting.value == "outpatient"


def test_a_ring_pair_ending_a_wrapped_questions_first_line_answers_it(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "7. Has the provider assessed the member and determined that \u00a9) N",
        "outpatient administration is clinically appropriate?",
        "8. Does the member meet and understand the post-infusion safety Y (\u00a9)",
        "and monitoring requirements (caregiver, proximity, follow-up)?"]), nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is False


def test_circled_letters_read_with_their_circle_as_brackets_or_a_c(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "d. Prescriber has assessed pt and outpatient administration is clinically appropriate? CY) iN",
        "Expedited review? Y \u2018CN If Y, reason:"]), nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["expedited"].value is False


def test_no_caregiver_confirmed_is_no_safety_attestation(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "CHR home visit 09/30: Mother works nights and is not sure she can get four weeks off.",
        "No caregiver confirmed as of today."]), nlp)
    assert fields["safety_monitoring_attested"].value is None


def test_an_item_numbered_in_brackets_is_not_answered_by_the_box_above_it(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "Provider response:",
        "[[x]] Cannot be determined until immunophenotype results are available",
        "(2) Item 7 of the draft form (post-infusion safety and monitoring requirements) is unanswered."]),
        nlp)
    assert fields["safety_monitoring_attested"].value is not True


def test_icd10_codes_after_a_blank_s_underscore_or_with_a_space_for_the_period():
    from extraction.codes import icd10_codes
    for line in ("ICD-10 code(s): _C91.02", "leukemia, in relapse (ICD-10-CM C91 02)"):
        assert [code for code, _, _ in icd10_codes(line, lambda offset: False)] == ["C91.02"]
    # Without a label a space-separated pair of numbers is no code.
    assert list(icd10_codes("Room C91 02 east wing", lambda offset: False)) == []


@pytest.mark.parametrize("line, expected", [
    ("Name: OSTROWSKI, JAYLEN.M   MRN: FM-00884213", "Jaylen M. Ostrowski"),
    ("PATIENT: WARSAME, KHADIJA A. MR: 00-5187602 DOB: 09/04/1979", "Khadija A. Warsame"),
])
def test_names_with_a_glued_initial_or_a_cut_record_label(nlp, line, expected):
    assert extract_fields(build_packet(_FORM[:2] + [line]), nlp)["patient_name"].value == expected


def test_a_clinicians_name_with_a_degree_is_not_the_patients(nlp):
    name = extract_fields(build_packet(["CELLULAR THERAPY REQUEST", "Request date: 03/02/2026",
                                        "Name (last, first, MI): MANALO,, LOURDES P.",
                                        "Prescriber: Name: Okafor, MD  NPI: 1942077310"]), nlp)["patient_name"]
    assert name.value == "Lourdes P. Manalo"


@pytest.mark.parametrize("lines, expected", [
    (["and she has no active CNS disease (CSF negative May 26, 2026). Her infusion is i tentatively",
      "scheduled for June 30, 2026, with apheresis on June 9, 2026."], "2026-06-30"),
    (["We plan a split-dose infusion of or \u00a2 about May 18, 2026, with the second dose on Day 10."], "2026-05-18"),
    (["He will receive the first split dose on or about March 30, 2026, staying inpatient."], "2026-03-30"),
])
def test_treatment_dates_past_specks_and_wrapped_lines(nlp, lines, expected):
    assert extract_fields(build_packet(_FORM[:3] + lines), nlp)["treatment_date"].value == expected


def test_a_cell_therapy_of_unstated_kind_beside_two_plain_denials_is_no_car_t(nlp):
    prior = extract_fields(build_packet(_REQUEST + [
        "Progress note 09/15/2026, Assessment: Relapsed B-ALL, s/p T-cell therapy c/b CRS 2025.",
        "Mr. Brandvold has not been treated with a chimeric antigen receptor T-cell product at any time.",
        "Provider response: The CRS was from blinatumomab. He has never received CAR-T."]), nlp)["prior_car_t"]
    assert prior.value is False


def test_a_cell_therapy_of_unstated_kind_beside_one_denial_stays_open(nlp):
    prior = extract_fields(build_packet(_REQUEST + [
        "She received an investigational cell therapy abroad in 2024; records are pending.",
        "She has never received CAR-T."]), nlp)["prior_car_t"]
    assert prior.value is None


def test_a_page_labelled_with_another_members_id_is_another_patients(nlp):
    from extraction.fields import extract_packet_fields
    request = ["CELLULAR THERAPY REQUEST", "Request date: 03/02/2026", "Patient: Rosa M. Lindqvist",
               "DOB: 04/11/1961   Member ID: CP123456789", "Drug: Aucatzyl (obecabtagene autoleucel)"]
    note = ["PROGRESS NOTE 02/20/2026   Member ID: CP123456789", "Relapsed B-ALL; plan obe-cel."]
    misfiled = ["LAB REPORT   Member ID: CP987001122", "Marrow 02/11/2026: 40% blasts."]
    misread = ["INFUSION CENTER NOTE   Member ID: CP123456780", "Teaching done."]  # one digit misread
    found = extract_packet_fields(build_packet(request, note, misfiled, misread), nlp)
    assert found.other_patient_pages == frozenset({3})


@pytest.mark.parametrize("line", ["Expedited review. requested? Y/N) If Y, reason:",
                                  "Part 8 - Expedited review",
                                  "Won-urgent. Thank you."])
def test_no_expedited_request_from_a_circled_n_a_section_heading_or_a_misread_non_urgent(nlp, line):
    assert extract_fields(build_packet(_FORM + [line]), nlp)["expedited"].value is False


def test_yes_no_heads_opening_a_section_title_line_head_the_rows_below(nlp):
    fields = extract_fields(build_packet(_FORM[:3] + [
        "Yes No  PART 3 - SITE OF CARE",
        "Site: [[x]] Hospital outpatient   [[ ]] Inpatient",
        "[[ ]] [[x]] 3a. I have assessed the member and outpatient administration is clinically",
        "appropriate."]), nlp)
    assert fields["outpatient_appropriate_attested"].value is False  # the mark under "No"


def test_one_empty_cell_of_a_yes_no_row_whose_other_cell_the_fax_lost_says_nothing(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "Yes No  PART 3 - ATTESTATIONS",
        "      [[ ]] 3b. The member meets and understands the post-infusion safety and monitoring",
        "requirements (caregiver 24/7, lodging within 2 hours of the center)."]), nlp)
    assert fields["safety_monitoring_attested"].value is None


def test_one_empty_cell_under_the_yes_head_is_no_attestation(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "Yes No  PART 3 - ATTESTATIONS",
        "[[ ]] 3b. The member meets and understands the post-infusion safety and monitoring",
        "requirements (caregiver 24/7, lodging within 2 hours of the center)."]), nlp)
    assert fields["safety_monitoring_attested"].value is False


def test_a_safety_statement_followed_by_an_open_clinic_is_still_made(nlp):
    fields = extract_fields(build_packet(_FORM + [
        "She and her husband understand the post-infusion monitoring requirements; our infusion center is",
        "open 24/7 and they live 20 minutes away."]), nlp)
    assert fields["safety_monitoring_attested"].value is True
