"""Provider statements and form answers read by meaning and layout, on built pages: the plan's
own wording, boxes after the text, Yes/No columns, circled answers, unmarked questions, prose
that defers the attestation; plus diagnosis lineage and the plan's member ID shape."""
from __future__ import annotations

import pytest

from extraction.fields import extract_fields
from extraction.nlp import NlpConfig, build_pipeline
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
def nlp():
    return build_pipeline(NlpConfig(ner_model=None))


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
