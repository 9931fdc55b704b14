"""What a degraded fax does to a packet's words, and how the reading holds: ring glyphs where a
circled letter was, the one letter left of a "Y  N" pair, cue words misread, format hints between a
label and its value, a printed line OCR merged into the row above, a term wrapped onto the next line, a
misfiled page read before the request's own. Built pages; no OCR needed."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from extraction.models import BBox, Word
from extraction.text import layout_lines
from page_builders import build_packet

_HISTORY = ["Treatment history: hyper-CVAD 2024, blinatumomab 2025."]


@pytest.mark.parametrize("answer, prior", [
    ("Y ©", False),  # N circled, read as a ring: the Y left is the unmarked choice
    ("(©) N", True),  # Y circled
])
def test_a_circled_letter_read_as_a_ring_answers_by_its_position(nlp, answer, prior):
    pages = build_packet(["CAR-T REQUEST", f"Has the patient had prior CAR-T cell therapy? {answer}", *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is prior


def test_a_bare_y_against_notes_that_say_no_goes_to_a_reviewer(nlp):
    # "Y  N" with N circled: the fax lost the circled letter and kept the unmarked Y.
    pages = build_packet(["PAYER QUESTIONS", "Any prior CAR-T infusion (commercial or research)? Y"],
                         ["PROGRESS NOTE", "He has not received CAR T cells before, nor any transplant."])
    field = extract_fields(pages, nlp)["prior_car_t"]
    assert field.value is None
    assert "bare 'Y'" in field.note


@pytest.mark.parametrize("lines", [
    # a negation cue as the fax misread it
    ["She has neyer been treated with chimeric antigen receptor T-cells."],
    # a relative's therapy, a speck after the verb
    ["Ms. Olguin has not had any CAR-T treatment herself. Her brother Emesio received.”",
     "axicabtagene ciloleucel (Yescarta) in 2023 for lymphoma."],
    # a denial reaching the second of two coordinated therapies across specks
    ["She has never r been treated with a CAR-T product or. o", "enrolled on a cellular therapy trial."],
])
def test_no_prior_car_t_survives_fax_specks_and_misread_cues(nlp, lines):
    pages = build_packet(["HISTORY", *lines, *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_diagnosis_wrapped_onto_the_next_line_is_read(nlp):
    pages = build_packet(["HISTORY", "A 51-year-old with Philadelphia-negative B-cell acute",
                          "lymphoblastic leukemia diagnosed in 2023."])
    assert extract_fields(pages, nlp)["diagnosis"].value == "B-cell precursor ALL"


def test_a_birth_date_after_a_format_hint(nlp):
    pages = build_packet(["REQUEST FORM", "MEMBER NAME Beatriz L. Olguin",
                          "BIRTHDATE (DD MON YYYY). 02 JUL 1974"])
    assert extract_fields(pages, nlp)["birth_date"].value == "1974-07-02"


def test_a_misfiled_page_before_the_requests_own_birth_date_is_still_someone_elses(nlp):
    pages = build_packet(["REQUEST FORM", "Member name: Beatriz L. Olguin", "Diagnosis: B-ALL, relapsed"],
                         ["FOLLOW-UP VISIT", "Patient: OLIVAS, BENITO R.  DOB: 10/22/1958",
                          "Interval history: doing well after tisagenlecleucel (Kymriah), infused 07/2024."],
                         ["HEMATOLOGY FOLLOW-UP NOTE", "Patient: OLGUIN, BEATRIZ  DOB: 07/02/1974", *_HISTORY],
                         ["PATHOLOGY", "Patient: OLGUIN, BEATRIZ  DOB: 07/02/1974",
                          "Diagnosis: relapsed B-lymphoblastic leukemia."])
    fields = extract_fields(pages, nlp)
    assert fields["birth_date"].value == "1974-07-02"
    assert fields["prior_car_t"].value is not True


@pytest.mark.parametrize("form_line", [
    "SETTING OF CARE (circle one): Outpatient hospital   Other",  # the circled Inpatient lost
    "Facility type: Tidewater Regional MC   Outpatient   Other",
])
def test_an_offered_setting_whose_mark_was_lost_says_nothing(nlp, form_line):
    pages = build_packet(["CAR-T PRE-SERVICE REQUEST", form_line],
                         ["ASSESSMENT AND PLAN", "She will remain inpatient through about Day 14."])
    assert extract_fields(pages, nlp)["setting"].value == "inpatient"


def _word(text: str, x0: float, y0: float, line: int) -> Word:
    return Word(text, BBox(x0, y0, x0 + 8 * len(text), y0 + 10), 0.9, line=line)


def test_a_line_under_a_rows_words_is_the_next_row_not_part_of_it():
    # Skewed tight lines, each its own OCR line: the second's centre falls inside the first's
    # span, but it lies under the first's words, so it is the next printed row.
    words = [_word("PATIENT:", 40, 72, 1), _word("ASANTE,", 110, 72, 1),
             _word("SPECIMEN:", 40, 78, 2), _word("marrow", 120, 78, 2),
             _word("DOB:", 300, 73, 3), _word("05/14/2003", 340, 73, 3)]  # a value block beside the row
    rows = [[w.text for w in row] for row in layout_lines(words)]
    assert rows == [["PATIENT:", "ASANTE,", "DOB:", "05/14/2003"], ["SPECIMEN:", "marrow"]]


def test_mm_in_lower_case_is_a_size_not_myeloma(nlp):
    pages = build_packet(["PATHOLOGY", "Diagnosis: B-lymphoblastic leukemia.",
                          "Core biopsy 8 mm, too few abnormal events."])
    diagnosis = extract_fields(pages, nlp)["diagnosis"]
    assert diagnosis.value == "B-cell precursor ALL" and diagnosis.note is None  # one diagnosis named
