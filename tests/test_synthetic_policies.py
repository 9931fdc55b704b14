"""The generator per policy: packets request the policy's product, their truth follows that policy's
criteria (read from its file), a small set covers each criterion's outcomes, the committed samples are
what the generator makes, and the original (default) set is unchanged."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from extraction.models import FieldValue
from rules.evaluator import evaluate
from rules.policy import POLICIES_DIR, load_policy
from synthetic.generate import generate, write_truth
from synthetic.packets import build_packet
from synthetic.policy_profile import load_profile
from synthetic.truth import expected_criteria, recommendation

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
KYMRIAH, TECARTUS = "kymriah-fda-2017-08", "tecartus-fda-2021-10"
SETS = {"eval": None, "eval-kymriah": KYMRIAH, "eval-tecartus": TECARTUS}  # committed: split -> policy
SEED = 2026


def _samples(split: str) -> list[dict]:
    rows = [json.loads(line) for line in (SAMPLES / "truth.jsonl").read_text().splitlines() if line.strip()]
    return [row for row in rows if row["split"] == split]


def _set(policy: str | None, count: int = 8) -> list[dict]:
    profile = load_profile(policy) if policy else None
    return [build_packet("eval", SEED, i, profile).truth_record(f"{i}") for i in range(count)]


def _fields(**overrides):
    fields = {"birth_date": "2001-03-02", "treatment_date": "2026-09-14", "request_date": "2026-08-20",
              "diagnosis": "B-cell precursor ALL", "disease_status": "second or later relapse",
              "prior_car_t": False, "setting": "inpatient"}
    return fields | overrides


@pytest.mark.parametrize("birth, status", [
    ("2000-09-14", "not_met"),  # 26 on the infusion day
    ("2000-09-15", "met"),  # 25 until the day after
])
def test_kymriahs_age_limit_is_read_from_its_file(birth, status):
    policy = load_policy(POLICIES_DIR / "kymriah.toml")
    assert expected_criteria(_fields(birth_date=birth), policy)["age_25_or_younger"] == status


@pytest.mark.parametrize("disease_status, kymriah, tecartus", [
    ("refractory", "met", "met"),
    ("second or later relapse", "met", "met"),
    ("first relapse", "not_met", "met"),
    ("relapsed or refractory, not specified", "insufficient_evidence", "met"),
    (None, "insufficient_evidence", "insufficient_evidence"),
])
def test_disease_status_criteria_follow_each_policys_values(disease_status, kymriah, tecartus):
    fields = _fields(disease_status=disease_status)
    assert expected_criteria(fields, load_profile(KYMRIAH).policy)["refractory_or_second_relapse"] == kymriah
    assert expected_criteria(fields, load_profile(TECARTUS).policy)["relapsed_or_refractory"] == tecartus


def test_a_17_year_old_with_prior_car_t_under_the_tecartus_label():
    criteria = expected_criteria(_fields(birth_date="2009-01-01", prior_car_t=True), load_profile(TECARTUS).policy)
    assert criteria == {"diagnosis_b_all": "met", "age_18_or_older": "not_met", "relapsed_or_refractory": "met"}
    assert recommendation(criteria) == "does_not_meet_criteria"
    # The label-based policy has no prior-CAR-T criterion: an adult's prior CAR-T changes nothing.
    adult = expected_criteria(_fields(prior_car_t=True, birth_date="1990-01-01"), load_profile(TECARTUS).policy)
    assert recommendation(adult) == "meets_criteria"


@pytest.mark.parametrize("policy", [KYMRIAH, TECARTUS, "aucatzyl-2025-07"])
def test_truth_follows_the_policys_criteria_and_agrees_with_the_rules(policy):
    profile = load_profile(policy)
    for row in _set(policy):
        assert row["policy"] == policy and row["split"] == f"eval-{profile.set_name}"
        assert list(row["criteria"]) == [c.id for c in profile.policy.criteria]
        assert row["criteria"] == expected_criteria(row["fields"], profile.policy)
        assert row["recommendation"] == recommendation(row["criteria"])
        # The rules read the same fields (as certain as can be) to the same statuses.
        fields = {name: FieldValue(name, value, 1.0) for name, value in row["fields"].items()}
        decision = evaluate(profile.policy, fields)
        assert {c.id: c.status for c in decision.criteria} == row["criteria"], row["tags"]
        assert decision.recommendation == row["recommendation"]
        assert row["fields"]["hcpcs_codes"][0] == profile.product.hcpcs
        assert ("disease_status" in row["fields"]) == (profile.disease_status is not None)


def test_a_kymriah_set_covers_each_criterions_outcomes():
    rows = _set(KYMRIAH)
    outcomes = {criterion: {row["criteria"][criterion] for row in rows} for criterion in rows[0]["criteria"]}
    assert outcomes == {"diagnosis_b_all": {"met", "not_met", "insufficient_evidence"},
                        "age_25_or_younger": {"met", "not_met"},  # every packet prints a birth date
                        "refractory_or_second_relapse": {"met", "not_met", "insufficient_evidence"}}
    assert {row["recommendation"] for row in rows} == {"meets_criteria", "does_not_meet_criteria",
                                                      "needs_more_information"}
    by_tag = {tag: row for row in rows for tag in row["tags"]}
    assert by_tag["birthday_edge_not_met"]["criteria"]["age_25_or_younger"] == "not_met"
    assert by_tag["over_age_limit"]["criteria"]["age_25_or_younger"] == "not_met"
    assert by_tag["disease_first_relapse"]["criteria"]["refractory_or_second_relapse"] == "not_met"
    assert by_tag["lineage_unspecified"]["criteria"]["diagnosis_b_all"] == "insufficient_evidence"


def test_a_tecartus_set_covers_each_criterions_outcomes():
    rows = _set(TECARTUS)
    outcomes = {criterion: {row["criteria"][criterion] for row in rows} for criterion in rows[0]["criteria"]}
    assert outcomes == {"diagnosis_b_all": {"met", "not_met", "insufficient_evidence"},
                        "age_18_or_older": {"met", "not_met"},
                        # every status the extractor names qualifies: only silence leaves it open
                        "relapsed_or_refractory": {"met", "insufficient_evidence"}}
    by_tag = {tag: row for row in rows for tag in row["tags"]}
    assert by_tag["minor"]["criteria"]["age_18_or_older"] == "not_met"
    assert by_tag["prior_history"]["fields"]["prior_car_t"] is True


@pytest.mark.parametrize("policy", [KYMRIAH, TECARTUS])
def test_packets_request_the_policys_product_by_its_own_names(policy):
    product = load_profile(policy).product
    texts = []
    for index in range(3):
        packet = build_packet("eval", SEED, index, load_profile(policy))
        texts.append("\n".join(page.text()[0] for page in packet.pages))
    text = "\n".join(texts)
    assert product.hcpcs in text and (product.brand in text or product.generic in text)
    assert "Q2058" not in text and "Aucatzyl (" not in text  # nothing of the default product's request


def test_write_truth_replaces_one_splits_rows_in_place(tmp_path):
    path = tmp_path / "truth.jsonl"
    write_truth(path, "a", [{"split": "a", "file": "a1"}])
    write_truth(path, "b", [{"split": "b", "file": "b1"}])
    write_truth(path, "a", [{"split": "a", "file": "a2"}, {"split": "a", "file": "a3"}])
    assert [json.loads(line)["file"] for line in path.read_text().splitlines()] == ["a2", "a3", "b1"]


@pytest.mark.parametrize("split", SETS)
def test_committed_samples_are_what_the_generator_makes(split):
    committed = _samples(split)
    made = _set(SETS[split], len(committed))
    assert len(committed) == {"eval": 30}.get(split, 8)
    for row, fresh in zip(committed, made):
        assert row == fresh | {"file": row["file"]}
        assert row["file"].startswith(f"{split}-") and (SAMPLES / row["file"]).is_file()


def test_the_original_set_is_unchanged_byte_for_byte(tmp_path):
    """Without --policy the generator writes what it always wrote: the first (digital) packet's bytes
    and the truth rows of the committed eval split (rows naming no policy)."""
    records = generate("eval", 1, SEED, tmp_path)
    assert records[0]["file"] == "eval-001.pdf" and "digital_pdf" in records[0]["tags"]
    assert (tmp_path / "eval-001.pdf").read_bytes() == (SAMPLES / "eval-001.pdf").read_bytes()
    assert (tmp_path / "truth.jsonl").read_text() == (SAMPLES / "truth.jsonl").read_text().splitlines(True)[0]
    assert all("policy" not in row for row in _samples("eval"))
