"""The reviewed result handed to downstream systems: the extraction contract with each field's
and criterion's final value, how the reviewer got there, and the determination. A criterion's
`system_status` is the rules' answer on the reviewed field values (reevaluate.py); `version` is
the packet version a reviewer action must name (versions.py)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.db.models import Document
from intake.db.review_models import ReviewerDecision
from intake.review.decisions import current_decisions, latest_determination
from intake.review.reevaluate import system_criteria


def _review(decision: ReviewerDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"action": decision.action, "reason": decision.reason, "reviewer": decision.reviewer,
            "at": decision.at.isoformat()}


def reviewed_result(db: Session, document: Document) -> dict[str, Any]:
    assessment = document.assessment
    decided = current_decisions(db, document)
    fields = {}
    for name, found in assessment.fields.items() if assessment else []:
        decision = decided.get(("field", name))
        fields[name] = {"value": decision.final_value if decision else found.value,
                        "extracted_value": found.value,
                        "confidence": found.confidence, "review": _review(decision)}
    criteria = []
    extracted = {c.id: c.status for c in assessment.criteria} if assessment else {}
    for found in system_criteria(document):
        decision = decided.get(("criterion", found.id))
        criteria.append({"id": found.id,
                         "status": decision.final_value if decision else found.status,
                         "extracted_status": extracted.get(found.id, found.status),
                         "system_status": found.status, "confidence": found.confidence,
                         "review": _review(decision)})
    determination = latest_determination(db, document.id)
    return {
        "document_id": document.id,
        "status": document.status,
        "version": document.review_version,
        "policy": assessment.policy.to_dict() if assessment and assessment.policy else None,
        "recommendation": assessment.recommendation if assessment else None,
        "determination": None if determination is None else {
            "outcome": determination.outcome, "note": determination.note,
            "missing": determination.missing,  # what "request more information" asked for, else None
            "reviewer": determination.reviewer, "at": determination.at.isoformat()},
        "fields": fields,
        "criteria": criteria,
    }
