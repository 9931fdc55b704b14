"""Expected criterion statuses and recommendation, derived only from the truth fields.

Encodes the policy (Aucatzyl medical-necessity guideline) the way reviewers apply it: age on
the treatment date (request date when no treatment date is given), the 18th birthday itself
counts; outpatient attestations apply only to outpatient requests; an unchecked attestation box
is not_met while a missing attestation section is insufficient_evidence.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from synthetic.people import age_on

CRITERIA = ("diagnosis_b_all", "age_18_or_older", "no_prior_car_t",
            "outpatient_appropriate_attested", "outpatient_safety_attested")
B_ALL = "B-cell precursor ALL"


def expected_criteria(fields: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    diagnosis = fields.get("diagnosis")
    out["diagnosis_b_all"] = "insufficient_evidence" if diagnosis is None else (
        "met" if diagnosis == B_ALL else "not_met")
    on = fields.get("treatment_date") or fields.get("request_date")
    if fields.get("birth_date") is None or on is None:
        out["age_18_or_older"] = "insufficient_evidence"
    else:
        age = age_on(dt.date.fromisoformat(fields["birth_date"]), dt.date.fromisoformat(on))
        out["age_18_or_older"] = "met" if age >= 18 else "not_met"
    prior = fields.get("prior_car_t")
    out["no_prior_car_t"] = "insufficient_evidence" if prior is None else ("not_met" if prior else "met")
    for criterion, name in (("outpatient_appropriate_attested", "outpatient_appropriate_attested"),
                            ("outpatient_safety_attested", "safety_monitoring_attested")):
        if fields.get("setting") != "outpatient":
            out[criterion] = "not_applicable"
        else:
            value = fields.get(name)
            out[criterion] = "insufficient_evidence" if value is None else ("met" if value else "not_met")
    return out


def recommendation(criteria: dict[str, str]) -> str:
    statuses = set(criteria.values())
    if "not_met" in statuses:
        return "does_not_meet_criteria"
    if "insufficient_evidence" in statuses:
        return "needs_more_information"
    return "meets_criteria"
