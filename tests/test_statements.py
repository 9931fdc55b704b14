"""Provider statements and form answers read by meaning and layout, on built pages: the plan's
own wording, boxes after the text, Yes/No columns, circled answers, unmarked questions, prose
that defers the attestation; plus diagnosis lineage and the plan's member ID shape."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from page_builders import build_packet
from rules.evaluator import evaluate
from rules.policy import load_policy

HEADER = [
    "PRIOR AUTHORIZATION - CELLULAR THERAPY",
    "Patient: Owen T. Marsh  DOB: 1969-03-07  Member ID: CP 604 583 127",
    "Diagnosis: B-cell precursor ALL, relapsed  ICD-10 C91.02",
    "Product: obecabtagene autoleucel (Aucatzyl)  HCPCS Q2058  Planned Day 1: 06/08/2026",
    "Site of care: [[x]] Hospital outpatient [[ ]] Inpatient",
    "No prior CAR-T therapy.",
]


@pytest.fixture(scope="module")
def nlp(rules_nlp):
    return rules_nlp


def attestations(nlp, *lines: str) -> tuple:
    fields = extract_fields(build_packet(HEADER + list(lines)), nlp)
    return fields["outpatient_appropriate_attested"].value, fields["safety_monitoring_attested"].value


def test_statements_in_the_plans_own_words_with_boxes_before_them(nlp):
    assert attestations(
        nlp,
        "[[x]] I attest that I have assessed the member and that, in my clinical judgment, administering",
        "      Aucatzyl in an outpatient setting is clinically appropriate for this member.",
        "[[x]] The patient meets, and has been educated on and understands, the requirements for safety",
        "      and monitoring after the infusion.") == (True, True)


def test_boxes_after_the_statement_ticked_and_left_empty(nlp):
    assert attestations(
        nlp,
        "7a. I have assessed this member in person; the outpatient setting is clinically appropriate. [[x]]",
        "7b. The member satisfies the center's safety and post-infusion monitoring requirements. [[ ]]",
    ) == (True, False)


def _row(text: str, yes: str, no: str) -> str:
    """A table row whose two boxes stand under the Yes and No heads (columns 90 and 96)."""
    return f"{text:<89} [[{yes}]] [[{no}]]"


def test_yes_no_columns_under_their_heads(nlp):
    assert attestations(
        nlp,
        f"{'Question':<90}Yes   No",
        _row("7 Has the prescriber judged outpatient administration clinically appropriate?", "x", " "),
        _row("8 Does the member meet and understand the post-infusion monitoring requirements?", " ", "x"),
    ) == (True, False)


def test_circled_answers_and_a_question_with_neither_answer_circled(nlp):
    assert attestations(
        nlp,
        "5. If outpatient: has the prescriber assessed the patient and found outpatient",
        "   administration clinically appropriate? ((Yes)) No",
        "6. Does the patient meet and understand the safety and monitoring requirements? Yes No",
    ) == (True, None)


def test_prose_attestations_count_and_a_deferred_one_does_not(nlp):
    made = attestations(nlp, "I assessed her today: outpatient administration is clinically appropriate.",
                        "She and her husband attended teaching and understand the post-infusion monitoring plan.")
    deferred = attestations(nlp, "I assessed her today: outpatient administration is clinically appropriate.",
                            "Our nurse will review the post-infusion safety and monitoring requirements with her",
                            "at a teaching visit next month.")
    assert made == (True, True)
    assert deferred == (True, None)


def test_policy_text_quoting_the_attestations_is_not_an_attestation(nlp):
    policy = ["Medical Necessity Guideline excerpt",
              "The provider attests that outpatient administration is clinically appropriate.",
              "The provider attests that the Member meets and understands the requirements of safety and monitoring."]
    fields = extract_fields(build_packet(HEADER, policy), nlp)
    assert fields["outpatient_appropriate_attested"].value is None
    assert fields["safety_monitoring_attested"].value is None


def _criteria(nlp, *pages):
    fields = extract_fields(build_packet(*pages), nlp)
    return fields, {c.id: c.status for c in evaluate(load_policy(), fields).criteria}


def test_an_all_code_with_no_lineage_anywhere_is_insufficient_not_unmet(nlp):
    form = [line.replace("B-cell precursor ALL, relapsed", "Acute lymphoblastic leukemia, relapsed") for line in HEADER]
    fields, criteria = _criteria(nlp, form, ["Progress Note", "Immunophenotype pending; outside flow requested."])
    assert fields["diagnosis"].value == "ALL, lineage unspecified"
    assert criteria["diagnosis_b_all"] == "insufficient_evidence"


def test_a_products_indication_is_not_the_patients_diagnosis(nlp):
    form = [line.replace("B-cell precursor ALL, relapsed", "Acute lymphoblastic leukemia, relapsed") for line in HEADER]
    note = ["Progress Note", "Lineage not yet established; obe-cel is the preferred option (adult R/R B-ALL label)."]
    fields, _ = _criteria(nlp, form, note)
    assert fields["diagnosis"].value == "ALL, lineage unspecified"


@pytest.mark.parametrize("wording, expected", [
    ("T-lymphoblastic leukemia (cytoplasmic CD3+), aberrant partial CD19", "not_met"),
    ("Burkitt leukemia/lymphoma, historically called mature B-cell ALL (FAB L3)", "not_met"),
    ("pre-B ALL, Ph-like", "met"),
    ("B-lymphoblastic leukemia/lymphoma, NOS", "met"),
])
def test_lineage_named_in_the_pathology_decides(nlp, wording, expected):
    form = [line.replace("B-cell precursor ALL, relapsed", "ALL, relapsed") for line in HEADER]
    _, criteria = _criteria(nlp, form, ["Pathology", f"Diagnosis: {wording}."])
    assert criteria["diagnosis_b_all"] == expected


def test_the_plans_member_id_shape_is_read_under_any_label(nlp):
    for label in ("Subscriber ID", "ID #", "Member #", "Policy No."):
        page = [line.replace("Member ID: CP 604 583 127", f"{label} CP-604-583-127") for line in HEADER]
        assert extract_fields(build_packet(page), nlp)["member_id"].value == "CP604583127"


def test_a_numbered_item_keeps_its_boxes_whatever_full_stop_ocr_put_inside(nlp):
    assert attestations(
        nlp,
        "                                                                     YES    NO",
        "F1. I assessed him; outpatient administration is appropriate.        [[x]]    [[ ]]",
        "F2. The member has been taught, and understands and is able to meet. [[x]]    [[ ]]",
        "the post-infusion safety and monitoring requirements (stay within the required distance,",
        "24-hour caregiver, no driving).") == (True, True)


def test_yes_no_cells_on_the_first_line_of_a_wrapped_question(nlp):
    assert attestations(
        nlp,
        "                                                                         Yes    No",
        "6. Outpatient administration: has the prescriber assessed the patient   [[x]]   [[ ]]",
        "   and determined that outpatient administration is clinically appropriate?",
        "7. Outpatient administration: does the patient meet, and understand, the   [[ ]]   [[ ]]",
        "   requirements for safety and monitoring after the infusion?") == (True, None)


def test_words_before_their_boxes_none_marked_is_an_open_question(nlp):
    assert attestations(
        nlp,
        "Patient meets and understands post-infusion safety and   Yes [[ ]]   No [[ ]]",
        "monitoring requirements (caregiver, proximity, driving)")[1] is None


def test_a_form_question_whose_answer_cannot_be_read_asserts_nothing(nlp):
    assert attestations(
        nlp,
        "9. Does the member meet, and understand, the requirements for safety and monitoring",
        "   after the infusion (caregiver, distance from the center, monitoring schedule)?")[1] is None


def test_columns_read_across_assert_nothing(nlp):
    assert attestations(
        nlp,
        "Will Has Is If not not the the the inpatient: inpatient: drug drug member safety monitoring meets [[ ]]",
        "Having assessed her today, I consider outpatient administration clinically appropriate.",
        "She and her mother attended teaching and understand the post-infusion monitoring and safety rules.",
    ) == (True, True)


def test_a_safety_plan_the_patient_agrees_to_is_the_safety_attestation(nlp):
    assert attestations(
        nlp,
        "She can safely receive obe-cel in the outpatient setting.",
        "She understands and agrees to remain within 2 hours of the treatment center for 4 weeks with a",
        "24-hour caregiver.") == (True, True)


def test_a_note_saying_lineage_is_open_outweighs_the_forms_tick(nlp):
    fields = extract_fields(build_packet([
        "PRIOR AUTHORIZATION - CELLULAR THERAPY",
        "Patient: Owen T. Marsh  DOB: 1969-03-07  Member ID: CP 604 583 127",
        "Diagnosis and ICD-10: acute lymphoblastic leukemia in relapse, C91.02",
        "b. Diagnosis of relapsed or refractory B-cell precursor ALL  [[x]] Yes  [[ ]] No",
        "ASSESSMENT: Relapsed acute lymphoblastic leukemia; lineage to be confirmed, flow pending.",
    ]), nlp)
    assert fields["diagnosis"].value == "ALL, lineage unspecified"


def test_member_id_read_through_ocr_letter_confusion(nlp):
    fields = extract_fields(build_packet(["Member ID: GP 319044872   Date of birth: 06/30/1996"]), nlp)
    assert fields["member_id"].value == "CP319044872"


@pytest.mark.parametrize("line, expedited", [
    ("Expedited review requested? [[ ]] (check only if the standard timeframe could jeopardize health)", False),
    ("Request type (circle): ((Standard)) Expedited", False),
    ("Request type (circle): Standard ((Expedited))", True),
    ("URGENT - expedited review requested: patient in relapse.", True),
])
def test_expedited_only_when_asked_for(nlp, line, expedited):
    fields = extract_fields(build_packet(HEADER + [line]), nlp)
    assert fields["expedited"].value is expedited


def test_a_form_section_titled_coverage_criteria_is_the_form_not_attached_text(nlp):
    fields = extract_fields(build_packet(HEADER + [
        "F. Coverage criteria (mark one box per line)",
        "[[x]] Patient is 18 years of age or older",
        "Signature: Hana Reed DO   Date: 05/12/2026",
    ]), nlp)
    assert fields["request_date"].value == "2026-05-12"


def test_a_statement_wrapped_in_a_narrow_column_keeps_its_yes_box_on_its_first_line(nlp):
    appropriate, safety = attestations(
        nlp,
        "M. The prescriber has assessed the member and determined  Yes [[x]]  No [[ ]]",
        "   that outpatient administration is clinically",
        "   appropriate.",
        "N. The member meets and understands the requirements of  Yes [[ ]]  No [[x]]",
        "   safety and monitoring after the infusion.")
    assert (appropriate, safety) == (True, False)


def test_a_wrapped_question_with_its_yes_no_boxes_mid_way(nlp):
    appropriate, safety = attestations(
        nlp,
        "5. (Outpatient only) Has the prescriber assessed the  [[x]] Yes  [[ ]] No",
        "   member and determined that outpatient administration",
        "   is clinically appropriate?",
        "6. (Outpatient only) Does the member meet and  [[x]] Yes  [[ ]] No",
        "   understand the safety and monitoring requirements",
        "   after infusion?",
        "7. Is this request urgent?  [[ ]] Yes  [[x]] No")
    assert (appropriate, safety) == (True, True)


def test_an_item_whose_letter_ocr_lost_is_still_its_own_row(nlp):
    appropriate, _ = attestations(
        nlp,
        "H. Prescriber has assessed the patient and determined that  [[x]]  [[ ]]  [[ ]]",
        "outpatient administration is clinically appropriate",
        "|, Patient meets and understands post-infusion safety and  [[x]]  [[ ]]  [[ ]]",
        "monitoring requirements (proximity, caregiver, no driving)",
        "J. Step therapy / formulary alternative tried  [[ ]]  [[ ]]  [[x]]")
    assert appropriate is True


def test_a_judgement_that_it_is_appropriate_is_made_not_deferred(nlp):
    appropriate, _ = attestations(nlp, "Having assessed her, I consider outpatient administration of Aucatzyl",
                                  "to be clinically appropriate, with daily visits for two weeks.")
    assert appropriate is True


def test_yes_no_na_cells_before_each_statement_under_y_n_heads(nlp):
    appropriate, safety = attestations(
        nlp,
        "6  CLINICAL QUESTIONS  (mark Y, N or NA before each statement)",
        "Y     N     NA",
        "[[x]] [[ ]] [[ ]]  g. In my clinical judgment it is safe and appropriate to give this infusion",
        "                  in the outpatient setting.",
        "[[ ]] [[x]] [[ ]]  h. Patient and caregiver understand and agree to the post-infusion",
        "                  monitoring plan (24-hour caregiver, stay within 2 hours).")
    assert (appropriate, safety) == (True, False)


def test_a_filled_cell_whose_ink_ocr_read_as_letters_is_still_the_answer(nlp):
    appropriate, safety = attestations(
        nlp,
        " " * 70 + "Yes       No    N/A",
        "7. If outpatient: has the prescriber assessed the patient and".ljust(70) + "[[x]] iil [[ ]] [[ ]]",
        "determined outpatient administration is clinically appropriate?",
        "8. If outpatient: does the patient meet and understand the".ljust(70) + "[[x]] iil [[ ]] [[ ]]",
        "post-infusion safety and monitoring requirements?")
    assert (appropriate, safety) == (True, True)


def test_a_supposed_lineage_leaves_the_lineage_open(nlp):
    fields = extract_fields(build_packet([
        "Clinic note", "Relapsed acute lymphoblastic leukemia, lineage not yet established; flow pending.",
        "- Await immunophenotype. If this is CD19-positive B-cell ALL, proceed with obe-cel."]), nlp)
    assert fields["diagnosis"].value == "ALL, lineage unspecified"
