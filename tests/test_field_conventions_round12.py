"""Twelfth round (older blind parts read again before test-12's first run), each a class seen on
offices' packets: one OCR line holding two printed lines of a skewed fax (their words
interleaved), a teach-back ("repeated them back correctly") as the safety attestation, a research
code read with a speck inside ("C¢TL019"), "DOB" read as "DGB" / "BOB", a misfiled note whose
patient is decades older than ours, a full stop with specks after it ending a sentence, and a
safety word inside a condition ("should he develop CRS"). Built pages; no OCR."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from extraction.models import BBox, Word
from extraction.text import layout_lines
from page_builders import build_packet

_HISTORY = "Treatment history: hyper-CVAD 2024, blinatumomab 2025, inotuzumab 2026."
_REQUEST = ["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Request date: 03/02/2026",
            "Patient: Rosa M. Lindqvist   DOB: 04/11/1961", "Drug: Aucatzyl (obecabtagene autoleucel)"]


def _word(text: str, x0: float, y0: float, line: int, height: float = 9.0) -> Word:
    return Word(text, BBox(x0, y0, x0 + 7 * len(text), y0 + height), 0.8, line=line)


def test_one_ocr_line_holding_two_printed_lines_is_read_as_two_rows():
    # Tesseract gave both printed lines one line index; the second lies under the first's words.
    words = [_word("PATIENT:", 40, 72, 5), _word("ASANTE,", 100, 72, 5), _word("KOFI", 155, 72, 5),
             _word("DOB:", 300, 71, 5), _word("05/14/2003", 335, 72, 5),
             _word("SPECIMEN:", 41, 83, 5), _word("bone", 110, 83, 5), _word("marrow", 145, 83, 5),
             _word("COLLECTED:", 300, 83, 5), _word("10/27/2026", 380, 83, 5)]
    rows = [[w.text for w in row] for row in layout_lines(words)]
    assert rows == [["PATIENT:", "ASANTE,", "KOFI", "DOB:", "05/14/2003"],
                    ["SPECIMEN:", "bone", "marrow", "COLLECTED:", "10/27/2026"]]


def test_a_speck_over_a_word_does_not_split_its_line():
    words = [_word("HCPCS", 262, 169, 8), _word("Q2058", 305, 169, 8), _word("letter", 350, 169, 8),
             _word("of", 400, 169, 8), _word("8", 306, 165, 8, height=3.0), _word("medical", 420, 169, 8)]
    rows = [[w.text for w in row] for row in layout_lines(words)]
    assert len(rows) == 1


def test_a_teach_back_is_the_safety_attestation(nlp):
    pages = build_packet(_REQUEST + ["Setting: outpatient infusion center", _HISTORY,
                                     "I have assessed her and outpatient administration is clinically appropriate.",
                                     "We went over the post-infusion monitoring rules (stay close for 4 weeks, no",
                                     "driving for 8 weeks) and both repeated \u2018them back correctly."])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is True


def test_a_research_code_read_with_a_speck_is_still_the_product(nlp):
    pages = build_packet(_REQUEST + ["TREATMENT HISTORY", "06/2021 Enrolled, protocol HUCC-19-204 (phase 2)",
                                     "09/14/2021 C\u00a2TL019 infusion, single dose, MRD-negative CR d28"])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is True
    assert fields["prior_car_t_products"].value == ["tisagenlecleucel"]


@pytest.mark.parametrize("label", ["DGB", "BOB", "D0B"])
def test_dob_read_one_letter_off_still_labels_the_birth_date(nlp, label):
    pages = build_packet(["HEMATOLOGY CLINIC NOTE", f"DRUMMOND, PHILIPPA  F  {label} 3/7/1988  (38 y)",
                          "Date of service 09/30/2026", _HISTORY])
    assert extract_fields(pages, nlp)["birth_date"].value == "1988-03-07"


def test_a_misfiled_note_about_a_patient_decades_older_is_not_this_patients(nlp):
    pages = build_packet(_REQUEST + ["Diagnosis: relapsed B-cell precursor ALL", _HISTORY,
                                     "She has never received CAR-T cell therapy."],
                         ["MYELOMA CLINIC - Follow-up Note", "Patient: . : Brandvold/ Harold T..",
                          "81-year-old man with IgG kappa multiple myeloma, five prior lines, who received",
                          "ciltacabtagene autoleucel (cilta-cel) on 05/02/2025."])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["diagnosis"].value == "B-cell precursor ALL"


def test_a_relatives_age_does_not_make_a_page_another_patients(nlp):
    pages = build_packet(_REQUEST + ["Diagnosis: relapsed B-cell precursor ALL", "She has never had CAR-T."],
                         ["SOCIAL HISTORY", "Her 81-year-old mother lives with her.",
                          "09/14/2021 tisagenlecleucel infusion, MRD-negative CR."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is not False


def test_a_full_stop_with_specks_after_it_ends_the_sentence_and_a_condition_attests_nothing(nlp):
    pages = build_packet(_REQUEST + [_HISTORY,
                                     "Having assessed him, I have determined that outpatient administration in our",
                                     "ambulatory unit is clinically appropriate, with direct admission to our inpatient",
                                     "unit available around the clock should he develop CRS or neurologic symptoms. ,",
                                     "Post-infusion safety and monitoring teaching is scheduled for 03/20/2026."])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["safety_monitoring_attested"].value is None


# Thirteenth round (test-12, read after its first run): an appeal quoting the plan's denial, a
# "no." speck before the product, the requested product in a "received: none" row, a manufacturing
# failure told with accents from the fax, "never got", a step deferred "until after CAR-T", a
# CD19-directed bispecific, and a misfiled note whose age is read past a colon.

def test_an_appeal_quoting_the_plans_denial_is_not_the_patients_history(nlp):
    pages = build_packet(_REQUEST + ["Diagnosis: relapsed B-cell precursor ALL",
                                     "I am writing to appeal the denial of obe-cel.", "Reason for denial (quoted)",
                                     '"Records submitted with the request document that the member underwent CAR-T therapy',
                                     '(brexucabtagene autoleucel, Tecartus) at Pellham Regional in October 2025."',
                                     "Response", "1. Ms. Lindqvist has never been infused with CAR-T cells.",
                                     "Enclosed: confirmation from Pellham Regional that no.CAR-T product was ever infused."])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_the_requested_product_in_a_received_none_row_is_no_history(nlp):
    pages = build_packet(_REQUEST + ["TREATMENT SUMMARY", _HISTORY,
                                     "CAR-T therapy received: none (obe-cel is the product now requested)",
                                     "Hematopoietic cell transplant: none"])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_a_failed_manufacturing_told_in_a_short_note_is_no_infusion(nlp):
    pages = build_packet(_REQUEST + ["CLINIC NOTE", _HISTORY,
                                     "His cells were collect\u00e9d for a trial in 2025 but the product failed release testing",
                                     "twice, so he never got CAR-T. Now requesting obe-cel."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_step_deferred_until_after_car_t_and_a_cd19_bispecific_are_no_history(nlp):
    pages = build_packet(_REQUEST + ["Diagnosis: relapsed B-cell precursor ALL",
                                     "Kaylee is 18 years old, has CD19-positive disease, has already failed a",
                                     "CD19-directed bispecific antibody, and is not a transplant candidate.",
                                     "Elias has never received a CAR-T product.",
                                     "#3 Iron overload (ferritin 2,140) - defer chelation until after CAR-T."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_misfiled_note_whose_age_is_read_past_a_colon_is_another_patients(nlp):
    request = [line.replace("04/11/1961", "01/22/1973") for line in _REQUEST]  # 53 on the request date
    pages = build_packet(request + ["Diagnosis: relapsed B-cell precursor ALL", _HISTORY,
                                    "He has not received any CAR-T product."],
                         ["Consult Notes - OUENNEVILLE, HAROLD B - DOB 07/14) 1969",
                          "66- -year-old:man with DLBCL after axicabtagene ciloleucel infusion on 12/31/2025."])
    fields = extract_fields(pages, nlp)
    assert fields["prior_car_t"].value is False
    assert fields["prior_car_t_products"].value == []


def test_a_signers_name_is_not_the_patients(nlp):
    pages = build_packet(["OUTPATIENT CAR-T ORDER", "Patient: wo MARCHETTI ELLIS   DOB: 01/22/1973",
                          "Drug: Aucatzyl (obecabtagene autoleucel)"],
                         ["Interval history: 53-year-old man with Ph-like B-ALL, seen with his wife.",
                          "Printed name: Rosalind Achterberg, MD"],
                         ["Signed: Rosalind Achterberg, MD  04/06/2026"])
    assert extract_fields(pages, nlp)["patient_name"].value != "Rosalind Achterberg"
