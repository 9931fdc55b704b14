"""The stored assessment is a typed record: what the service keeps in its database reads back as the
same objects (fields, criteria with evidence, page summaries), and a corrupt row is refused loudly."""
from __future__ import annotations

import pytest

from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from assessment.record import AssessmentRecord
from page_builders import build_packet


@pytest.fixture(scope="module")
def assessor():
    return Assessor(AssessmentConfig(page_workers=1, ner_model=None))


@pytest.fixture(scope="module")
def stored(assessor):
    pages = build_packet(["PRIOR AUTHORIZATION - CELLULAR THERAPY",
                          "Patient: Owen T. Marsh  DOB: 1969-03-07  Member ID: CP 604 583 127",
                          "Diagnosis: B-cell precursor ALL, relapsed  ICD-10 C91.02",
                          "Product: obecabtagene autoleucel (Aucatzyl)  HCPCS Q2058",
                          "Site of care: [[x]] Hospital outpatient [[ ]] Inpatient",
                          "No prior CAR-T therapy."])
    return assessor.analyze(pages, "marsh.pdf").to_dict()


def test_the_stored_result_reads_back_without_loss(stored):
    record = AssessmentRecord.from_dict(stored)
    assert record.to_dict() == stored
    assert AssessmentRecord.from_dict(record.to_dict()) == record
    assert record.fields["member_id"].value == "CP604583127"
    assert record.fields["member_id"].evidence[0].bbox is not None
    assert record.criterion("no_prior_car_t").status == "met"
    assert record.page_details[0].page == 1


def test_a_row_with_an_unknown_status_is_refused(stored):
    broken = dict(stored, criteria=[dict(stored["criteria"][0], status="approved")])
    with pytest.raises(ValueError, match="unknown status"):
        AssessmentRecord.from_dict(broken)


def test_a_misfiled_and_a_blank_page_are_named_in_the_result_and_kept_in_the_record(assessor):
    request = ["PRIOR AUTHORIZATION - CELLULAR THERAPY",
               "Patient: Rosa M. Delgado  DOB: 04/02/1971  Member ID: CP 123 456 789",
               "Diagnosis: B-cell precursor ALL, relapsed  ICD-10 C91.02",
               "Product: obecabtagene autoleucel (Aucatzyl)  HCPCS Q2058"]
    note = ["Progress Note", "Patient: Rosa M. Delgado  DOB: 04/02/1971", "No prior CAR-T therapy."]
    misfiled = ["Post-CAR-T follow-up visit", "Patient: FENNIMORE, Lloyd G.  DOB 02/11/1952",
                "74M with DLBCL s/p tisagenlecleucel (Kymriah) 11/18/2025, now Day +163."]
    result = assessor.analyze(build_packet(request, note, misfiled, []), "delgado.pdf")
    assert result.other_patient_pages == [3]
    assert result.blank_pages == [4]
    assert result.fields["prior_car_t"].value is False  # the other patient's therapy is not hers
    record = AssessmentRecord.from_dict(result.to_dict())
    assert (record.other_patient_pages, record.blank_pages) == ([3], [4])
    assert record.to_dict() == result.to_dict()
    older = {key: value for key, value in result.to_dict().items() if key != "other_patient_pages"}
    assert AssessmentRecord.from_dict(older).other_patient_pages == []  # rows stored before the key
