"""Either OCR engine (INTAKE_OCR_ENGINE) gives a reviewer the same thing: the words of a faxed page
with boxes and 0..1 confidences, the page turned upright, doubtful regions read again, and a packet
judged end to end. Real Tesseract, both as the executable (pytesseract) and in the process (tesserocr)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from PIL import Image

from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from extraction.documents import open_document
from extraction.errors import ConfigurationError, OcrEngineError
from extraction.limits import Limits
from extraction.ocr import ENGINE_NAMES, Layout, build_engine
from extraction.ocr_tesserocr import find_tessdata
from extraction.pages import read_page, turn_clockwise
from fax_fixtures import DOB, PRODUCT, faxed
from intake.settings import Settings
from quality.calibration import Calibration, load_calibration, save_calibration

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# A faxed TIFF packet of the eval split whose second page was fed sideways.
FAXED_PACKET = "eval-018.tif"


@pytest.fixture(scope="module", params=ENGINE_NAMES)
def engine(request):
    return build_engine(request.param)


@pytest.fixture(scope="module")
def fax_page(tmp_path_factory):
    """(upright 204-dpi fax page image, its dpi)."""
    data = faxed(tmp_path_factory.mktemp("fax"), "form.tif")
    with open_document(data, Limits()) as doc:
        raster = doc.raster(0)
        return raster.image, raster.dpi


def test_words_come_with_boxes_on_the_page_and_confidences_from_0_to_1(engine, fax_page):
    image, dpi = fax_page
    words = engine.read_words(image, dpi)
    texts = [w.text for w in words]
    assert DOB in texts and PRODUCT in texts
    width_pt, height_pt = image.width * 72 / dpi, image.height * 72 / dpi
    assert all(0 <= w.bbox.x0 < w.bbox.x1 <= width_pt + 0.01 and 0 <= w.bbox.y0 < w.bbox.y1 <= height_pt + 0.01
               for w in words)
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    dob = next(w for w in words if w.text == DOB)
    assert dob.confidence > 0.8
    # reading order: lines are numbered down the page
    assert [w.line for w in words] == sorted(w.line for w in words)


def test_both_engines_read_the_same_words(fax_page):
    image, dpi = fax_page
    readings = [{w.text for w in build_engine(name).read_words(image, dpi)} for name in ENGINE_NAMES]
    shared = readings[0] & readings[1]
    assert len(shared) >= 0.9 * max(len(r) for r in readings)


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_orientation_says_how_to_turn_the_page_upright(engine, fax_page, turned):
    image, dpi = fax_page
    assert engine.detect_orientation(turn_clockwise(image, turned), dpi) == (360 - turned) % 360
    assert engine.detect_orientation(image, dpi) == 0


def test_a_blank_page_has_no_words_and_no_orientation_evidence(engine):
    blank = Image.new("L", (1000, 1300), 255)
    assert engine.read_words(blank, 150) == []
    assert engine.detect_orientation(blank, 150) == 0


def test_a_region_cut_out_is_read_again_as_one_line(engine, fax_page):
    image, dpi = fax_page
    dob = next(w for w in engine.read_words(image, dpi) if w.text == DOB)
    scale = dpi / 72
    line = image.crop((0, int(dob.bbox.y0 * scale) - 8, image.width, int(dob.bbox.y1 * scale) + 8))
    reread = engine.read_words(line, dpi, Layout.LINE)
    assert DOB in [w.text for w in reread]
    assert len({w.line for w in reread}) == 1


def test_each_engine_reads_a_faxed_packet_end_to_end():
    truth = next(row for row in map(json.loads, (SAMPLES / "truth.jsonl").read_text().splitlines())
                 if row["file"] == FAXED_PACKET)
    data = (SAMPLES / FAXED_PACKET).read_bytes()
    for name in ENGINE_NAMES:
        assessor = Assessor(AssessmentConfig(page_workers=2, ocr_engine=name))
        result = assessor.extract(data, FAXED_PACKET)
        assert [p.method for p in result.pages] == ["ocr"] * truth["pages"], name
        assert [p.rotation for p in result.pages] == [0, 270, 0, 0], name
        assert {c.id: c.status for c in result.criteria} == truth["criteria"], name
        assert result.recommendation == truth["recommendation"], name


def test_tesserocr_times_out_as_a_retryable_engine_error(fax_page):
    image, dpi = fax_page
    with pytest.raises(OcrEngineError, match="did not finish within") as caught:
        build_engine("tesserocr", timeout_seconds=0.001).read_words(image, dpi)
    assert caught.value.retryable


def test_missing_language_data_is_a_configuration_error_at_start(tmp_path):
    with pytest.raises(ConfigurationError, match="'xx'"):
        build_engine("tesserocr", lang="xx")
    with pytest.raises(ConfigurationError, match="INTAKE_TESSDATA"):
        find_tessdata("eng", str(tmp_path))  # a configured folder without the language


def test_the_language_data_is_found_on_this_machine():
    assert (Path(find_tessdata("eng")) / "eng.traineddata").is_file()


def test_the_engine_is_a_setting(monkeypatch):
    monkeypatch.delenv("INTAKE_OCR_ENGINE", raising=False)
    assert Settings().ocr_engine == "tesserocr"  # installed with the project: the faster one is the default
    monkeypatch.setenv("INTAKE_OCR_ENGINE", "tesseract")
    assert Settings().assessment_config().ocr_engine == "tesseract"
    monkeypatch.setenv("INTAKE_OCR_ENGINE", "tesserocr")
    assert Settings().assessment_config().ocr_engine == "tesserocr"
    monkeypatch.setenv("INTAKE_OCR_ENGINE", "ocropus")
    with pytest.raises(ValueError):
        Settings()
    with pytest.raises(ConfigurationError, match="unknown OCR engine"):
        build_engine("ocropus")


def test_a_calibration_map_records_its_engine_and_warns_on_another(tmp_path, caplog):
    path = tmp_path / "map.json"
    save_calibration(Calibration(kind="isotonic", thresholds=((0.0, 0.2), (1.0, 0.9)), fitted_at="2026-12-01",
                                 samples=10, ocr_engine="tesserocr"), path)
    with caplog.at_level(logging.WARNING, logger="quality.calibration"):
        assert load_calibration(path, "tesserocr").ocr_engine == "tesserocr"
        assert not caplog.records
        load_calibration(path, "tesseract")
    assert "fitted on OCR engine 'tesserocr' but is applied to 'tesseract'" in caplog.text
    # a map written before the engine was recorded was fitted on the executable
    legacy = json.loads(path.read_text())
    del legacy["ocr_engine"]
    path.write_text(json.dumps(legacy))
    assert load_calibration(path).ocr_engine == "tesseract"
