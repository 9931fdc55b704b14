"""Calibration: `intake calibrate` fitted on real assessor output lowers the calibration error on
packets it never saw; versions are numbered and the newest one is what new results get."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extraction.errors import ConfigurationError
from assessment.config import AssessmentConfig
from assessment.pipeline import Assessor
from intake.settings import Settings
from quality.calibration import (DEFAULT_CALIBRATION_PATH, Calibration, default_calibration_path, fit_platt,
                                 load_calibration, newest_calibration_path, save_calibration, save_version)

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
# All five digital packets and five faxed ones (two TIFF, three image-only PDF) of the eval set.
SUBSET = ["eval-001.pdf", "eval-002.pdf", "eval-003.pdf", "eval-004.tif", "eval-005.pdf",
          "eval-006.tif", "eval-008.pdf", "eval-015.pdf", "eval-022.pdf", "eval-029.pdf"]
FIELDS_PER_PACKET = 14


def _labelled_subset(directory: Path) -> Path:
    directory.mkdir()
    rows = [json.loads(line) for line in (SAMPLES / "truth.jsonl").read_text().splitlines() if line.strip()]
    chosen = [row for row in rows if row["file"] in SUBSET]
    (directory / "truth.jsonl").write_text("".join(json.dumps(row) + "\n" for row in chosen))
    for row in chosen:
        (directory / row["file"]).symlink_to(SAMPLES / row["file"])
    return directory


@pytest.mark.slow
def test_calibration_lowers_ece_on_held_out_packets(tmp_path):
    labelled = _labelled_subset(tmp_path / "labelled")
    out = tmp_path / "calibration"
    run = subprocess.run([sys.executable, "-m", "intake.cli", "calibrate", "--from", "labelled", str(labelled),
                          "--holdout", "0.4", "--out", str(out), "--workers", "2"],
                         cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr
    path = out / "field-calibration-v0001.json"
    calibration = load_calibration(path)
    held_out = calibration.evaluation
    # Four whole packets held out, six fitted: no packet's fields are on both sides.
    assert held_out["packets"] == 4 and held_out["samples"] == 4 * FIELDS_PER_PACKET
    assert calibration.samples == 6 * FIELDS_PER_PACKET
    assert held_out["ece_after"] < held_out["ece_before"]
    assert f"ECE before {held_out['ece_before']:.4f}, after {held_out['ece_after']:.4f}" in run.stdout
    assert calibration.kind == "isotonic" and "6 fitted, 4 held out" in calibration.source


def test_new_results_use_the_newest_version(tmp_path):
    settings = Settings(data_dir=tmp_path)
    directory = settings.calibration_dir_resolved
    # No version fitted yet: the map committed for the engine
    assert settings.calibration_path() in (None, default_calibration_path(settings.ocr_engine))

    def flat(level: float) -> Calibration:
        return Calibration(kind="isotonic", thresholds=((0.0, level), (1.0, level)),
                           fitted_at="2026-11-28T00:00:00+00:00", samples=2, ocr_engine=settings.ocr_engine)

    save_version(flat(0.2), directory)
    second = save_version(flat(0.4), directory)
    assert second.name == "field-calibration-v0002.json" and settings.calibration_path() == second
    assessor = Assessor(settings.assessment_config())
    pdf = (SAMPLES / "eval-001.pdf").read_bytes()
    result = assessor.extract(pdf, "eval-001.pdf").to_dict()
    assert result["calibration"] == second.name
    assert {f["confidence"] for f in result["fields"].values()} == {0.4}
    assert all(0 < f["raw_confidence"] <= 1 for f in result["fields"].values())

    third = save_version(flat(0.6), directory)  # what a worker does before each packet analysis
    assessor.use_calibration(settings.calibration_path())
    result = assessor.extract(pdf, "eval-001.pdf").to_dict()
    assert result["calibration"] == third.name == newest_calibration_path(directory).name
    assert {f["confidence"] for f in result["fields"].values()} == {0.6}


def test_platt_map_is_monotone_and_round_trips(tmp_path):
    confidences = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99]
    correct = [False, False, True, False, True, True, False, True, True, True]
    platt = fit_platt(confidences, correct)
    ys = [y for _, y in platt.thresholds]
    assert platt.kind == "platt" and ys == sorted(ys) and 0 < ys[0] < ys[-1] < 1
    path = tmp_path / "platt.json"
    save_calibration(platt, path)
    assert load_calibration(path).apply(0.75) == pytest.approx(platt.apply(0.75))

    raw = json.loads(path.read_text()) | {"kind": "histogram"}
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigurationError, match="kind"):
        load_calibration(path)


def test_each_ocr_engine_gets_a_map_fitted_on_its_own_confidences(tmp_path):
    """A version fitted under one engine is never applied to the other's word confidences; each
    engine falls back to the map committed for it."""
    def version(engine: str, level: float) -> Path:
        return save_version(Calibration(kind="isotonic", thresholds=((0.0, level), (1.0, level)),
                                        fitted_at="2026-12-04T00:00:00+00:00", samples=2, ocr_engine=engine),
                            tmp_path / "calibration")

    tesseract = Settings(data_dir=tmp_path, ocr_engine="tesseract")
    tesserocr = Settings(data_dir=tmp_path, ocr_engine="tesserocr")
    assert tesseract.calibration_path() == DEFAULT_CALIBRATION_PATH  # committed with the repo
    assert tesserocr.calibration_path() == default_calibration_path("tesserocr")
    assert default_calibration_path("tesserocr").exists()
    older = version("tesseract", 0.3)
    newer = version("tesserocr", 0.7)
    assert tesseract.calibration_path() == older and tesserocr.calibration_path() == newer
    assert load_calibration(tesserocr.assessment_config().calibration_path).ocr_engine == "tesserocr"
    assert AssessmentConfig(ocr_engine="tesseract").calibration_path == DEFAULT_CALIBRATION_PATH
    assert AssessmentConfig(ocr_engine="tesserocr").calibration_path == default_calibration_path("tesserocr")
    assert AssessmentConfig(ocr_engine="tesserocr", calibration_path=None).calibration_path is None
