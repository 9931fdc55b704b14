"""extract_fields on pages built from words: roles of dates, prior CAR-T, attestations, diagnosis."""
from __future__ import annotations

import pytest

from extraction.dates import find_dates
from extraction.fields import FIELD_NAMES, extract_fields
from extraction.models import BBox, Page, Word
from extraction.nlp import NlpConfig, build_pipeline
from page_builders import build_packet, build_page

FORM = [
    "PRIOR AUTHORIZATION REQUEST FORM",
    "Request type: [[x]] Expedited [[ ]] Standard",
    "Date of request: 11/03/2025",
    "Patient Name: Doe, Jane Q  DOB: 03/14/1985",
    "Member ID: XKC123456789",
    "Diagnosis: B-cell acute lymphoblastic leukemia  ICD-10: C91.02",
    "HCPCS: Q2058",
    "Planned infusion date: 12-Jan-2026",
    "Site of care: [[ ]] Inpatient [[x]] Outpatient",
    "Has the patient received prior CAR-T therapy? [[ ]] Yes [[x]] No",
    "Provider Attestation",
    "[[x]] I attest that outpatient administration is clinically appropriate.",
    "[[ ]] The member meets and understands the requirements of safety and monitoring post infusion.",
    "Physician: Dr. Alan Smith  DOB: 01/01/1960",
]
DRUG_LABEL = [
    "HIGHLIGHTS OF PRESCRIBING INFORMATION",
    "AUCATZYL is indicated for adults with B-cell precursor ALL.",
    "Patients previously treated with Kymriah were excluded. HCPCS Q2058, C9301.",
]


@pytest.fixture(scope="module")
def nlp(rules_nlp):
    return rules_nlp


def note(*lines: str) -> list[str]:
    return ["Progress Note", "History of Present Illness", *lines]


def form_with(old: str, new: str) -> list[str]:
    """FORM with one printed text replaced (how OCR or the sender changed it)."""
    return [line.replace(old, new) for line in FORM]


def form_without(statement: str, *lines: str) -> list[str]:
    """FORM with the line holding `statement` replaced by `lines` at the end."""
    return [line for line in FORM if statement not in line] + list(lines)


def test_request_form_fields(nlp):
    fields = extract_fields(build_packet(FORM), nlp)
    assert set(fields) == set(FIELD_NAMES)
    values = {name: f.value for name, f in fields.items()}
    assert values == {
        "patient_name": "Jane Q. Doe", "member_id": "XKC123456789", "birth_date": "1985-03-14",
        "treatment_date": "2026-01-12", "request_date": "2025-11-03",
        "diagnosis": "B-cell precursor ALL", "diagnosis_icd10": ["C91.02"],
        "prior_car_t": False, "prior_car_t_products": [], "setting": "outpatient",
        "outpatient_appropriate_attested": True, "safety_monitoring_attested": False,
        "hcpcs_codes": ["Q2058"], "expedited": True, "disease_status": None,  # the form does not say
    }
    birth = fields["birth_date"].evidence[0]
    assert birth.page == 1 and "03/14/1985" in birth.text and birth.bbox is not None
    assert all(0.0 <= f.confidence < 0.99 for f in fields.values())


def test_unchecked_attestation_box_is_false(nlp):
    fields = extract_fields(build_packet(FORM), nlp)
    assert fields["safety_monitoring_attested"].value is False
    assert "safety and monitoring" in fields["safety_monitoring_attested"].evidence[0].text


@pytest.mark.parametrize("text, expected", [
    ("DOB: 03/14/1985", "1985-03-14"), ("Date of birth: March 14, 1985", "1985-03-14"),
    ("D.O.B. 14-Mar-1985", "1985-03-14"), ("Born on 1985-03-14", "1985-03-14"),
    ("DOB 3/14/85", "1985-03-14"), ("DOB: O3/l4/1985", "1985-03-14"),
    ("Date of Birth (MM/DD/YYYY): 03.14.1985", "1985-03-14"), ("DOB: 14 March 1985", "1985-03-14"),
])
def test_birth_date_formats(nlp, text, expected):
    fields = extract_fields([build_page(["Patient Name: Jane Doe", text])], nlp)
    assert fields["birth_date"].value == expected


