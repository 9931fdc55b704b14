"""The synthetic generator: deterministic, truthful, split-disjoint, and faxing like a real gateway."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from PIL import Image

from synthetic.case import HARD_CASES
from synthetic.corpus import LABELS, annotated_texts
from synthetic.fax import pdf_to_fax
from synthetic.generate import generate
from synthetic.packets import build_packet
from synthetic.people import DATE_STYLES, format_date
from synthetic.phrasings import load_phrasings
from synthetic.render import render_pdf
from synthetic.truth import expected_criteria, recommendation


def _fields(**overrides):
    fields = {"birth_date": "1970-01-01", "treatment_date": "2026-03-14", "request_date": "2026-02-20",
              "diagnosis": "B-cell precursor ALL", "prior_car_t": False, "setting": "inpatient",
              "outpatient_appropriate_attested": None, "safety_monitoring_attested": None}
    fields.update(overrides)
    return fields


def test_same_seed_gives_same_truth_and_same_files(tmp_path):
    first = generate("eval", 2, 99, tmp_path / "a")
    second = generate("eval", 2, 99, tmp_path / "b")
    assert first == second
    for record in first:
        assert (tmp_path / "a" / record["file"]).read_bytes() == (tmp_path / "b" / record["file"]).read_bytes()
    assert (tmp_path / "a" / "truth.jsonl").read_text() == (tmp_path / "b" / "truth.jsonl").read_text()


def test_different_seed_gives_different_patients():
    a = build_packet("eval", 1, 0).case.truth_fields()
    b = build_packet("eval", 2, 0).case.truth_fields()
    assert a != b


@pytest.mark.parametrize("birth, expected", [
    ("2008-03-14", "met"),       # 18th birthday on the treatment date counts
    ("2008-03-15", "not_met"),   # turns 18 the day after treatment
    ("2008-03-13", "met"),
])
def test_age_is_taken_on_the_treatment_date_with_the_birthday_counting(birth, expected):
    assert expected_criteria(_fields(birth_date=birth))["age_18_or_older"] == expected


def test_age_falls_back_to_the_request_date_without_a_treatment_date():
    fields = _fields(birth_date="2008-02-21", treatment_date=None, request_date="2026-02-20")
    assert expected_criteria(fields)["age_18_or_older"] == "not_met"


def test_outpatient_attestations_apply_only_to_outpatient_requests():
    assert expected_criteria(_fields())["outpatient_safety_attested"] == "not_applicable"
    unchecked = _fields(setting="outpatient", outpatient_appropriate_attested=True, safety_monitoring_attested=False)
    absent = _fields(setting="outpatient")
    assert expected_criteria(unchecked)["outpatient_safety_attested"] == "not_met"
    assert recommendation(expected_criteria(unchecked)) == "does_not_meet_criteria"
    assert expected_criteria(absent)["outpatient_appropriate_attested"] == "insufficient_evidence"
    assert recommendation(expected_criteria(absent)) == "needs_more_information"


def test_truth_criteria_follow_from_truth_fields_across_a_set():
    for index in range(30):
        record = build_packet("eval", 2026, index).truth_record("x.pdf")
        fields, tags = record["fields"], set(record["tags"])
        assert record["criteria"] == expected_criteria(fields)
        assert record["recommendation"] == recommendation(record["criteria"])
        birth = dt.date.fromisoformat(fields["birth_date"])
        if "birthday_edge_met" in tags:
            assert (birth.month, birth.day) == dt.date.fromisoformat(fields["treatment_date"]).timetuple()[1:3]
            assert record["criteria"]["age_18_or_older"] == "met"
        if "birthday_edge_not_met" in tags:
            assert record["criteria"]["age_18_or_older"] == "not_met"
        if "t_all" in tags:
            assert fields["diagnosis"] == "T-cell ALL" and fields["diagnosis_icd10"][0].startswith("C91.0")
            assert record["criteria"]["diagnosis_b_all"] == "not_met"
        if "form_note_disagreement" in tags:
            assert fields["prior_car_t"] is True
        if {"family_other_person", "plan_hypothetical"} & tags and not {"prior_history", "prior_trial"} & tags:
            assert fields["prior_car_t"] is False


def test_every_hard_case_appears_several_times_in_a_set_of_thirty():
    tags = [t for i in range(30) for t in build_packet("eval", 2026, i).truth_record("x")["tags"]]
    for hard_case in HARD_CASES + ("rotated_180", "rotated_90", "digital_pdf"):
        assert tags.count(hard_case) >= 3, hard_case


def test_train_and_eval_share_no_phrasing_and_no_names():
    train, held_out = load_phrasings("train"), load_phrasings("eval")
    assert not train.sentences() & held_out.sentences()
    for pool in ("patient_first", "patient_last", "physician_first", "physician_last", "facilities"):
        assert not set(getattr(train.names, pool)) & set(getattr(held_out.names, pool)), pool


def test_train_corpus_never_prints_an_eval_sentence():
    held_out = {s for s in load_phrasings("eval").sentences() if "{" not in s and len(s) > 20}
    text = "\n".join(t for t, _ in annotated_texts("train", 40, 3, ocr_error_rate=0))
    assert not [s for s in held_out if s in text]


def test_corpus_spans_mark_exactly_the_inserted_values():
    packet = build_packet("train", 5, 0)
    case = packet.case
    names = {case.patient.written(s).lower() for s in ("first_last", "last_first", "last_first_caps")}
    for page in packet.pages:
        text, spans = page.text()
        for start, end, label in spans:
            value = text[start:end]
            if label == "PATIENT_NAME":
                assert value.lower() in names
            elif label == "BIRTH_DATE":
                assert value in {format_date(case.patient.birth_date, s) for s in DATE_STYLES}
            elif label == "MEMBER_ID":
                assert value == case.member_id
    passages = annotated_texts("train", 25, 5)
    assert len(passages) == 25
    for text, spans in passages:
        assert all(label in LABELS and 0 <= s < e <= len(text) for s, e, label in spans)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_fax_tiff_is_ccitt_at_fax_resolution(tmp_path):
    packet = build_packet("train", 8, 1)
    path = pdf_to_fax(render_pdf(packet.pages[:2]), tmp_path / "fax.tif", packet.damage)
    with Image.open(path) as image:
        assert image.n_frames == 2
        assert image.info["compression"] in ("group3", "group4")
        assert tuple(round(v) for v in image.info["dpi"]) == (204, 196)
        assert image.mode == "1"


def test_digital_packet_has_a_text_layer_with_the_member_id(tmp_path):
    import pdfplumber
    index = next(i for i in range(20) if build_packet("eval", 4, i).damage is None)
    records = generate("eval", index + 1, 4, tmp_path)
    record = records[index]
    assert record["media_type"] == "application/pdf" and "digital_pdf" in record["tags"]
    with pdfplumber.open(tmp_path / record["file"]) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert record["fields"]["member_id"] in text
    truth = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert truth[index]["fields"] == record["fields"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record["fields"]["birth_date"])
