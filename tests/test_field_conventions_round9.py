"""Ninth round (test-9, read after its first run), each a class seen on an office's packets: ICD-10
codes misread by the fax ("691.02", "IGD-10", "C91, 02", "C91. 02." ending a sentence; in
test_fields), a speck read as a period after a word no sentence ends on ("He has not had any.
CAR-T product himself"), a checklist row answered in Yes / No columns left of it, a past treatment
guessed at ("It could have been ... an investigational CAR-T product"), "your guideline" in a
letter to the plan (not an education sheet), a denial about the patient inside a letter's
family-history paragraph, a misspelled INN as near to two products, a pathologist's revised
diagnosis, what a supposition would lead to ("we would pivot to a T-ALL salvage strategy"),
"Member:" and "Subscriber" beside a name, and a bare "Date:" after another field on the form's
line. Built pages; no OCR needed."""
from __future__ import annotations

from extraction.fields import extract_fields
from extraction.therapy_history import SILENT_HISTORY_CONFIDENCE
from page_builders import build_packet


def test_a_speck_read_as_a_period_does_not_end_a_denial(nlp):
    pages = build_packet(["PROGRESS NOTE", "Relapsed B-ALL after hyper-CVAD and blinatumomab.",
                          "He has not had any. CAR-T product himself. Refer for obecabtagene autoleucel."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_sentence_that_really_ends_before_a_product_still_ends(nlp):
    pages = build_packet(["PROGRESS NOTE", "Relapsed B-ALL. He has had no transplant. "
                          "Kymriah infused 03/2024 on the adult service, relapse 11/2025."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is True


_HISTORY = "Treatment history: hyper-CVAD 2024, blinatumomab 2025, inotuzumab 2026."


def test_a_checklist_row_answered_in_yes_no_columns_is_a_question_not_a_ticked_product(nlp):
    pages = build_packet(["CAR-T REQUEST FORM", "Mark YES or NO in the columns on the left.",
                          "YES   NO",
                          "[[x]]  [[ ]]  Diagnosis is B-cell precursor acute lymphoblastic leukemia.",
                          "[[x]]  [[ ]]  Member has tried and failed previous therapies.",
                          "[[ ]]  [[x]]  Member has received a CAR-T product before (any, including trial).",
                          _HISTORY])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False


def test_a_cell_therapy_guessed_at_leaves_prior_car_t_open(nlp):
    pages = build_packet(["LETTER OF MEDICAL NECESSITY", _HISTORY,
                          "In 2019 he received an infusion of cells at a private clinic abroad.",
                          "We do not know what that treatment was. It could have been a stem-cell product, a donor",
                          "cell infusion, an investigational CAR-T product, or something else entirely.",
                          "If those records were to show that he received a CAR-T product, we understand he would",
                          "not be eligible under your guideline."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is None


def test_a_denial_in_a_letters_family_history_paragraph_is_the_patients(nlp):
    pages = build_packet(["Dear Dr. Osei,", _HISTORY,
                          "Family history is notable: his older sister was treated here for B-ALL and received",
                          "tisagenlecleucel in 2019. She is well. Jordan himself has not had CAR-T cells, transplant,",
                          "or any other cellular therapy. We discussed with your team that he should be admitted."])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t"].confidence > SILENT_HISTORY_CONFIDENCE  # said, not inferred from silence
    assert fields["prior_car_t_products"].value == []


def test_a_misspelling_as_near_two_products_is_decided_by_the_word_after_it(nlp):
    pages = build_packet(["DRUG REQUESTED", "Name: Aucatzyl (checabtagene autoleucel)  HCPCS Q2058",
                          "PROGRESS NOTE", _HISTORY, "He has had no CAR-T therapy so far."])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t"].note is None  # no idecabtagene named beside the denial


def test_a_revised_diagnosis_supersedes_the_earlier_pages(nlp):
    pages = build_packet(["REFERRAL LETTER", "Relapsed B-lymphoblastic leukemia after allogeneic transplant."],
                         ["HEMATOPATHOLOGY CONSULT - ADDENDUM",
                          "REVISED DIAGNOSIS: T-lymphoblastic leukemia (T-ALL), relapsed, with aberrant CD19.",
                          "The findings do not support B-lymphoblastic leukemia."])
    fields = extract_fields(pages, nlp)
    assert fields["diagnosis"].value == "T-cell ALL"
    assert "revised" in fields["diagnosis"].note


def test_what_a_supposition_would_lead_to_is_no_diagnosis(nlp):
    pages = build_packet(["PROGRESS NOTE", "Diagnosis: acute lymphoblastic leukemia, relapsed. ICD-10: C91.02",
                          "If the outside studies show T-lineage, obe-cel would not be appropriate and we would",
                          "pivot to a T-ALL salvage strategy."])
    assert extract_fields(pages, nlp)["diagnosis"].value == "ALL, lineage unspecified"


def test_member_and_subscriber_labels_beside_the_name(nlp):
    pages = build_packet(["Member: Gustavo R. Marchetti  Member #: CP385027716  DOB: 12/30/68"],
                         ["Re: Gustavo R. Marchetti, Subscriber"])
    assert extract_fields(pages, nlp)["patient_name"].value == "Gustavo R. Marchetti"


def test_a_name_cut_short_at_an_initial_gives_way_to_the_whole_name(nlp):
    pages = build_packet(["Patient: Caleb J.\u2019 Strand  DOB 11/05/2006"], ["Patient: Caleb J. Strand"],
                         ["Patient: Harlan J.. Voss  DOB 08/14/1959"])
    values = [extract_fields([page], nlp)["patient_name"].value for page in pages]
    assert values == ["Caleb J. Strand", "Caleb J. Strand", "Harlan J. Voss"]


def test_a_bare_date_after_another_field_on_the_forms_line_is_the_request_date(nlp):
    pages = build_packet(["MEDICATION PRIOR AUTHORIZATION REQUEST", "(General form - not specific to any plan):",
                          "Plari name: CarePart ners Date: 12-May-2026:",
                          "Member name: Yesenia R. Albarran   Date of birth: 17-Apr-2003"])
    fields = extract_fields(pages, nlp)
    assert fields["request_date"].value == "2026-05-12"
    assert fields["birth_date"].value == "2003-04-17"
