"""The Aucatzyl policy as data, and the evaluator a reviewer relies on."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from extraction.errors import ConfigurationError
from extraction.models import Evidence, FieldValue
from rules.evaluator import age_on, evaluate, recommend
from rules.policy import DEFAULT_POLICY_PATH, load_policy

GUIDELINE = Path(__file__).resolve().parent.parent / "rules" / "policies" / "guidelines" / "aucatzyl-medical-necessity-guideline.md"


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def fv(name, value, confidence=0.9, page=1):
    # As the assessor does: a field not found carries no evidence.
    evidence = [Evidence(page, f"evidence for {name}")] if value is not None else []
    return FieldValue(name, value, confidence, evidence)


def eligible(**overrides):
    values = {
        "diagnosis": "B-cell precursor ALL",
        "birth_date": "1980-05-17",
        "treatment_date": "2025-08-04",
        "request_date": "2025-07-20",
        "prior_car_t": False,
        "setting": "outpatient",
        "outpatient_appropriate_attested": True,
        "safety_monitoring_attested": True,
        "hcpcs_codes": ["Q2058"],
    }
    values.update(overrides)
    return {k: fv(k, v) for k, v in values.items() if v is not ...}


def status(decision, criterion_id):
    return next(c for c in decision.criteria if c.id == criterion_id).status


def test_policy_quotes_the_guideline_verbatim(policy):
    text = GUIDELINE.read_text(encoding="utf-8")
    assert policy.policy.effective == dt.date(2025, 7, 1)
    assert [c.id for c in policy.criteria] == [
        "diagnosis_b_all", "age_18_or_older", "no_prior_car_t",
        "outpatient_appropriate_attested", "outpatient_safety_attested"]
    for criterion in policy.criteria:
        assert criterion.guideline_text in text, criterion.id
    for limitation in policy.limitations:
        assert limitation.text in text, limitation.id
    (code,) = policy.codes
    assert code.code == "Q2058" and code.replaces == ["C9301"]
    assert "replaced C9301 with Q2058, effective July 1, 2025" in code.revision_note


def test_eligible_outpatient_request_meets_criteria(policy):
    decision = evaluate(policy, eligible())
    assert {c.status for c in decision.criteria} == {"met"}
    assert decision.recommendation == "meets_criteria"
    assert decision.notices == []
    age = next(c for c in decision.criteria if c.id == "age_18_or_older")
    assert age.confidence == pytest.approx(0.9 * 0.9)
    assert {e.text for e in age.evidence} == {"evidence for birth_date", "evidence for treatment_date"}
    assert "age 45 on treatment_date 2025-08-04" in age.explanation
    assert age.guideline_text == "The Member is ≥ 18 years of age on treatment date"


@pytest.mark.parametrize("diagnosis", ["T-cell ALL", "AML", "DLBCL"])
def test_other_diagnoses_are_not_met(policy, diagnosis):
    decision = evaluate(policy, eligible(diagnosis=diagnosis))
    assert status(decision, "diagnosis_b_all") == "not_met"
    assert decision.recommendation == "does_not_meet_criteria"
    assert diagnosis in next(c for c in decision.criteria if c.id == "diagnosis_b_all").explanation


def test_diagnosis_match_ignores_case_and_spacing(policy):
    assert status(evaluate(policy, eligible(diagnosis="b-cell  precursor all")), "diagnosis_b_all") == "met"


@pytest.mark.parametrize("birth, on, expected", [
    ("2007-08-04", "2025-08-04", "met"),      # 18th birthday on the treatment date counts
    ("2007-08-05", "2025-08-04", "not_met"),  # the day before the 18th birthday does not
    ("2004-02-29", "2022-02-28", "not_met"),  # Feb-29 birthday: not yet 18 on 28 Feb of a common year
    ("2004-02-29", "2022-03-01", "met"),
    ("2008-02-29", "2026-02-28", "not_met"),
    ("1988-02-29", "2024-02-29", "met"),
])
def test_age_on_treatment_date(policy, birth, on, expected):
    decision = evaluate(policy, eligible(birth_date=birth, treatment_date=on, request_date=on))
    assert status(decision, "age_18_or_older") == expected


def test_age_arithmetic():
    assert age_on(dt.date(2007, 8, 4), dt.date(2025, 8, 4)) == 18
    assert age_on(dt.date(2007, 8, 4), dt.date(2025, 8, 3)) == 17
    assert age_on(dt.date(2004, 2, 29), dt.date(2024, 2, 29)) == 20
    assert age_on(dt.date(2004, 2, 29), dt.date(2025, 3, 1)) == 21


def test_age_falls_back_to_request_date(policy):
    decision = evaluate(policy, eligible(birth_date="2007-08-04", treatment_date=None,
                                         request_date="2025-08-03"))
    age = next(c for c in decision.criteria if c.id == "age_18_or_older")
    assert age.status == "not_met"
    assert "request_date 2025-08-03" in age.explanation
    # The treatment date, when present, wins over the request date.
    decision = evaluate(policy, eligible(birth_date="2007-08-04", treatment_date="2025-08-04",
                                         request_date="2025-08-03"))
    assert status(decision, "age_18_or_older") == "met"


def test_unreadable_treatment_date_does_not_let_the_request_date_deny_age(policy):
    """The form shows a treatment date OCR could not read: the younger age on the request date
    cannot decide not_met (the member may turn 18 by treatment), but can still decide met."""
    unread = FieldValue("treatment_date", None, 0.78, [Evidence(2, "Anticipated Date of Service: 12/01/202")],
                        "labelled in the packet, but the value could not be read")
    fields = eligible(birth_date="2007-08-04", request_date="2025-08-03")
    fields["treatment_date"] = unread
    age = next(c for c in evaluate(policy, fields).criteria if c.id == "age_18_or_older")
    assert age.status == "insufficient_evidence"
    assert "treatment_date is in the packet and could not be read" in age.explanation
    assert any("12/01/202" in e.text for e in age.evidence)
    fields = eligible(birth_date="1990-01-01", request_date="2025-08-03")
    fields["treatment_date"] = unread
    assert status(evaluate(policy, fields), "age_18_or_older") == "met"


def test_age_accepts_date_objects(policy):
    decision = evaluate(policy, eligible(birth_date=dt.date(2000, 1, 1), treatment_date=dt.date(2025, 1, 1)))
    assert status(decision, "age_18_or_older") == "met"


def test_age_without_any_date_is_insufficient(policy):
    decision = evaluate(policy, eligible(treatment_date=None, request_date=...))
    assert status(decision, "age_18_or_older") == "insufficient_evidence"
    decision = evaluate(policy, eligible(birth_date="not a date"))
    assert status(decision, "age_18_or_older") == "insufficient_evidence"


def test_prior_car_t(policy):
    decision = evaluate(policy, eligible(prior_car_t=True))
    assert status(decision, "no_prior_car_t") == "not_met"
    assert decision.recommendation == "does_not_meet_criteria"
    decision = evaluate(policy, eligible(prior_car_t=None))
    assert status(decision, "no_prior_car_t") == "insufficient_evidence"
    assert decision.recommendation == "needs_more_information"


def test_outpatient_criteria_not_applicable_for_inpatient(policy):
    decision = evaluate(policy, eligible(setting="inpatient", outpatient_appropriate_attested=None,
                                         safety_monitoring_attested=False))
    assert status(decision, "outpatient_appropriate_attested") == "not_applicable"
    assert status(decision, "outpatient_safety_attested") == "not_applicable"
    assert decision.recommendation == "meets_criteria"


def test_outpatient_attestations(policy):
    decision = evaluate(policy, eligible(safety_monitoring_attested=False))
    assert status(decision, "outpatient_safety_attested") == "not_met"
    decision = evaluate(policy, eligible(outpatient_appropriate_attested=None))
    assert status(decision, "outpatient_appropriate_attested") == "insufficient_evidence"
    assert decision.recommendation == "needs_more_information"


def test_unknown_setting(policy):
    decision = evaluate(policy, eligible(setting=None))
    assert status(decision, "outpatient_appropriate_attested") == "met"
    decision = evaluate(policy, eligible(setting=None, safety_monitoring_attested=False))
    assert status(decision, "outpatient_safety_attested") == "insufficient_evidence"


def test_missing_fields_are_insufficient_evidence(policy):
    decision = evaluate(policy, {})
    assert {c.status for c in decision.criteria} == {"insufficient_evidence"}
    assert decision.recommendation == "needs_more_information"


def test_recommendation_logic():
    assert recommend(["met", "met", "not_applicable"]) == "meets_criteria"
    assert recommend(["met", "not_met", "insufficient_evidence"]) == "does_not_meet_criteria"
    assert recommend(["met", "insufficient_evidence"]) == "needs_more_information"
    assert recommend(["not_applicable"]) == "needs_more_information"


def test_retired_hcpcs_code_is_flagged_not_judged(policy):
    decision = evaluate(policy, eligible(hcpcs_codes=["C9301"]))
    assert decision.recommendation == "meets_criteria"
    (notice,) = decision.notices
    assert "C9301" in notice and "Q2058" in notice and "2025-08-04" in notice
    before = evaluate(policy, eligible(hcpcs_codes=["C9301"], treatment_date="2025-06-20",
                                       request_date="2025-06-01"))
    assert before.notices == []


def test_strict_loader_rejects_unknown_keys(tmp_path):
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "typo.toml"
    bad.write_text(text.replace('check = "is_false"', 'check = "is_false"\nvalue = false'), encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_policy(bad)
    assert "'value'" in err.value.message and str(bad) in err.value.message
    bad.write_text(text.replace("[policy]", "[policy]\nowner = 'x'"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unknown key 'owner'"):
        load_policy(bad)
    bad.write_text(text.replace('check = "value_in"', 'check = "regex"'), encoding="utf-8")
    with pytest.raises(ConfigurationError):
        load_policy(bad)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_policy(tmp_path / "missing.toml")


def test_a_second_policy_needs_no_code(tmp_path):
    path = tmp_path / "other.toml"
    (tmp_path / "other-guideline.md").write_text("A second payer's guideline (test copy)\n", encoding="utf-8")
    path.write_text('''
[policy]
id = "other-1"
version = "1"
products = ["axicabtagene ciloleucel"]
source = "other-guideline.md"
name = "A second payer's CAR-T policy"
payer = "Synthetic Health Plan"
effective = 2026-01-01
drug = "Some CAR-T"

[[criteria]]
id = "lymphoma"
guideline_text = "The Member has a diagnosis of DLBCL"
check = "value_in"
field = "diagnosis"
values = ["DLBCL"]

[[criteria]]
id = "age_21"
guideline_text = "The Member is 21 or older"
check = "age_at_least"
years = 21
birth_field = "birth_date"
on_fields = ["request_date"]
''', encoding="utf-8")
    other = load_policy(path)
    decision = evaluate(other, eligible(diagnosis="DLBCL", birth_date="2005-01-02", request_date="2026-01-02"))
    assert [(c.id, c.status) for c in decision.criteria] == [("lymphoma", "met"), ("age_21", "met")]
    assert decision.policy_id == "other-1"
    decision = evaluate(other, eligible(diagnosis="DLBCL", birth_date="2005-01-03", request_date="2026-01-02"))
    assert decision.recommendation == "does_not_meet_criteria"


def test_no_prior_car_t_is_met_only_above_the_policys_confidence_floor(policy):
    floor = next(c for c in policy.criteria if c.id == "no_prior_car_t").met_min_confidence
    assert floor is not None
    sure, doubtful = eligible(), eligible()
    doubtful["prior_car_t"] = fv("prior_car_t", False, confidence=floor - 0.1)
    assert status(evaluate(policy, sure), "no_prior_car_t") == "met"
    decision = evaluate(policy, doubtful)
    assert status(decision, "no_prior_car_t") == "insufficient_evidence"
    assert decision.recommendation == "needs_more_information"


def test_an_all_whose_lineage_is_unstated_is_insufficient_evidence(policy):
    decision = evaluate(policy, eligible(diagnosis="ALL, lineage unspecified"))
    assert status(decision, "diagnosis_b_all") == "insufficient_evidence"


def test_a_new_policy_is_one_file_in_an_extra_folder(tmp_path):
    from rules.registry import PolicyRegistry
    from rules.policy import POLICIES_DIR
    extra = tmp_path / "policies"
    (extra / "guidelines").mkdir(parents=True)
    (extra / "guidelines" / "yescarta.md").write_text("Yescarta guideline (test copy)\n")
    text = (POLICIES_DIR / "aucatzyl.toml").read_text(encoding="utf-8")
    text = (text.replace('id = "aucatzyl-2025-07"', 'id = "yescarta-test-1"')
                .replace('products = ["obecabtagene autoleucel"]', 'products = ["axicabtagene ciloleucel"]')
                .replace('source = "guidelines/aucatzyl-medical-necessity-guideline.md"', 'source = "guidelines/yescarta.md"')
                .replace('code = "Q2058"', 'code = "Q2041"').replace('replaces = ["C9301"]', 'replaces = []'))
    (extra / "yescarta.toml").write_text(text, encoding="utf-8")
    registry = PolicyRegistry.load(extra)
    assert [e.id for e in registry.for_codes(["Q2041"])] == ["yescarta-test-1"]
    assert [e.id for e in registry.for_codes(["C9301"])] == ["aucatzyl-2025-07"]
    assert [e.id for e in registry.for_products(["Axicabtagene ciloleucel"])] == ["yescarta-test-1"]
    assert registry.for_codes(["Q2055"]) == []  # no policy governs Abecma
    assert [e.id for e in registry.for_codes(["Q2042"])] == ["kymriah-fda-2017-08"]
    assert [e.id for e in registry.for_codes(["Q2053"])] == ["tecartus-fda-2021-10"]


def test_two_files_with_one_policy_id_are_refused_with_both_named(tmp_path):
    from rules.registry import PolicyRegistry
    from rules.policy import POLICIES_DIR
    (tmp_path / "guidelines").mkdir()
    (tmp_path / "guidelines" / "aucatzyl-medical-necessity-guideline.md").write_text("copy\n")
    (tmp_path / "copy.toml").write_text((POLICIES_DIR / "aucatzyl.toml").read_text(encoding="utf-8"))
    with pytest.raises(ConfigurationError, match="declared twice.*copy.toml"):
        PolicyRegistry.load(tmp_path)


def test_a_policy_whose_source_document_is_missing_is_refused(tmp_path):
    from rules.policy import POLICIES_DIR
    (tmp_path / "p.toml").write_text((POLICIES_DIR / "aucatzyl.toml").read_text(encoding="utf-8"))
    with pytest.raises(ConfigurationError, match="policy.source"):
        load_policy(tmp_path / "p.toml")
