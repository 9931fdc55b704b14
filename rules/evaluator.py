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

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from extraction.models import CriterionResult, CriterionStatus, FieldValue, Recommendation
from rules.policy import (
    AgeAtLeastCriterion, AppliesWhen, BillingCode, IsTrueCriterion, Policy,
    ValueInCriterion,
)

Fields = Mapping[str, FieldValue]


@dataclass
class PolicyDecision:
    policy_id: str
    criteria: list[CriterionResult]
    recommendation: Recommendation
    notices: list[str] = field(default_factory=list)  # informational, never a criterion


@dataclass
class _Outcome:
    status: CriterionStatus
    explanation: str
    used: list[FieldValue]  # fields the status rests on (confidence, evidence)


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


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years on `on`: the birthday itself counts. A 29 February birthday falls on
    1 March in common years (the conservative reading: the year is completed when 28 Feb ends)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def code_notices(code: BillingCode, fields: Fields) -> list[str]:
    """Flag retired codes requested for service on or after the replacing code's effective date."""
    if not code.codes_field or not code.replaces:
        return []
    requested = _value(fields, code.codes_field) or []
    retired = sorted({str(c).strip().upper() for c in requested} & {c.upper() for c in code.replaces})
    if not retired:
        return []
    service_name, service_date = _first_date(fields, code.service_date_fields)
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
    outcome = _check(criterion, fields)
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


def _check(criterion, fields: Fields) -> _Outcome:
    if isinstance(criterion, AgeAtLeastCriterion):
        return _check_age(criterion, fields)
    name = criterion.field
    found = _present(fields, name)
    if found is None:
        return _Outcome("insufficient_evidence", f"{name} not found in the packet", [])
    value = found.value
    if isinstance(criterion, ValueInCriterion):
        allowed = {_fold(v) for v in criterion.values}
        if isinstance(value, str) and _fold(value) in {_fold(v) for v in criterion.undetermined_values}:
            return _Outcome("insufficient_evidence",
                            f"{name} {value!r} does not settle whether it is one of {criterion.values}", [found])
        ok = isinstance(value, str) and _fold(value) in allowed
        relation = "is" if ok else "is not"
        return _Outcome("met" if ok else "not_met",
                        f"{name} {value!r} {relation} one of {criterion.values}", [found])
    if not isinstance(value, bool):
        return _Outcome("insufficient_evidence", f"{name} is {value!r}, not yes/no", [found])
    expected = isinstance(criterion, IsTrueCriterion)
    return _Outcome("met" if value is expected else "not_met",
                    f"{name} is {'yes' if value else 'no'}; {'yes' if expected else 'no'} required",
                    [found])


def _check_age(criterion: AgeAtLeastCriterion, fields: Fields) -> _Outcome:
    birth_field = _present(fields, criterion.birth_field)
    birth = as_date(birth_field.value) if birth_field else None
    if birth is None:
        return _Outcome("insufficient_evidence",
                        f"{criterion.birth_field} not found as a date in the packet", [])
    on_name, on = _first_date(fields, criterion.on_fields)
    if on is None:
        return _Outcome("insufficient_evidence",
                        f"none of {criterion.on_fields} found as a date in the packet", [birth_field])
    age = age_on(birth, on)
    ok = age >= criterion.years
    unread = [name for name in criterion.on_fields[:criterion.on_fields.index(on_name)] if _unreadable(fields, name)]
    if unread and not ok:
        # A later date can only make the member older: the fallback may show the age is met,
        # never that it is not, while the packet holds a preferred date we could not read.
        return _Outcome("insufficient_evidence",
                        f"age {age} on {on_name} {on.isoformat()}, but {unread[0]} is in the packet and "
                        f"could not be read", [birth_field, fields[on_name], fields[unread[0]]])
    return _Outcome("met" if ok else "not_met",
                    f"age {age} on {on_name} {on.isoformat()}; at least {criterion.years} required",
                    [birth_field, fields[on_name]])


def _apply_condition(condition: AppliesWhen, outcome: _Outcome, fields: Fields) -> _Outcome:
    found = _present(fields, condition.field)
    wanted = condition.equals
    if found is None:
        # Unknown setting: a satisfied check holds either way; anything else needs the setting.
        if outcome.status == "met":
            return _Outcome("met", f"{outcome.explanation} ({condition.field} not stated)",
                            outcome.used)
        return _Outcome("insufficient_evidence",
                        f"{condition.field} not stated, needed to tell whether this applies "
                        f"({outcome.explanation})", outcome.used)
    value = found.value
    matches = _fold(value) == _fold(wanted) if isinstance(wanted, str) else value is wanted
    if not matches:
        return _Outcome("not_applicable",
                        f"{condition.field} is {value!r}; applies only when {wanted!r}", [found])
    return _Outcome(outcome.status, outcome.explanation, [*outcome.used, found])


def _first_date(fields: Fields, names: list[str]) -> tuple[str, dt.date | None]:
    for name in names:
        found = _present(fields, name)
        if found is not None and (date := as_date(found.value)) is not None:
            return name, date
    return "", None


def _unreadable(fields: Fields, name: str) -> bool:
    """The packet shows the field (there is evidence) but its value could not be read."""
    found = fields.get(name)
    return found is not None and found.value is None and bool(found.evidence)


def _present(fields: Fields, name: str) -> FieldValue | None:
    found = fields.get(name)
    if found is None or found.value is None or found.value == "" or found.value == []:
        return None
    return found


def _value(fields: Fields, name: str) -> Any:
    found = _present(fields, name)
    return found.value if found else None


def _fold(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value
