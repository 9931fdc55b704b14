"""Prior CAR-T placed mention by mention, on built pages: each class of packet that fooled a
keyword reading (the requested product as history, reference text, look-alike therapies,
apheresis without infusion, research codes and short names, relatives, misfiled pages)."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet

ORDER = [
    "CELLULAR THERAPY ORDER",
    "Patient: Rosa M. Delgado  DOB: 04/02/1971  Member ID: CP 123 456 789",
    "Diagnosis: B-cell precursor ALL, relapsed  ICD-10 C91.02",
    "Product: Aucatzyl (obecabtagene autoleucel)  HCPCS Q2058",
    "Planned Day 1: 10/05/2026",
]


@pytest.fixture(scope="module")
def nlp(rules_nlp):
    return rules_nlp


def prior(nlp, *note_lines: str, extra: list[str] | None = None):
    pages = [ORDER, ["Progress Note", *note_lines]] + ([extra] if extra else [])
    return extract_fields(build_packet(*pages), nlp)


def test_the_requested_product_in_plan_sentences_is_not_history(nlp):
    fields = prior(nlp, "Candidate for CAR-T with obe-cel; we will proceed with obecabtagene autoleucel.",
                   "She has not received any prior CAR-T cell therapy.")
    assert fields["prior_car_t"].value is False


def test_a_negation_wrapped_onto_the_next_line_still_negates(nlp):
    fields = prior(nlp, "Mr. Pelletier has never", "received chimeric antigen receptor T-cell therapy or a transplant.")
    assert fields["prior_car_t"].value is False


def test_products_in_an_attached_handout_are_reference_text(nlp):
    handout = ["Patient education - what to watch for",
               "After CAR T-cell therapy, for example Kymriah, Yescarta, Tecartus or Breyanzi, call us for fever."]
    fields = prior(nlp, "She is CAR-T naive.", extra=handout)
    assert fields["prior_car_t"].value is False


def test_a_list_of_products_names_no_history(nlp):
    fields = prior(nlp, "He has had no CAR-T.",
                   "Our program gives Abecma, Carvykti, Kymriah, Tecartus and Yescarta for specific diseases.")
    assert fields["prior_car_t"].value is False


def test_bispecifics_transplant_and_donor_lymphocytes_are_not_car_t(nlp):
    fields = prior(nlp, "Blinatumomab (a bispecific T-cell engager) then inotuzumab; allo-HCT from her sister,",
                   "then two donor lymphocyte infusions. No CAR-T to date.")
    assert fields["prior_car_t"].value is False


def test_apheresis_never_followed_by_infusion_is_not_prior_therapy(nlp):
    fields = prior(nlp, "In 2025 she enrolled on a CD19/CD22 CAR-T study and underwent leukapheresis on 04/08/2025.",
                   "No CAR-T cells were ever infused; she came off study for CNS relapse.")
    assert fields["prior_car_t"].value is False


@pytest.mark.parametrize("named, generic", [
    ("KTE-X19 infused 06/11/2019 on ZUMA-3", "brexucabtagene autoleucel"),
    ("s/p brexu-cel 05/2023 with CR", "brexucabtagene autoleucel"),
    ("treated with CTL019 on study in 2018", "tisagenlecleucel"),
    ("where he received axj-ce) (3rd line) in 2022", "axicabtagene ciloleucel"),
])
def test_research_codes_and_short_names_are_prior_car_t(nlp, named, generic):
    fields = prior(nlp, f"Oncologic history: {named}.")
    assert fields["prior_car_t"].value is True
    assert fields["prior_car_t_products"].value == [generic]


def test_car_t_for_another_disease_stands_against_a_negation_for_the_leukemia(nlp):
    fields = prior(nlp, "For follicular lymphoma she was treated with tisagenlecleucel (03/2022).",
                   "She has not received CAR-T therapy for her leukemia.")
    assert fields["prior_car_t"].value is True


def test_notes_beat_the_form_when_they_state_the_administration(nlp):
    form = ["Has the patient ever received CAR-T therapy? [[ ]] Yes [[x]] No"]
    pages = build_packet(ORDER + form, ["Progress Note", "Kymriah (tisagenlecleucel) was infused in 10/2019."])
    prior_car_t = extract_fields(pages, nlp)["prior_car_t"]
    assert prior_car_t.value is True
    assert "disagree" in prior_car_t.note


def test_a_relative_who_received_car_t_is_not_the_patient(nlp):
    fields = prior(nlp, "Her younger brother Walter received ciltacabtagene autoleucel for myeloma in 2024.",
                   "She has never received CAR-T.")
    assert fields["prior_car_t"].value is False


def test_a_misfiled_page_of_another_patient_is_ignored(nlp):
    other = ["Cellular Therapy Unit - Daily Progress Note", "Patient: Harriet Vogel  DOB: 02/14/1952",
             "A/P: 74F with myeloma, day +6 after ciltacabtagene autoleucel (Carvykti). CRS grade 1."]
    fields = prior(nlp, "No prior CAR-T.", extra=other)
    assert fields["prior_car_t"].value is False


def test_a_date_of_birth_misread_by_one_digit_does_not_make_a_page_foreign(nlp):
    history = ["Treatment summary", "Patient: Rosa M. Delgado  DOB: 04/03/1971",
               "2022-01-19 Yescarta (axicabtagene ciloleucel) for DLBCL - CR"]
    fields = prior(nlp, "Outside records attached.", extra=history)
    assert fields["prior_car_t"].value is True


def test_cell_therapy_of_unknown_nature_awaiting_records_is_left_to_a_reviewer(nlp):
    fields = prior(nlp, "In 2024 she had cells collected and given back in San Juan; we cannot tell whether she",
                   "received a CAR-T product. Prior CAR-T exposure is unknown until the records arrive.")
    assert fields["prior_car_t"].value is None


def test_a_form_question_about_the_request_does_not_answer_prior_car_t(nlp):
    form = ["Will Aucatzyl be administered in an outpatient setting? ((Yes)) No"]
    pages = build_packet(ORDER + form, ["Progress Note", "No prior CAR-T or other cellular therapy."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_each_placement_keeps_its_reasons(nlp):
    from extraction import fields as fields_module
    from extraction.therapy_placement import Placement, place
    text_pages = build_packet(ORDER, ["Progress Note", "Tisagenlecleucel was offered in 2022 and declined."])
    text = fields_module.PacketText.from_pages(text_pages)
    packet = fields_module._read_packet(text, nlp(text.text), fields_module._terminology(
        str(fields_module.TERMINOLOGY_DIR)))
    placed = [place(packet, m) for m in packet.mentions if m.normalized == "tisagenlecleucel"]
    assert placed and all(p.placement is not Placement.RECEIVED and p.reasons for p in placed)


@pytest.mark.parametrize("denial", [
    "Patient was never treated with a CAR-T product.",
    "She has never been treated with CAR T-cell therapy.",
    "CAR-T cell therapy: not previously received.",
    "This would be her first CAR-T therapy.",
])
def test_a_denied_or_first_administration_is_no_prior_therapy(nlp, denial):
    assert prior(nlp, denial)["prior_car_t"].value is False


@pytest.mark.parametrize("discussion", [
    "Tisagenlecleucel is approved only through age 25 and she is 31.",
    "Brexucabtagene autoleucel (Tecartus) is an alternative; we prefer obe-cel for its lower ICANS rate.",
    "Kymriah is not an option given her age.",
    "She was offered tisa-cel in 2022 and declined it.",
])
def test_a_product_discussed_beside_a_plain_no_leaves_the_no_standing(nlp, discussion):
    fields = prior(nlp, "She has not received CAR-T therapy.", discussion)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t"].note is None


def test_a_products_dated_row_with_an_outcome_is_history(nlp):
    fields = prior(nlp, "Treatment history:", "Tisagenlecleucel   03/2024   CR, relapse 09/2024")
    assert fields["prior_car_t"].value is True


def test_a_dated_row_with_its_outcome_outweighs_a_plain_no_but_says_they_disagree(nlp):
    # "03/2016 CTL019 (protocol) CR, MRD neg": a treatment table's row is an administration stated,
    # and the notes' history beats a "no" elsewhere; the disagreement is shown and costs confidence.
    alone = prior(nlp, "Treatment history:", "Kymriah 2024 - CR, relapsed 6 months later.")
    fields = prior(nlp, "No prior CAR-T.", "Treatment history:", "Kymriah 2024 - CR, relapsed 6 months later.")
    assert fields["prior_car_t"].value is True
    assert "disagree" in fields["prior_car_t"].note
    assert fields["prior_car_t"].confidence < alone["prior_car_t"].confidence


def test_an_outside_cell_infusion_of_unstated_kind_leaves_prior_car_t_unknown(nlp):
    fields = prior(nlp, "In 2025 he received two infusions of immune cells on an outside cellular therapy study.",
                   "We cannot tell whether this was a CAR T-cell product; records are pending.")
    assert fields["prior_car_t"].value is None


def test_day_zero_of_a_research_code_is_an_administration(nlp):
    fields = prior(nlp, "No prior CD19-directed CAR T.", "Outside discharge summary:",
                   "08/15/2022 Day 0: infusion of JNJ-68284528 (BCMA CAR-T) for myeloma")
    assert fields["prior_car_t"].value is True
    assert fields["prior_car_t_products"].value == ["ciltacabtagene autoleucel"]


def test_an_outcome_still_to_come_implies_nothing(nlp):
    fields = prior(nlp, "She is CAR-T naive.", "Allo-HCT to be revisited after CAR-T response.")
    assert fields["prior_car_t"].value is False


def test_a_memo_that_the_product_was_never_released_is_no_infusion(nlp):
    memo = ["CELL PROCESSING LABORATORY MEMORANDUM - Product Non-Release",
            "The apheresis product was received in good condition and processed under a phase 1 study of CD19 CAR T cells.",
            "No CAR-T product has been or will be administered to this subject from this collection."]
    fields = prior(nlp, "She has never received a CAR-T infusion.", extra=memo)
    assert fields["prior_car_t"].value is False


@pytest.mark.parametrize("question", [
    "Has the member received any prior CAR-T therapy?  [[ ]] Yes  [[x]] No",
    "Prior CAR-T therapy (any product, including clinical trial)   Yes [[ ]]   No [[x]]",
    "Has the member ever received a CAR-T product?  Yes [[ ]]   No [[x]]",
])
def test_the_forms_no_is_read_whichever_side_its_box_stands(nlp, question):
    pages = [ORDER + [question], ["Progress Note", "Relapsed B-ALL after blinatumomab."]]
    assert extract_fields(build_packet(*pages), nlp)["prior_car_t"].value is False


def test_a_yes_box_after_its_word_is_a_yes(nlp):
    pages = [ORDER + ["Prior CAR-T therapy   Yes [[x]]   No [[ ]]"], ["Progress Note", "Relapsed B-ALL."]]
    assert extract_fields(build_packet(*pages), nlp)["prior_car_t"].value is True


@pytest.mark.parametrize("line", [
    "Timing of obe-cel infusion is unclear pending bed availability.",
    "It is unclear whether she will tolerate CAR-T given her frailty.",
])
def test_not_knowing_the_future_leaves_a_plain_no_standing(nlp, line):
    assert prior(nlp, "No prior CAR-T.", line)["prior_car_t"].value is False


def test_not_knowing_a_past_cell_therapy_leaves_it_open(nlp):
    fields = prior(nlp, "He received an investigational cell therapy in Mexico; unclear whether it was CAR-T.")
    assert fields["prior_car_t"].value is None


@pytest.mark.parametrize("row", ["03/10/2026 CAR-T consult at Yale (Dr. Ames)",
                                 "03/10/2026 CAR-T teaching session with caregiver"])
def test_a_dated_consult_or_teaching_about_car_t_is_no_dose_of_it(nlp, row):
    assert prior(nlp, "She is CAR-T naive.", "Treatment history:", row)["prior_car_t"].value is False


@pytest.mark.parametrize("row", ["Prior CAR-T: N", "Previous CAR-T therapy          No", "CAR-T: never",
                                 "She is CAR-T-naive.", "Previous CAR-T: Denies"])
def test_short_answers_to_a_prior_car_t_label_say_no(nlp, row):
    assert prior(nlp, row)["prior_car_t"].value is False


def test_a_line_ending_in_no_after_a_verb_is_prose_not_an_answer(nlp):
    fields = prior(nlp, "He received tisagenlecleucel in 2023 and has had no", "complications since.")
    assert fields["prior_car_t"].value is True


def test_the_requested_product_to_be_infused_is_a_plan(nlp):
    fields = prior(nlp, "Never received CAR-T.", "Obe-cel to be infused after her 18th birthday.")
    assert fields["prior_car_t"].value is False


def test_a_handout_titled_at_the_top_of_its_page_is_reference_text(nlp):
    handout = ["Going Home After CAR T-Cell Therapy",
               "A guide for patients and caregivers",
               "Call us for a fever after CAR T-cell therapy with Kymriah, Tecartus or Aucatzyl."]
    assert prior(nlp, "She is CAR-T naive.", extra=handout)["prior_car_t"].value is False


def test_a_misfiled_page_of_another_patient_names_neither_the_patient_nor_a_prior_therapy(nlp):
    misfiled = ["Post-CAR-T follow-up visit", "Patient: FENNIMORE, Lloyd G.  DOB 02/11/1952",
                "74M with DLBCL s/p tisagenlecleucel (Kymriah) 11/18/2025, now Day +163."]
    fields = prior(nlp, "No prior CAR-T.", extra=misfiled)
    assert fields["prior_car_t"].value is False
    assert fields["patient_name"].value == "Rosa M. Delgado"
    assert fields["birth_date"].value == "1971-04-02"


def test_an_outside_cell_therapy_with_its_records_pending_stays_open(nlp):
    assert prior(nlp, "Outside cellular therapy in 2024; records pending.")["prior_car_t"].value is None


@pytest.mark.parametrize("sentence", [
    "He has never been collected for or received a CAR-T product.",
    "She has never been referred for or treated with CAR-T therapy.",
])
def test_a_negation_over_two_coordinated_verbs_negates(nlp, sentence):
    assert prior(nlp, sentence)["prior_car_t"].value is False


def test_enrolment_whose_collection_failed_in_the_next_sentences_is_no_infusion(nlp):
    fields = prior(nlp, "In January 2026 she enrolled on a study of an investigational CD19/CD22 CAR T-cell product.",
                   "Leukapheresis was performed on January 14, but the product did not reach its release",
                   "specification; she never received any infusion and came off the study.",
                   "She has not received any CAR-T product.")
    assert fields["prior_car_t"].value is False


def test_an_infusion_in_the_mentions_own_clause_outweighs_a_failed_collection_nearby(nlp):
    fields = prior(nlp, "Enrolled on a phase 2 CD19 CAR-T protocol: leukapheresis 12/2023, KTE-X19 infused 02/06/2024.",
                   "A second collection in 2025 failed manufacturing and was never infused.")
    assert fields["prior_car_t"].value is True


def test_silence_in_a_documented_treatment_history_is_no_prior_car_t_served_below_a_stated_no(nlp):
    silent = prior(nlp, "Prior therapies: hyper-CVAD; blinatumomab x2 cycles; inotuzumab.",
                   "Plan: proceed with obe-cel.")
    stated = prior(nlp, "Prior therapies: hyper-CVAD; blinatumomab x2 cycles; inotuzumab.",
                   "She has not received CAR-T.")
    assert silent["prior_car_t"].value is False
    assert "documented treatment history" in silent["prior_car_t"].note
    assert silent["prior_car_t"].confidence < stated["prior_car_t"].confidence


@pytest.mark.parametrize("open_line", [
    "4. Has the patient ever received CAR-T therapy?  [[ ]] Yes  [[ ]] No",  # asked, left blank
    "Relapsed B-ALL, post allo-HCT, post CAR-T (trial).",  # named, not placed
])
def test_silence_does_not_cover_a_blank_question_or_an_unplaced_car_t(nlp, open_line):
    fields = prior(nlp, "Prior therapies: hyper-CVAD; blinatumomab; inotuzumab.", open_line)
    assert fields["prior_car_t"].value is not False


def test_a_plan_step_after_the_requested_therapy_implies_nothing_given(nlp):
    fields = prior(nlp, "She has never had CAR-T.", "Assessment and Plan:",
                   "- Allogeneic HCT consultation after CAR-T response assessment.")
    assert fields["prior_car_t"].value is False


def test_not_knowing_leaves_a_weak_history_open(nlp):
    fields = prior(nlp, 'The outside letter says only "s/p investigational cell therapy 02/2023 with CR3".',
                   "Until we see the records we cannot say whether he has had CAR-T before.")
    assert fields["prior_car_t"].value is None


def test_a_numbered_form_item_about_any_car_t_is_a_question_not_history(nlp):
    fields = prior(nlp, "5c. Member has previously received a CAR-T product", "(commercial or investigational)  Yes  ((No))",
                   "Pt is CAR-T naive.")
    assert fields["prior_car_t"].value is False
