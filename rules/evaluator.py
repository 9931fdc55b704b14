"""Policy + extracted fields -> one CriterionResult per criterion and a recommendation.

The recommendation is advice for a human reviewer, never a decision: `does_not_meet_criteria`
means "a reviewer should look at the unmet criterion", not a denial. The system never denies.

Confidence of a criterion is the product of the confidences of the fields its status rests on
(independent extraction errors compound). A field that is absent or has no value makes the
criterion `insufficient_evidence`; its confidence is then that of the fields consulted (how sure
the extractor is that the packet does not state them). Explanations name values for the
reviewer; they are part of the result and must never be logged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from extraction.models import CriterionResult, Recommendation
from rules.checks import AppliesWhen, Fields, Outcome, age_on, as_date, first_date, fold, present
from rules.policy import BillingCode, Policy

__all__ = ["age_on", "as_date", "evaluate", "recommend"]


@dataclass
class PolicyDecision:
    policy_id: str
    criteria: list[CriterionResult]
    recommendation: Recommendation
    notices: list[str] = field(default_factory=list)  # informational, never a criterion


def evaluate(policy: Policy, fields: Fields) -> PolicyDecision:
    results = [_evaluate_criterion(criterion, fields) for criterion in policy.criteria]
    return PolicyDecision(
        policy_id=policy.id,
        criteria=results,
        recommendation=recommend([r.status for r in results]),
        notices=[n for code in policy.codes for n in code_notices(code, fields)],
    )


def recommend(statuses: list[str]) -> Recommendation:
    applicable = [s for s in statuses if s != "not_applicable"]
    if any(s == "not_met" for s in applicable):
        return "does_not_meet_criteria"
    if applicable and all(s == "met" for s in applicable):
        return "meets_criteria"
    return "needs_more_information"


def code_notices(code: BillingCode, fields: Fields) -> list[str]:
    """Flag retired codes requested for service on or after the replacing code's effective date."""
    if not code.codes_field or not code.replaces:
        return []
    requested = _value(fields, code.codes_field) or []
    retired = sorted({str(c).strip().upper() for c in requested} & {c.upper() for c in code.replaces})
    if not retired:
        return []
    service_name, service_date = first_date(fields, code.service_date_fields)
    replaced = f"{code.system} {', '.join(retired)} was replaced by {code.code}"
    if code.effective is None:
        return [f"{replaced} (informational, not a criterion)"]
    if service_date is None:
        return [f"{replaced} effective {code.effective.isoformat()}; no service date stated to "
                "tell which applies (informational, not a criterion)"]
    if service_date >= code.effective:
        return [f"{replaced} effective {code.effective.isoformat()}; {service_name} is "
                f"{service_date.isoformat()} (informational, not a criterion)"]
    return []


def _evaluate_criterion(criterion, fields: Fields) -> CriterionResult:
    outcome = criterion.outcome(fields)
    if criterion.applies_when is not None:
        outcome = _apply_condition(criterion.applies_when, outcome, fields)
    consulted = outcome.used or [f for name in criterion.fields if (f := fields.get(name))]
    confidence = math.prod(f.confidence for f in consulted)
    status, explanation = outcome.status, outcome.explanation
    if status == "met" and criterion.met_min_confidence is not None and confidence < criterion.met_min_confidence:
        status = "insufficient_evidence"
        explanation = (f"{explanation}; confidence {confidence:.2f} is below the {criterion.met_min_confidence:.2f} "
                       "this policy requires before it is met, so a reviewer decides")
    return CriterionResult(
        id=criterion.id,
        status=status,
        confidence=confidence,
        explanation=explanation,
        evidence=[e for f in outcome.used for e in f.evidence],
        guideline_text=criterion.guideline_text,
    )


def _apply_condition(condition: AppliesWhen, outcome: Outcome, fields: Fields) -> Outcome:
    found = present(fields, condition.field)
    wanted = condition.equals
    if found is None:
        # Unknown setting: a satisfied check holds either way; anything else needs the setting.
        if outcome.status == "met":
            return Outcome("met", f"{outcome.explanation} ({condition.field} not stated)",
                            outcome.used)
        return Outcome("insufficient_evidence",
                        f"{condition.field} not stated, needed to tell whether this applies "
                        f"({outcome.explanation})", outcome.used)
    value = found.value
    matches = fold(value) == fold(wanted) if isinstance(wanted, str) else value is wanted
    if not matches:
        return Outcome("not_applicable",
                        f"{condition.field} is {value!r}; applies only when {wanted!r}", [found])
    return Outcome(outcome.status, outcome.explanation, [*outcome.used, found])


def _value(fields: Fields, name: str) -> Any:
    found = present(fields, name)
    return found.value if found else None
