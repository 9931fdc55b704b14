"""Each packet is judged by the policy its request names: the HCPCS code read from the packet, or
the policy named at upload; a packet that names no governed code gets the configured default (and
says so); codes that match two policies leave the choice to a reviewer. A new policy is one file."""
from __future__ import annotations

import dataclasses

import pytest

from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from assessment.policy_choice import UnknownPolicy
from assessment.record import AssessmentRecord
from page_builders import build_packet
from policy_folders import policy_folder

NOTE = ["Progress note", "Patient: Rosa M. Delgado  DOB: 04/02/1971  Member ID: CP 123 456 789",
        "Diagnosis: relapsed B-cell precursor ALL (C91.02). She has never received CAR-T therapy.",
        "Setting: inpatient admission for the infusion. Planned Day 1: 10/05/2026"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("policies")
    return {"yescarta": policy_folder(tmp, "yescarta-test-1", "Q2041", "axicabtagene ciloleucel"),
            "twin": policy_folder(tmp, "aucatzyl-twin-1", "Q2058", "obecabtagene autoleucel")}


def _assessor(*folders) -> Assessor:
    return Assessor(dataclasses.replace(AssessmentConfig(page_workers=1), ner_model=None, calibration_path=None,
                                        policy_dirs=tuple(folders)))


@pytest.fixture(scope="module")
def assessor(folders):
    return _assessor(folders["yescarta"])


def _request(code_line: str):
    return build_packet(NOTE + [code_line])


def test_the_requested_code_chooses_the_policy_and_the_result_records_it(assessor):
    result = assessor.analyze(_request("Product: Yescarta (axicabtagene ciloleucel)  HCPCS Q2041"), "p")
    assert (result.policy.id, result.policy.chosen_by) == ("yescarta-test-1", "hcpcs Q2041")
    assert result.policy.version and result.criteria
    stored = result.to_dict()["policy"]
    assert stored == {"id": "yescarta-test-1", "version": result.policy.version, "name": result.policy.name,
                      "chosen_by": "hcpcs Q2041", "basis": "payer guideline"}
    assert AssessmentRecord.from_dict(result.to_dict()).policy == result.policy  # round trip


def test_aucatzyls_code_still_chooses_aucatzyl(assessor):
    result = assessor.analyze(_request("Product: Aucatzyl (obecabtagene autoleucel)  HCPCS Q2058"), "p")
    assert result.policy.id == "aucatzyl-2025-07"
    assert not any("policy" in n for n in result.notices)


def test_a_packet_naming_no_governed_code_gets_the_default_and_says_so(assessor):
    result = assessor.analyze(_request("Product: obecabtagene autoleucel"), "p")
    assert (result.policy.id, result.policy.chosen_by) == ("aucatzyl-2025-07", "default (no governed code read)")
    assert any("applied by default" in n for n in result.notices)


def test_the_policy_named_at_upload_wins_over_the_code(assessor):
    result = assessor.analyze(_request("HCPCS Q2058"), "p", policy_id="yescarta-test-1")
    assert (result.policy.id, result.policy.chosen_by) == ("yescarta-test-1", "upload")
    with pytest.raises(UnknownPolicy, match="known: "):
        assessor.analyze(_request("HCPCS Q2058"), "p", policy_id="no-such-policy")


def test_codes_matching_two_policies_are_left_to_a_reviewer(folders):
    result = _assessor(folders["yescarta"], folders["twin"]).analyze(_request("HCPCS Q2058"), "p")
    assert result.policy is None and result.criteria == []
    assert result.recommendation == "needs_more_information"
    assert any("a reviewer picks one" in n and "aucatzyl-twin-1" in n for n in result.notices)
    assert AssessmentRecord.from_dict(result.to_dict()).policy is None


def test_a_result_stored_before_policies_were_objects_still_reads():
    legacy = {"source": "s", "pages": 0, "fields": {}, "criteria": [], "recommendation": "meets_criteria",
              "policy": "aucatzyl-2025-07"}
    assert AssessmentRecord.from_dict(legacy).policy.id == "aucatzyl-2025-07"


def test_a_request_for_another_product_never_reads_that_product_as_prior_therapy(assessor):
    pages = build_packet(["Progress note", "Patient: Rosa M. Delgado  DOB: 04/02/1971",
                          "Diagnosis: relapsed B-cell precursor ALL (C91.02).",
                          "Yescarta (axicabtagene ciloleucel) infusion on 11/02/2026, Day 0. HCPCS Q2041.",
                          "No prior CAR-T."])
    result = assessor.analyze(pages, "p")
    assert result.policy.id == "yescarta-test-1"
    assert result.fields["prior_car_t"].value is False
    assert next(c for c in result.criteria if c.id == "no_prior_car_t").status == "met"
