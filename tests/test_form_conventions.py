"""How forms and letters answer when part of the answer is gone or written another way: a portal's
radio buttons typed as "( )" / "(o)", a "(circle)" prompt whose circle the fax lost, Yes/No columns
whose heads it lost, "Y / N" left uncircled, a labelled row answered "NONE", a question's scope in
brackets, an "Unknown" offered beside Yes and No, a relative named at the head of a history row, a
condition inside an aside, a clause with its own subject after a denial, and a setting that only
an attestation names. Built pages; no OCR needed."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet

_HISTORY = ["Treatment history: hyper-CVAD 2024, blinatumomab 2025."]


@pytest.mark.parametrize("line, setting", [
    ("Place of service: ( ) Inpatient hospital   (o) Outpatient hospital / clinic", "outpatient"),
    ("Place of service: (0) Inpatient hospital   () Outpatient hospital / clinic", "inpatient"),
])
def test_a_typed_radio_button_chooses_the_setting(nlp, line, setting):
    pages = build_packet(["AUTHORIZATION REQUEST - PRINT VIEW", line])
    assert extract_fields(pages, nlp)["setting"].value == setting


def test_a_circle_prompt_offers_options_even_without_one(nlp):
    # "Setting (circle): ((Outpatient)) Inpatient" where OCR dropped the circled word.
    pages = build_packet(["REQUEST", "Setting (circle):   Inpatient"],
                         ["NOTE", "Plan: outpatient infusion at the cellular therapy clinic."])
    assert extract_fields(pages, nlp)["setting"].value == "outpatient"


def test_a_setting_after_a_denied_reason_is_still_stated(nlp):
    pages = build_packet(["PLAN", "Because of the lack of a caregiver near the center, he will be treated "
                                  "INPATIENT on 7 North for lymphodepletion."])
    assert extract_fields(pages, nlp)["setting"].value == "inpatient"


def test_an_attestation_alone_names_the_outpatient_setting(nlp):
    pages = build_packet(["LETTER OF MEDICAL NECESSITY",
                          "In my judgment she can be treated safely as an outpatient; outpatient "
                          "administration is clinically appropriate."])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["setting"].value == "outpatient"


def test_a_condition_inside_an_aside_does_not_defer_the_judgement(nlp):
    pages = build_packet(["LETTER", "Having assessed her myself, I have determined that giving obe-cel in our "
                                    "outpatient cell therapy unit, with admission only if she develops toxicity, "
                                    "is clinically appropriate for her."])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is True


def test_a_condition_on_the_judgement_still_defers_it(nlp):
    pages = build_packet(["LETTER", "Outpatient administration, if her counts recover, is clinically "
                                    "appropriate for her."])
    assert extract_fields(pages, nlp)["outpatient_appropriate_attested"].value is None


@pytest.mark.parametrize("checked_column, prior", [(0, True), (1, False)])
def test_yes_no_columns_whose_heads_were_lost_read_yes_first(nlp, checked_column, prior):
    cells = ["[[x]]" if i == checked_column else "[[ ]]" for i in range(3)]
    pages = build_packet(["CLINICAL QUESTIONS", "Fill the box under Yes, No or N/A for each question.",
                          f"d. Has the patient ever received a CAR-T cell therapy?   {'  '.join(cells)}",
                          *_HISTORY])
    field = extract_fields(pages, nlp)["prior_car_t"]
    assert field.value is prior


def test_y_n_left_uncircled_is_an_open_answer_not_prose(nlp):
    pages = build_packet(["ORDER SHEET", "2. The patient meets and understands post-infusion safety and monitoring",
                          "requirements (24-h caregiver, stays within 30 min).   Y / N"])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is None


@pytest.mark.parametrize("lines", [
    ["CELLULAR THERAPY FLAGS", "Prior CAR-T:.. NONE documented"],
    ["CLINICAL CHECKLIST", "Member has previously received CAR-T therapy (any product, incl. trial)",
     "PROGRESS NOTE", "No prior CAR-T of any kind."],
    ["FORM", "Has the patient received any CAR-T product before? [] Yes [] No [] Unknown",
     "NOTE", "He has never had CAR-T cells."],
    ["FAMILY HISTORY", "Maternal cousin:. DLBCL 2022, treated with Yescarta (axi-cel), in remission.",
     "HISTORY", "No CAR-T to date."],
    ["FAMILY HISTORY", "Brother (Callum D.) - B-ALL at age 9 (2013); received tisagenlecleucel (CTL019)",
     "HISTORY", "No CAR-T cell infusion."],
    ["NOTE", "He asked about CAR-T after his neighbor.was treated with Breyanzi for lymphoma last year;",
     "he has had no CAR-T or other cell therapy himself."],
    ["NOTE", "He has nat received any CAR T-cell product."],
])
def test_no_prior_car_t_in_other_layouts(nlp, lines):
    pages = build_packet([*lines, *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_not_knowing_what_was_infused_leaves_prior_car_t_open(nlp):
    pages = build_packet(["LETTER", "Regarding prior cellular therapy: I want to be transparent that I cannot "
                                    "tell you today whether the 2024 investigational infusion was a CAR T-cell "
                                    "product. If the records show that it was, I understand that would change "
                                    "the review.",
                          "Apart from that study she has had no cellular therapy of any kind."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is None


@pytest.mark.parametrize("lines", [
    # an OCR accent on a cue word
    ["NOTE", "He has therefore néver received a CAR-T infusion of any kind."],
    # a speck after the negator
    ["CHECKLIST", "- Prior CAR-T: none - never. infused with any CAR-T product, commercial or investigational."],
    # one denied subject, its kinds listed, then the shared verb
    ["LETTER", "She is CAR-T naive: no CAR T-cell product, approved or investigational, has ever been infused."],
    # a form item that asks with "ever", without a question mark
    ["FORM", "3. Member has EVER received a CAR-T product (commercial OR clinical trial)",
     "NOTE", "She has not had any CAR-T cell product to date."],
    # an order cancelled after collection
    ["MED HISTORY", "09/16/25 LEUKAPHERESIS (CAR-T collection) done 09/16/25, cells shipped to manufacturer",
     "09/16/25 brexucabtagene autoleucel (Tecartus) CANCELLED 11/03/25 - NOT ADMINISTERED"],
    # an outside record quoted and corrected
    ["RECONCILIATION", '- The outside problem list carries "s/p CAR-T (brexu-cel) 2025". This entry is wrong: the '
                       "apheresis and pharmacy records confirm collection only."],
    # a condition around the administration
    ["LETTER", "If those records show that he received a CD19-directed CAR-T product, we would not proceed.",
     "He has never had CAR-T cells."],
])
def test_no_prior_car_t_in_more_layouts(nlp, lines):
    pages = build_packet([*lines, *_HISTORY])
    assert extract_fields(pages, nlp)["prior_car_t"].value is False


def test_a_dated_named_product_it_relapsed_after_is_a_prior_car_t(nlp):
    pages = build_packet(["FORM", "3. Has the patient previously received CAR-T cell therapy?  [x] No"],
                         ["NOTE", "Relapsed B-ALL, now relapsed after prior CD19 CAR-T on trial (KTE-X19, 2023) with a "
                                  "durable remission of about 2 years."])
    assert extract_fields(pages, nlp)["prior_car_t"].value is True


def test_admission_as_a_contingency_is_no_inpatient_request(nlp):
    pages = build_packet(["LETTER", "We plan to begin treatment on or about July 8, 2026, in the outpatient cellular "
                                    "therapy unit.",
                          "Our inpatient unit is on the same campus if admission becomes necessary."])
    assert extract_fields(pages, nlp)["setting"].value == "outpatient"


def test_a_clause_with_its_own_subject_ends_a_denial(nlp):
    pages = build_packet(["LETTER", "I examined her (no active infection, no CNS disease), and based on that assessment "
                                    "I have determined that administering obe-cel in our outpatient setting is "
                                    "clinically appropriate for her."])
    fields = extract_fields(pages, nlp)
    assert fields["outpatient_appropriate_attested"].value is True
    assert fields["setting"].value == "outpatient"
