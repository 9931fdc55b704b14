"""Metric definitions checked against figures computed by hand."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from extraction.errors import ConfigurationError
from quality.calibration import fit_isotonic, load_calibration, save_calibration
from quality.metrics import (
    confusion_accuracy, criterion_confusion, expected_calibration_error, field_accuracy,
    recommendation_accuracy, reliability_table, seconds_per_page, values_equal,
)


def test_value_normalization():
    assert values_equal(dt.date(1980, 5, 17), "1980-05-17")
    assert values_equal("  Maria   DE la Cruz ", "maria de la cruz")
    assert values_equal(["C9301", "q2058"], ["Q2058", "c9301"])
    assert not values_equal(["Q2058"], ["Q2058", "C9301"])
    assert values_equal(None, None) and not values_equal(None, False)
    assert not values_equal(True, "yes")


def test_field_accuracy():
    rows = [
        ({"patient_name": "Ann  Lee", "birth_date": "1980-01-02"}, {"patient_name": "ann lee", "birth_date": "1980-01-02"}),
        ({"patient_name": "Bo Chan"}, {"patient_name": "Bo Chen", "birth_date": None}),
        ({"patient_name": "Cy Do", "birth_date": "1990-03-04"}, {"patient_name": "Cy Do", "birth_date": "1990-04-03"}),
    ]
    acc = field_accuracy(rows)
    assert (acc["patient_name"].hits, acc["patient_name"].total) == (2, 3)
    assert (acc["birth_date"].hits, acc["birth_date"].total) == (2, 3)  # missing == None counts


def test_criterion_confusion_and_recommendation_accuracy():
    rows = [
        ({"age": "met"}, {"age": "met"}),
        ({"age": "insufficient_evidence"}, {"age": "met"}),
        ({}, {"age": "not_met"}),
    ]
    table = criterion_confusion(rows)["age"]
    assert table["met"]["met"] == 1
    assert table["met"]["insufficient_evidence"] == 1
    assert table["not_met"]["insufficient_evidence"] == 1
    assert confusion_accuracy(table).value == pytest.approx(1 / 3)
    acc = recommendation_accuracy([("meets_criteria", "meets_criteria"),
                                   ("needs_more_information", "does_not_meet_criteria")])
    assert (acc.hits, acc.total, acc.value) == (1, 2, 0.5)


def test_reliability_and_ece_by_hand():
    # Bins of width 0.5: [0.2, 0.4] -> mean 0.3, accuracy 0.5; [0.6, 0.8, 1.0, 1.0] -> mean 0.85, accuracy 0.75.
    confidences = [0.2, 0.4, 0.6, 0.8, 1.0, 1.0]
    correct = [True, False, True, False, True, True]
    low, high = reliability_table(confidences, correct, bins=2)
    assert (low.count, low.mean_confidence, low.accuracy) == (2, pytest.approx(0.3), 0.5)
    assert (high.count, high.mean_confidence, high.accuracy) == (4, pytest.approx(0.85), 0.75)
    # ECE = 2/6 * |0.5 - 0.3| + 4/6 * |0.75 - 0.85| = 0.0666.. + 0.0666.. = 0.1333..
    assert expected_calibration_error(confidences, correct, bins=2) == pytest.approx(2 / 15)
    assert expected_calibration_error([], []) is None
    assert sum(b.count for b in reliability_table(confidences, correct)) == 6


def test_seconds_per_page():
    assert seconds_per_page(12.0, 4) == 3.0
    assert seconds_per_page(1.0, 0) is None


def test_isotonic_calibration_round_trip(tmp_path):
    confidences = [0.1, 0.2, 0.3, 0.6, 0.7, 0.9, 0.95, 0.99]
    correct = [False, False, True, False, True, True, True, True]
    calibration = fit_isotonic(confidences, correct)
    path = tmp_path / "cal.json"
    save_calibration(calibration, path)
    loaded = load_calibration(path)
    assert loaded == calibration
    # Two all-wrong and four all-right samples at the ends: never 0 or 1, but (n+1)/(n+2).
    assert loaded.apply(0.05) == pytest.approx(1 / 4)
    assert loaded.apply(0.99) == pytest.approx(5 / 6, abs=1e-6)
    mapped = [loaded.apply(c) for c in sorted(confidences)]
    assert mapped == sorted(mapped)
    raw = json.loads(path.read_text())
    raw["extra"] = 1
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigurationError, match="extra"):
        load_calibration(path)


def test_assessor_applies_the_configured_calibration(tmp_path):
    import dataclasses

    from fax_fixtures import form_pdf

    from assessment.config import AssessmentConfig
    from assessment.pipeline import Assessor
    from quality.calibration import Calibration

    flat = Calibration(kind="isotonic", thresholds=((0.0, 0.25), (1.0, 0.25)),
                       fitted_at="2026-01-01T00:00:00+00:00", samples=2)
    path = tmp_path / "flat.json"
    save_calibration(flat, path)
    assessor = Assessor(dataclasses.replace(AssessmentConfig(), calibration_path=path))
    result = assessor.extract(form_pdf(), source="form.pdf")
    assert result.fields and {fv.confidence for fv in result.fields.values()} == {0.25}
    assert result.to_dict()["fields"]["birth_date"]["value"] == "1971-03-14"
