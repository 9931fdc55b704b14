"""Fifteenth round (test-14 read after its first run), each a class seen on offices' packets: a
family-history row naming the relative's age before the therapy ("Sister, 47, treated with
axicabtagene ciloleucel"), a question mark the fax left in a later sentence of the same line, and
a step taken "prior to cellular therapy" (the therapy still to come). Built pages; no OCR."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet, placed_mentions

_REQUEST = ["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Request date: 03/02/2026",
            "Patient: Rosa M. Lindqvist   DOB: 04/11/1961", "Drug: Aucatzyl (obecabtagene autoleucel)",
            "Treatment history: hyper-CVAD 2024, blinatumomab 2025, inotuzumab 2026."]


def _placements(nlp, lines: list[str]) -> list:
    return placed_mentions(nlp, _REQUEST, lines)


def test_a_relatives_row_with_an_age_before_the_therapy_is_the_relatives(nlp):
    from extraction.therapy_placement import Placement
    placed = _placements(nlp, ["Sister, 47, treated with axicabtagene ciloleucel (Yescarta) for DLBCL in 2023."])
    assert placed and all(p.placement is Placement.OTHER_PERSON for p in placed)


def test_a_question_mark_in_a_later_sentence_does_not_make_a_denial_a_question(nlp):
    prior = extract_fields(build_packet(_REQUEST + [
        "He has therefore never been infused with any CAR T-cell product. Marrow 06/22: CD19 bright?"]),
        nlp)["prior_car_t"]
    assert prior.value is False and prior.confidence >= 0.85  # the denial, not the silent history


def test_a_step_prior_to_cellular_therapy_is_no_administration(nlp):
    from extraction.therapy_placement import Placement
    placed = _placements(nlp, ["CLINICAL HISTORY: Relapsed B-ALL, status post blinatumomab and inotuzumab: Assess",
                               "disease burden and CD19 expression prior to cellular therapy."])
    assert placed and all(p.placement is not Placement.RECEIVED and p.placement is not Placement.UNKNOWN
                          for p in placed)


def test_a_step_still_under_consideration_after_car_t_implies_nothing_given(nlp):
    prior = extract_fields(build_packet(_REQUEST + [
        "She has never had CAR-T therapy and has not been transplanted. Transplant remains a",
        "consideration after response to CAR-T; a haploidentical donor (son) has been typed."]), nlp)["prior_car_t"]
    assert prior.value is False


def test_an_item_number_read_with_a_speck_and_a_comma_opens_its_own_row(nlp):
    from extraction.statements import statement_units
    from extraction.text import PacketText
    text = PacketText.from_pages(build_packet(_REQUEST + [
        "1. Prescriber assessed patient; outpatient use clinically appropriate   [x]   [ ]",
        "\u201c2, Patient meets/understands post-infusion safety & monitoring    [ ]   [ ]"]))
    units = [text.text[a:b] for a, b in statement_units(text)]
    assert any(u.startswith("\u201c2, Patient meets") for u in units)


@pytest.mark.parametrize("line", ["Subscriber No.: CP221. 908 476   DOB: 04/30/1975",
                                  "Member ID: \u00a2P221908476   Date of birth: 04/30/1975"])
def test_a_member_id_with_a_speck_beside_its_separator_or_its_c_misread(nlp, line):
    pages = build_packet(["CELLULAR THERAPY PRIOR AUTHORIZATION REQUEST", "Patient: Harriet O. Penhallow", line,
                          "Drug: Aucatzyl (obecabtagene autoleucel)"])
    assert extract_fields(pages, nlp)["member_id"].value == "CP221908476"


def test_a_lone_y_in_the_column_of_a_circled_answer_is_a_printed_choice_left_unmarked(nlp):
    # "((Y))  N" and "Y  N" as faxed: the circled Y read as a ring, every "N" of the column lost.
    first = "Prescriber assessed pt; outpatient admin clinically appropriate , :"
    second = "Pt meets & understands post-infusion safety / monitoring reqs : :"
    width = max(len(first), len(second)) + 4
    pages = build_packet(_REQUEST + ["Setting: outpatient", "Outpatient attestation (circle Y or N)",
                                     first.ljust(width) + "(\u00a9)", second.ljust(width + 1) + "Y"])
    fields = extract_fields(pages, nlp)
    assert fields["safety_monitoring_attested"].value is None


def test_a_lone_y_written_after_its_row_still_answers_yes(nlp):
    pages = build_packet(_REQUEST + ["Setting: outpatient",
                                     "Pt meets & understands post-infusion safety / monitoring reqs : : Y"])
    assert extract_fields(pages, nlp)["safety_monitoring_attested"].value is True
