"""The stored assessment is a typed record: what the service keeps in its database reads back as the
same objects (fields, criteria with evidence, page summaries), and a corrupt row is refused loudly."""
from __future__ import annotations

import pytest

from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from assessment.record import AssessmentRecord
from page_builders import build_packet


@pytest.fixture(scope="module")
def stored():
    assessor = Assessor(AssessmentConfig(page_workers=1, ner_model=None))
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
