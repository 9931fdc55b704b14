"""Expected criterion statuses and recommendation, derived only from the truth fields and the
criteria of the policy that judges the packet (the default policy, Aucatzyl, unless one is given).

The criteria are read from the policy file; their reading is the reviewers', written here apart from
rules/checks.py so a slip there shows up as a miss in `intake evaluate` instead of moving the truth:
age in completed years on the treatment date (request date when no treatment date is given), the
limit's birthday itself counting; a value in `undetermined_values` (ALL of unstated lineage, a
relapse not said to be which) is insufficient evidence, like a missing field; a criterion that
applies only in one setting (outpatient attestations) is not applicable in another; an unchecked
attestation box is not_met while a missing attestation section is insufficient_evidence.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from rules.checks import AgeAtLeastCriterion, AgeAtMostCriterion, IsFalseCriterion, IsTrueCriterion, ValueInCriterion
from rules.policy import DEFAULT_POLICY_PATH, Policy, load_policy
from synthetic.people import age_on

MET, NOT_MET, INSUFFICIENT, NOT_APPLICABLE = "met", "not_met", "insufficient_evidence", "not_applicable"


def expected_criteria(fields: dict[str, Any], policy: Policy | None = None) -> dict[str, str]:
    """{criterion id: status} for a packet with these truth fields under `policy`."""
    policy = policy or _default_policy()
    return {criterion.id: _status(criterion, fields) for criterion in policy.criteria}


@lru_cache(maxsize=1)
def _default_policy() -> Policy:
    return load_policy(DEFAULT_POLICY_PATH)


def recommendation(criteria: dict[str, str]) -> str:
    statuses = set(criteria.values())
    if NOT_MET in statuses:
        return "does_not_meet_criteria"
    if INSUFFICIENT in statuses:
        return "needs_more_information"
    return "meets_criteria"


def _status(criterion: Any, fields: dict[str, Any]) -> str:
    status = _check(criterion, fields)
    condition = criterion.applies_when
    if condition is None:
        return status
    value = fields.get(condition.field)
    if value is None:  # the condition unknown: a met check holds either way, anything else waits for it
        return status if status == MET else INSUFFICIENT
    return status if value == condition.equals else NOT_APPLICABLE


def _check(criterion: Any, fields: dict[str, Any]) -> str:
    if isinstance(criterion, ValueInCriterion):
        value = fields.get(criterion.field)
        if value is None or value in criterion.undetermined_values:
            return INSUFFICIENT
        return MET if value in criterion.values else NOT_MET
    if isinstance(criterion, (IsTrueCriterion, IsFalseCriterion)):
        value = fields.get(criterion.field)
        if value is None:
            return INSUFFICIENT
        return MET if value is isinstance(criterion, IsTrueCriterion) else NOT_MET
    if isinstance(criterion, (AgeAtLeastCriterion, AgeAtMostCriterion)):
        birth = fields.get(criterion.birth_field)
        on = next((fields[name] for name in criterion.on_fields if fields.get(name)), None)
        if birth is None or on is None:
            return INSUFFICIENT
        age = age_on(dt.date.fromisoformat(birth), dt.date.fromisoformat(on))
        within = age >= criterion.years if isinstance(criterion, AgeAtLeastCriterion) else age <= criterion.years
        return MET if within else NOT_MET
    raise ValueError(f"the truth oracle has no reading for check {criterion.check!r} ({criterion.id}): "
                     "add one here before generating packets for this policy")
