"""The policy's rules run again on the reviewed field values after a field decision, without
reading any page again: a corrected birth date re-decides the age criterion, a corrected
"expedited" moves the decision clock.

The extraction stays as it was (it is what accuracy is measured on); the re-evaluation is stored
next to it (`documents.reviewed`) and is what the packet page, the determination check, the queue
and the reviewed result read as the system's current word. A criterion whose status the
re-evaluation changes must be reviewed again: a reviewer decision on it made before that change
no longer stands (it was made on other values).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from extraction.models import CriterionResult, FieldValue, Recommendation
from intake.db.models import Document
from intake.db.review_models import ReviewerDecision
from intake.review import audit
from rules.evaluator import evaluate
from rules.registry import PolicyRegistry

REVIEWED_CONFIDENCE = 1.0  # a value a reviewer confirmed or typed is not in doubt any more

Decided = dict[tuple[str, str], ReviewerDecision]


@dataclass(frozen=True)
class Reevaluation:
    fields: dict[str, Any]  # each field's value after review (the extracted one unless changed)
    criteria: list[CriterionResult]  # the policy's criteria on those values
    recommendation: Recommendation
    changed_by: dict[str, int]  # criterion id -> id of the field decision that last changed its status
    notice: str | None = None  # why the criteria could not be re-evaluated, when they could not

    def to_dict(self) -> dict[str, Any]:
        return {"fields": self.fields, "criteria": [c.to_dict() for c in self.criteria],
                "recommendation": self.recommendation, "changed_by": self.changed_by,
                "notice": self.notice}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Reevaluation":
        return cls(fields=dict(d["fields"]), criteria=[CriterionResult.from_dict(c) for c in d["criteria"]],
                   recommendation=d["recommendation"], changed_by=dict(d["changed_by"]), notice=d["notice"])


def stored(document: Document) -> Reevaluation | None:
    """None until a reviewer decided on a field of the current result."""
    return Reevaluation.from_dict(document.reviewed) if document.reviewed else None


def system_criteria(document: Document) -> list[CriterionResult]:
    """The system's current word on each criterion: re-evaluated if a field was reviewed."""
    again = stored(document)
    if again is not None:
        return again.criteria
    return document.assessment.criteria if document.assessment else []


def system_criterion(document: Document, criterion_id: str) -> CriterionResult | None:
    return next((c for c in system_criteria(document) if c.id == criterion_id), None)


def reviewed_value(document: Document, name: str) -> Any:
    """A field's value after review, else as extracted (None when the packet has no such field)."""
    again = stored(document)
    if again is not None and name in again.fields:
        return again.fields[name]
    found = document.assessment.fields.get(name) if document.assessment else None
    return found.value if found else None


def standing(document: Document, decided: Decided) -> Decided:
    """`decided` (decisions.latest_decisions) without criterion decisions a later re-evaluation
    overtook."""
    again = stored(document)
    if again is None:
        return decided
    return {key: decision for key, decision in decided.items()
            if not (key[0] == "criterion" and decision.id < again.changed_by.get(key[1], 0))}


def _reviewed_fields(fields: dict[str, FieldValue], decided: Decided) -> dict[str, FieldValue]:
    out = {}
    for name, found in fields.items():
        decision = decided.get(("field", name))
        if decision is None:
            out[name] = found
        elif decision.final_value == found.value:
            out[name] = dataclasses.replace(found, confidence=REVIEWED_CONFIDENCE)
        else:  # the page's words no longer back the value: the reviewer's word does
            out[name] = dataclasses.replace(found, value=decision.final_value,
                                            confidence=REVIEWED_CONFIDENCE, evidence=[])
    return out


def _policy_notice(document: Document, policies: PolicyRegistry | None) -> str | None:
    applied = document.assessment.policy if document.assessment else None
    if applied is None:
        return "no policy judged this packet, so there are no criteria to re-evaluate"
    if policies is None or applied.id not in policies.ids():
        return f"policy {applied.id} is not available here, so the criteria were not re-evaluated"
    current = policies.get(applied.id).policy.policy.version
    if applied.version and current != applied.version:
        return (f"policy {applied.id} is now version {current} (the packet was judged by "
                f"{applied.version}), so the criteria were not re-evaluated; choose the policy again "
                "to re-analyze the packet")
    return None


def apply(db: Session, document: Document, policies: PolicyRegistry | None, decided: Decided,
          trigger: ReviewerDecision, reviewer: str) -> Reevaluation:
    """Re-evaluates after `trigger` (a field decision, already flushed so it has an id) and stores
    the outcome; each criterion whose status changes is audited with the field that changed it."""
    assessment = document.assessment
    previous = stored(document)
    fields = _reviewed_fields(assessment.fields, decided)
    notice = _policy_notice(document, policies)
    before = system_criteria(document)
    if notice is None:
        decision = evaluate(policies.get(assessment.policy.id).policy, fields)
        criteria, recommendation = decision.criteria, decision.recommendation
    else:
        criteria, recommendation = before, previous.recommendation if previous else assessment.recommendation
    changed_by = dict(previous.changed_by) if previous else {}
    old_status = {c.id: c.status for c in before}
    for criterion in criteria:
        if old_status.get(criterion.id) != criterion.status:
            changed_by[criterion.id] = trigger.id
            audit.append(db, document.id, reviewer, "criterion_reevaluated", target=criterion.id,
                         old_value=old_status.get(criterion.id), new_value=criterion.status,
                         reason=f"after {trigger.name.replace('_', ' ')} was {trigger.action}")
    again = Reevaluation(fields={name: f.value for name, f in fields.items()}, criteria=criteria,
                         recommendation=recommendation, changed_by=changed_by, notice=notice)
    document.reviewed = again.to_dict()
    return again
