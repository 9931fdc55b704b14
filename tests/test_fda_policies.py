"""The Kymriah and Tecartus policies (built from their FDA-approved indications, not from a payer's
guideline): an upper age limit and a disease-status criterion the Aucatzyl policy lacks, read from
built pages and chosen by the packet's own HCPCS code."""
from __future__ import annotations

import dataclasses

import pytest

from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from extraction.fields import extract_fields
from page_builders import build_packet
from rules.policy import POLICIES_DIR, load_policy


@pytest.fixture(scope="module")
def nlp(rules_nlp):
    return rules_nlp


@pytest.fixture(scope="module")
def assessor():
    return Assessor(dataclasses.replace(AssessmentConfig(page_workers=1), ner_model=None, calibration_path=None))


@pytest.mark.parametrize("name", ["kymriah.toml", "tecartus.toml"])
def test_each_says_it_is_built_from_the_fda_indication_not_a_payer_guideline(name):
    policy = load_policy(POLICIES_DIR / name)
    assert policy.policy.basis == "FDA-approved indication"
    assert "not a payer guideline" in policy.policy.name
    source = (POLICIES_DIR / policy.policy.source).read_text(encoding="utf-8")
    assert "not a payer's medical necessity guideline" in source and "Prescribing Information" in source


@pytest.mark.parametrize("line, status", [
    ("Now in second relapse after blinatumomab.", "second or later relapse"),
    ("Relapse #3, marrow 40% blasts.", "second or later relapse"),
    ("Primary refractory B-ALL: induction failure.", "refractory"),
    ("First marrow relapse 03/2026.", "first relapse"),
    ("Disease never went into remission despite two induction regimens.", "refractory"),
    ("She did not achieve a complete remission after hyper-CVAD.", "refractory"),
    ("Relapsed once, 20 months after CR1.", "first relapse"),
    ("Relapsed B-ALL.", "relapsed or refractory, not specified"),
    ("Diagnosis: relapsed or refractory B-cell precursor ALL.", "relapsed or refractory, not specified"),
])
def test_the_disease_status_the_packet_states(nlp, line, status):
    fields = extract_fields(build_packet(["Progress note", line]), nlp)
    assert fields["disease_status"].value == status


def _kymriah_request(birth: str, status_line: str) -> list:
    return build_packet(["CELLULAR THERAPY REQUEST", f"Patient: Noah P. Ferris  DOB: {birth}",
                         "Diagnosis: B-cell precursor ALL (C91.00).", status_line,
                         "Product: Kymriah (tisagenlecleucel)  HCPCS Q2042  Planned infusion date: 09/14/2026",
                         "He has never received CAR-T therapy."])


def test_a_kymriah_request_is_judged_by_the_kymriah_policy(assessor):
    result = assessor.analyze(_kymriah_request("03/02/2001", "Now in second relapse."), "p")
    assert (result.policy.id, result.policy.chosen_by) == ("kymriah-fda-2017-08", "hcpcs Q2042")
    statuses = {c.id: c.status for c in result.criteria}
    assert statuses == {"diagnosis_b_all": "met", "age_25_or_younger": "met", "refractory_or_second_relapse": "met"}
    assert result.fields["prior_car_t"].value is False  # its own product in the request is no history


@pytest.mark.parametrize("birth, status_line, criterion, status", [
    ("09/13/2000", "Now in second relapse.", "age_25_or_younger", "not_met"),  # 26 the day before the infusion
    ("09/15/2000", "Now in second relapse.", "age_25_or_younger", "met"),  # still 25 on the day
    ("03/02/2001", "First relapse 05/2026, in CR2 after inotuzumab.", "refractory_or_second_relapse", "not_met"),
    ("03/02/2001", "Relapsed B-ALL.", "refractory_or_second_relapse", "insufficient_evidence"),
])
def test_kymriahs_age_limit_and_disease_status(assessor, birth, status_line, criterion, status):
    result = assessor.analyze(_kymriah_request(birth, status_line), "p")
    assert {c.id: c.status for c in result.criteria}[criterion] == status


def test_a_tecartus_request_takes_any_relapse_in_an_adult(assessor):
    pages = build_packet(["CELLULAR THERAPY REQUEST", "Patient: Ada R. Kline  DOB: 07/19/1969",
                          "Diagnosis: B-cell precursor ALL, first relapse.",
                          "Product: Tecartus (brexucabtagene autoleucel)  HCPCS Q2053  Planned infusion date: 09/14/2026"])
    result = assessor.analyze(pages, "p")
    assert result.policy.id == "tecartus-fda-2021-10"
    assert {c.id: c.status for c in result.criteria} == {
        "diagnosis_b_all": "met", "age_18_or_older": "met", "relapsed_or_refractory": "met"}
