"""One faxed packet per request layout of the blind-authored dev part, read end to end (render,
fax, OCR, extraction, policy): a plan's CAR-T form, a state-standard medication PA form, a letter
with no form, and an EHR print-out with an order sheet."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from synthetic.source_packets import render_folder

DEV = Path(__file__).resolve().parent.parent / "corpus" / "blind" / "dev"
LAYOUTS = {  # packet -> its request layout and fax format
    "dA/dA-01": "plan-specific CAR-T form, fine-resolution fax PDF",
    "dB/dB-02": "state-standard medication PA form, G3 TIFF",
    "dB/dB-01": "letter of medical necessity, fine-resolution fax PDF",
    "dA/dA-02": "EHR print-out with order sheet, G4 TIFF",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    src = tmp_path_factory.mktemp("sources")
    for name in LAYOUTS:
        shutil.copy(DEV / f"{name}.packet", src)
    out = tmp_path_factory.mktemp("faxes")
    return out, {r["file"].rsplit(".", 1)[0]: r for r in render_folder(src, out)}


@pytest.fixture(scope="module")
def assessor():
    return Assessor(AssessmentConfig(page_workers=2))


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_each_layout_reads_to_the_right_recommendation(rendered, assessor, name):
    folder, truth = rendered
    record = truth[name.split("/")[1]]
    result = assessor.extract((folder / record["file"]).read_bytes(), record["file"])
    criteria = {c.id: c.status for c in result.criteria}
    assert criteria == record["criteria"], json.dumps(record["why"])
    assert result.recommendation == record["recommendation"]
    assert result.fields["member_id"].value == record["fields"]["member_id"]
