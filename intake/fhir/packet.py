"""What a FHIR bundle is built from, read once from the database: the packet's reviewed field
values (a reviewer's correction wins over the reading), each criterion's system status and
reviewer decision, the determination and the audit entries that changed something."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from assessment.record import AssessmentRecord
from extraction.models import CriterionResult, Evidence
from intake.db.models import Document
from intake.db.review_models import AuditEntry, Determination, ReviewerDecision
from intake.review.audit import trail
from intake.review.decisions import current_decisions, latest_determination
from intake.review.reevaluate import system_criteria

# Audit actions that record a change (reads such as review_read or viewed are left out).
CHANGE_ACTIONS = ("field_confirmed", "field_corrected", "criterion_confirmed", "criterion_overridden",
                  "determination", "determination_override")


@dataclass(frozen=True)
class ReviewedField:
    name: str
    value: Any  # the reviewer's value when corrected, else the reading; None: not found
    extracted: Any
    confidence: float | None
    corrected_by: str | None  # the reviewer who changed it, when the value differs from the reading


@dataclass(frozen=True)
class ReviewedCriterion:
    id: str
    guideline_text: str
    system_status: str  # the rules on the reviewed values
    decision: str | None  # the reviewer's status, when they confirmed or overrode it
    reason: str | None
    confidence: float
    evidence: list[Evidence]

    @property
    def status(self) -> str:
        return self.decision or self.system_status


@dataclass(frozen=True)
class FhirPacket:
    document: Document
    assessment: AssessmentRecord | None
    fields: dict[str, ReviewedField]
    criteria: list[ReviewedCriterion]
    determination: Determination | None
    changes: list[AuditEntry]  # oldest first

    def value(self, name: str) -> Any:
        found = self.fields.get(name)
        return None if found is None else found.value

    @property
    def decided_at(self) -> datetime | None:
        return self.determination.at if self.determination else None


def load_packet(db: Session, document: Document) -> FhirPacket:
    decided = current_decisions(db, document)
    assessment = document.assessment
    fields = {name: _field(name, found.value, found.confidence, decided.get(("field", name)))
              for name, found in (assessment.fields.items() if assessment else [])}
    criteria = [_criterion(found, decided.get(("criterion", found.id))) for found in system_criteria(document)]
    changes = [entry for entry in reversed(trail(db, document.id)) if entry.action in CHANGE_ACTIONS]
    return FhirPacket(document, assessment, fields, criteria, latest_determination(db, document.id), changes)


def _field(name: str, extracted: Any, confidence: float, decision: ReviewerDecision | None) -> ReviewedField:
    if decision is None:
        return ReviewedField(name, extracted, extracted, confidence, None)
    changed = decision.final_value != extracted
    return ReviewedField(name, decision.final_value, extracted, confidence,
                         decision.reviewer if changed else None)


def _criterion(found: CriterionResult, decision: ReviewerDecision | None) -> ReviewedCriterion:
    return ReviewedCriterion(found.id, found.guideline_text, found.status,
                             decision.final_value if decision else None,
                             decision.reason if decision else None, found.confidence, list(found.evidence))