def test_ocr_repaired_date_is_less_confident(nlp):
    clean = extract_fields([build_page(["DOB: 03/14/1985"])], nlp)["birth_date"]
    repaired = extract_fields([build_page(["DOB: O3/l4/1985"], confidence=0.6)], nlp)["birth_date"]
    assert repaired.value == clean.value and repaired.confidence < clean.confidence


def test_other_persons_dob_is_not_the_patients(nlp):
    fields = extract_fields([build_page(["Donor DOB: 02/02/1970", "Physician: Dr. Lee  DOB: 01/01/1960"])], nlp)
    assert fields["birth_date"].value is None


def test_negated_prior_car_t(nlp):
    fields = extract_fields([build_page(note("No prior CAR-T therapy. Patient is CAR-T naive."))], nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_history_plan_and_family(nlp):
    history = extract_fields([build_page(note("Relapsed after tisagenlecleucel in 2022."))], nlp)
    assert history["prior_car_t"].value is True
    assert history["prior_car_t_products"].value == ["tisagenlecleucel"]
    plan = extract_fields([build_page(note("Referred for evaluation of CAR-T. Would consider obe-cel."))], nlp)
    assert plan["prior_car_t"].value is None
    family = extract_fields([build_page(note("Her brother received Kymriah for DLBCL."))], nlp)
    assert family["prior_car_t"].value is None


def test_requested_product_and_drug_label_are_not_prior_therapy(nlp):
    pages = build_packet(note("Requesting Aucatzyl (obecabtagene autoleucel). CAR-T naive."), DRUG_LABEL)
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert all(e.page == 1 for e in fields["prior_car_t"].evidence)
    assert fields["hcpcs_codes"].value == []


def test_form_and_note_disagree_note_decides(nlp):
    pages = build_packet(FORM, note("She received tisagenlecleucel in 2021 with relapse."))
    fields = extract_fields(pages, nlp)
    prior = fields["prior_car_t"]
    assert prior.value is True
    assert prior.note and "disagree" in prior.note
    assert {e.page for e in prior.evidence} == {1, 2}
    agreeing = extract_fields(build_packet(FORM, note("No prior CAR-T.")), nlp)["prior_car_t"]
    assert agreeing.value is False and agreeing.confidence > prior.confidence


def test_t_all_never_becomes_b_all(nlp):
    fields = extract_fields([build_page(["Diagnosis: T-cell acute lymphoblastic leukemia (T-ALL)",
                                         "ICD-10: C91.00"])], nlp)
    assert fields["diagnosis"].value == "T-cell ALL"
    assert fields["diagnosis_icd10"].value == ["C91.00"]
    code_only = extract_fields([build_page(["ICD-10: C91.00"])], nlp)
    assert code_only["diagnosis"].value == "ALL, lineage unspecified"


def test_typed_marks_answer_the_form(nlp):
    page = build_page(["Prior CAR-T therapy: [ ] Yes [X] No",
                       "☒ Outpatient administration is clinically appropriate.",
                       "Patient meets and understands the requirements of safety and monitoring: Yes"])
    fields = extract_fields([page], nlp)
    assert fields["prior_car_t"].value is False
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is True


def test_find_dates_formats():
    text = "1/2/2024, 2024-01-05, Jan 5, 2024, 5-Jan-2024, 05 January 2024, 13/45/2024"
    assert [m.value.isoformat() for m in find_dates(text)] == [
        "2024-01-02", "2024-01-05", "2024-01-05", "2024-01-05", "2024-01-05"]


def test_attached_excerpt_is_reference_material_to_the_end_of_its_page(nlp):
    excerpt = ["Enclosed: Product Label Excerpt",
               "Prior treatment with any CAR-T product, e.g. Tecartus, excludes coverage.",
               "Kymriah is administered as a single intravenous infusion."]
    fields = extract_fields(build_packet(note("Has not previously undergone", "cellular immunotherapy."), excerpt),
                            nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_clinic_visit_date_is_not_the_treatment_date(nlp):
    visit = extract_fields([build_page(["Consult Note", "Date of service: 04/17/2026", "Plan: obe-cel."])], nlp)
    assert visit["treatment_date"].value is None
    form = extract_fields([build_page(["HCPCS: Q2058", "Date of service: 05/20/2026"])], nlp)
    assert form["treatment_date"].value == "2026-05-20"


def test_inpatient_request_leaves_outpatient_attestations_unset(nlp):
    form = form_with("[[ ]] Inpatient [[x]] Outpatient", "[[x]] Inpatient [[ ]] Outpatient")
    fields = extract_fields(build_packet(form), nlp)
    assert fields["setting"].value == "inpatient"
    assert fields["outpatient_appropriate_attested"].value is None
    assert fields["outpatient_appropriate_attested"].note


def test_icd_code_with_c_read_as_zero_is_repaired_only_after_a_label(nlp):
    labelled = extract_fields([build_page(["ICD-10: 091.02", "Diagnosis: B-ALL"])], nlp)
    assert labelled["diagnosis_icd10"].value == ["C91.02"]
    lower = extract_fields([build_page(["IcD-10: c91.00", "Diagnosis: B-ALL"])], nlp)
    assert lower["diagnosis_icd10"].value == ["C91.00"]
    for misread in ("ICD-10 Code(s): C91,02", "ICD-10: 91.02", "Icb-10: 091,02", "ICD-10: €91:02", "ICD-10: 91:02",
                    "IcbD-10: c91.02", "IcD-10: C91 ..02", "ICD-10 Code(s): » ©91.02", "ICD~10: 691.02",
                    "IGD-10: 91.02", "Diagnosis: B-ALL . 10-10: C91, 02", "ICD-10: C91. 02. Pre-B ALL",
                    "ICD-10: ¢91.02"):
        assert extract_fields([build_page([misread])], nlp)["diagnosis_icd10"].value == ["C91.02"], misread
    assert extract_fields([build_page(["Weight 91.02 kg, Hgb 12,5"])], nlp)["diagnosis_icd10"].value == []
    assert extract_fields([build_page(["ICD-10: C91.02 (dx 2019, 612.5 mg/m2)"])], nlp)["diagnosis_icd10"].value == ["C91.02"]
    unlabelled = extract_fields([build_page(["Lot 091.02 shipped", "Diagnosis: B-ALL"])], nlp)
    assert unlabelled["diagnosis_icd10"].value == []


def test_date_glued_to_its_label_by_ocr_is_still_the_treatment_date(nlp):
    fields = extract_fields([build_page(["HCPCS: Q2058", "Anticipated Date of Service3/29/26"])], nlp)
    assert fields["treatment_date"].value == "2026-03-29"


def test_form_row_split_into_ocr_blocks_is_read_as_printed(nlp):
    """Tesseract puts a form's labels and values in separate blocks (separate line ids);
    the row is rebuilt from geometry, so the label still reaches its date."""
    label = build_page(["Planned Infusion Date:", "Date of Birth:"])
    values = build_page(["03/24/2026", "09/30/1959"])
    words = list(label.words)
    for word in values.words:  # the value column, to the right, with OCR line ids of its own
        box = word.bbox
        words.append(Word(word.text, BBox(box.x0 + 200, box.y0, box.x1 + 200, box.y1),
                          word.confidence, line=word.line + 10))
    page = Page(number=1, width=612.0, height=792.0, method="ocr", words=words, mean_confidence=1.0)
    fields = extract_fields([page], nlp)
    assert fields["treatment_date"].value == "2026-03-24"
    assert fields["birth_date"].value == "1959-09-30"


def test_attestation_wrapped_over_lines_with_ocr_punctuation_keeps_its_checkbox(nlp):
    form = form_without("safety and monitoring",
                        "[[x]] I attest that the member meets and.understands the requirements of safety and",
                        "monitoring post infusion.")
    fields = extract_fields(build_packet(form), nlp)
    assert fields["safety_monitoring_attested"].value is True


def test_answer_box_read_as_letters_glued_to_its_label_still_answers(nlp):
    """OCR often reads an X-marked box as letters: "MNo" where the form shows [X] No."""
    page = build_page(["Has the member received prior CAR-T therapy?", "[[ ]] Yes [[x]] No"])
    glued = []
    for word in page.words:
        if word.text in ("Yes", "No"):
            box = max((c.bbox for c in page.checkboxes if c.bbox.x1 <= word.bbox.x0), key=lambda b: b.x1)
            text = "DHlYyes" if word.text == "Yes" else "MNo"
            word = Word(text, BBox(box.x0 + 1, word.bbox.y0, word.bbox.x1, word.bbox.y1), 0.6, line=word.line)
        glued.append(word)
    page.words = glued
    fields = extract_fields([page], nlp)
    assert fields["prior_car_t"].value is False


def test_product_name_misspelled_by_ocr_is_still_prior_therapy(nlp):
    """A prior product missed is a wrong 'no prior CAR-T': OCR's "Kytriah" is Kymriah."""
    fields = extract_fields(build_packet(note("Prior regimens: nelarabine. s/p Kytriah 2023 with relapse.")), nlp)
    assert fields["prior_car_t"].value is True
    assert fields["prior_car_t_products"].value == ["tisagenlecleucel"]
    ordinary = extract_fields(build_packet(note("Patient became anemic; received ponatinib.")), nlp)
    assert ordinary["prior_car_t"].value is None


def test_specks_between_words_do_not_hide_a_treatment_history_entry(nlp):
    summary = ["Prior Therapy Summary", "01/08/2023. - Kymriah.-:CR1, relapsed after 14 months"]
    fields = extract_fields(build_packet(summary), nlp)
    assert fields["prior_car_t"].value is True


def test_negation_reaches_across_a_line_wrapped_mid_sentence(nlp):
    fields = extract_fields(build_packet(note("Prior regimens: dasatinib, ponatinib. No prior", "CAR-T cell therapy.")), nlp)
    assert fields["prior_car_t"].value is False


def test_checkbox_read_as_letters_does_not_open_a_family_history_section(nlp):
    form = form_without("outpatient administration",
                        "[[x]] fH I attest that I have assessed the member and determined that outpatient administration",
                        "is clinically appropriate.")
    fields = extract_fields(build_packet(form), nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    history = extract_fields(build_packet(note("FH: mother received tisagenlecleucel.")), nlp)
    assert history["prior_car_t"].value is None


def test_setting_box_label_with_i_read_as_l(nlp):
    form = form_with("[[ ]] Inpatient [[x]] Outpatient", "[[x]] lnpatient hospital [[ ]] Outpatient")
    assert extract_fields(build_packet(form), nlp)["setting"].value == "inpatient"


def test_codes_with_a_lost_period_or_misread_letter_after_their_label(nlp):
    page = build_page(["ICcD-10 Code(s): C9102", "HCPCS Code(s): 2058, 53490", "Phone: 401-555-9102"])
    fields = extract_fields([page], nlp)
    assert fields["diagnosis_icd10"].value == ["C91.02"]
    assert fields["hcpcs_codes"].value == ["J3490", "Q2058"]
    assert extract_fields([build_page(["Member 09102, lot 53490"])], nlp)["hcpcs_codes"].value == []


def test_family_members_therapy_behind_an_ocr_period_stays_the_family_members(nlp):
    fields = extract_fields(build_packet(note(
        "Prior regimens: inotuzumab ozogamicin, ponatinib. No prior CAR-T cell therapy.",
        "- Family history: brother.received ide-cel for diffuse large B-cell lymphoma.")), nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_negated_last_item_of_a_regimen_list(nlp):
    fields = extract_fields(build_packet(note(
        "Prior regimens: blinatumomab, dasatinib + prednisone, ponatinib: No prior CAR T-cell therapy.")), nlp)
    assert fields["prior_car_t"].value is False


def test_dates_with_fax_specks_around_the_comma(nlp):
    fields = extract_fields([build_page(["Date of Birth: Oct 2,-1984", "HCPCS: Q2058",
                                         "Planned Infusion Date: Dec 3,.2026"])], nlp)
    assert find_dates("Anticipated Date of Service: 10-Nov=2025")[0].value.isoformat() == "2025-11-10"
    assert fields["birth_date"].value == "1984-10-02"
    assert fields["treatment_date"].value == "2026-12-03"


def test_member_id_cut_by_an_ocr_space_is_read_whole(nlp):
    pages = build_packet(["Member ID: CPC604421 184"], ["Patient: Tyrone Lopez MemberID: CPC604421 184"],
                         ["Member ID: CPC604421184"], ["Member ID: CPC604421184"])
    assert extract_fields(pages, nlp)["member_id"].value == "CPC604421184"


def test_unnamed_car_t_on_a_dated_line_of_the_therapy_list_was_given(nlp):
    summary = ["Prior Therapy Summary", "2023-01-10 - blinatumomab - CR", "2024-04-22 - investigational CD19 CAR-T - no response"]
    assert extract_fields(build_packet(summary), nlp)["prior_car_t"].value is True
    trial = note("Enrolled on a study of CD19-directed CAR T-cell product (2024) with transient response.")
    assert extract_fields(build_packet(trial), nlp)["prior_car_t"].value is True


def test_attestation_with_a_speck_glued_between_words(nlp):
    form = form_without("outpatient administration",
                        "[[x]] I attest that I have assessed the member and determined that "
                        "outpatient'administration is clinically appropriate.")
    assert extract_fields(build_packet(form), nlp)["outpatient_appropriate_attested"].value is True


def test_hcpcs_code_misread_into_an_unknown_neighbour_of_a_known_one_is_dropped(nlp):
    pages = build_packet(["HCPCS: Q2088, J3490"], ["Requested: Aucatzyl, HCPCS Q2058"])
    assert extract_fields(pages, nlp)["hcpcs_codes"].value == ["J3490", "Q2058"]


def test_patient_name_with_i_read_as_l():
    """Found by the trained NER, cleaned like every name: "lvanova" is "Ivanova" misread."""
    with_ner = build_pipeline(NlpConfig())
    pages = build_packet(["Member Name: Daniel lvanova", "Member ID: CPC516477877"],
                         note("Daniel lvanova is a 26-year-old with B-ALL."))
    assert extract_fields(pages, with_ner)["patient_name"].value == "Daniel Ivanova"


def test_treatment_date_on_the_form_but_unreadable_is_reported_as_such(nlp):
    form = form_with("Planned infusion date: 12-Jan-2026", "Planned infusion date: 12/01/202")
    treatment = extract_fields(build_packet(form), nlp)["treatment_date"]
    assert treatment.value is None and treatment.note and "12/01/202" in treatment.evidence[0].text
    pending = form_with("Planned infusion date: 12-Jan-2026", "Planned infusion date: TBD")
    assert extract_fields(build_packet(pending), nlp)["treatment_date"].evidence == []


def test_form_answer_boxes_read_as_bracketed_marks(nlp):
    page = build_page(["Has the member received prior CAR-T therapy?", "[[ ]] OlYes [[x]] [&J]No"])
    assert extract_fields([page], nlp)["prior_car_t"].value is False


def test_denied_cellular_therapy_is_no_prior_car_t(nlp):
    assert extract_fields(build_packet(note("Patient denies previous cellular therapy.")), nlp)["prior_car_t"].value is False


def test_label_words_split_by_a_speck_still_label_the_date(nlp):
    fields = extract_fields([build_page(["HCPCS: Q2058", "Planned Infusion. Date: 2026-03-13",
                                         "Date of Birth: Aug 4, 1990"])], nlp)
    assert fields["treatment_date"].value == "2026-03-13"
    assert find_dates("Anticipated Date of Service: August -30, 2026")[0].value.isoformat() == "2026-08-30"


def test_form_no_with_a_product_named_in_the_notes_out_of_context_needs_a_reviewer(nlp):
    """The form's "No" cannot settle prior CAR-T while the notes name another product in words
    the assessor cannot place: the field stays open (insufficient evidence), both shown."""
    pages = build_packet(FORM, note("Response to tisa-cel lasted 9 months."))
    prior = extract_fields(pages, nlp)["prior_car_t"]
    assert prior.value is None
    assert "tisagenlecleucel" in prior.note
    assert {e.page for e in prior.evidence} == {1, 2}
    # The requested product and unnamed CAR-T talk do not count as such a mention.
    plain = extract_fields(build_packet(FORM, note("Aucatzyl CAR-T cell therapy discussed with the family.")), nlp)
    assert plain["prior_car_t"].value is False


def test_yes_no_boxes_opening_the_line_answer_its_question_not_the_next_ones(nlp):
    form = ["CELLULAR THERAPY REQUEST", "Patient: Rosa M. Delgado  DOB: 04/02/1971",
            "[[ ]] Yes  [[x]] No  [[ ]] N/A   3. Has the patient ever been treated with a CAR-T cell product?",
            "[[x]] Yes  [[ ]] No  [[ ]] N/A   4. Is the prescriber affiliated with the treating program?"]
    assert extract_fields(build_packet(form), nlp)["prior_car_t"].value is False


def test_a_question_never_borrows_the_answer_of_the_numbered_item_under_it(nlp):
    form = ["CELLULAR THERAPY REQUEST", "Patient: Rosa M. Delgado  DOB: 04/02/1971",
            "4. Has the member ever received a chimeric antigen receptor (CAR) T-cell",
            "product, including on a clinical trial?",
            "5. Will the product be given at a qualified treatment center?  ((Yes))  No"]
    assert extract_fields(build_packet(form), nlp)["prior_car_t"].value is not True


@pytest.mark.parametrize("answer", ["(Yes)  No", "CYes )  No"])
def test_a_circle_ocr_read_as_brackets_is_the_chosen_answer(nlp, answer):
    form = ["CELLULAR THERAPY REQUEST", "Patient: Rosa M. Delgado  DOB: 04/02/1971", "Setting: outpatient",
            f"Q6. I have evaluated the member; outpatient infusion is clinically appropriate. {answer}"]
    assert extract_fields(build_packet(form), nlp)["outpatient_appropriate_attested"].value is True


@pytest.mark.parametrize("text", ["Marrow established T- -lymphoblastic leukemia (cortical phenotype).",
                                  "Assessment: first relapse of T- ALL."])
def test_a_lineage_prefix_broken_by_the_fax_still_names_the_lineage(nlp, text):
    assert extract_fields(build_packet(["Consult note", text]), nlp)["diagnosis"].value == "T-cell ALL"


def test_a_misread_birth_date_on_a_page_naming_the_patient_keeps_the_page(nlp):
    cover = ["PRIOR AUTHORIZATION REQUEST", "Member name: Lorraine M. Beaudoin   DOB: 8/19/53"]
    visit = ["OFFICE VISIT", "PATIENT: BEAUDOIN, LORRAINE M   DOB: 09/19/1983", "No CAR-T to date."]
    fields = extract_fields(build_packet(cover, visit), nlp)
    assert fields["prior_car_t"].value is False


def test_a_product_menu_requests_only_its_ticked_code(nlp):
    form = ["CELLULAR THERAPY REQUEST", "Patient: Rosa M. Delgado  DOB: 04/02/1971",
            "Product requested:",
            "[[ ]] Kymriah (tisagenlecleucel) Q2042   [[ ]] Tecartus (brexucabtagene autoleucel) Q2053",
            "[[x]] Aucatzyl (obecabtagene autoleucel) Q2058   [[ ]] Other:",
            "Yescarta Q2041  Breyanzi Q2054  Abecma Q2055  (codes for reference)"]
    assert extract_fields(build_packet(form), nlp)["hcpcs_codes"].value == ["Q2058"]
