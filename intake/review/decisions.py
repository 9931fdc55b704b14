"""What a reviewer does to a packet: confirm or correct a field, confirm or override a criterion,
record the determination ("request more information" pends the packet: pend.py). Each action is
a reviewer_decisions row (the label for accuracy metrics) plus an audit entry; rows are only ever
added, the newest per field/criterion wins.

Every action names the packet version the reviewer saw (`seen_version`, versions.py) and is
refused as stale when the packet changed since; None is for callers inside the service acting on
the current state. A field decision re-runs the policy's rules on the reviewed values
(reevaluate.py), given the policies (`policies`) the packet may have been judged by.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from extraction.models import CRITERION_STATUSES, CriterionResult, FieldValue
from intake.db.models import REVIEW_OPEN_STATUSES, Document, DocumentStatus, utcnow
from intake.db.review_models import DETERMINATIONS, Determination, ReviewerDecision
from intake.db.transitions import record_event
from intake import outbox
from intake.review import audit, reevaluate, versions
from intake.review.pend import REQUEST_MORE_INFORMATION, MissingItem, not_in_packet
from intake.review.determination_check import items_left, mismatches, refusal_message, review_progress
from intake.review.values import field_kind, parse_value
from rules.registry import PolicyRegistry

REVIEWABLE_STATUS = DocumentStatus.READY_FOR_REVIEW  # the one status a policy may be chosen again in
MAX_REASON_LENGTH = 2000


class ReviewRefused(ValueError):
    """The action cannot be recorded as asked; the message tells the reviewer why."""


def require_open(document: Document) -> None:
    if document.status not in REVIEW_OPEN_STATUSES:
        raise ReviewRefused(f"this packet is {document.status.replace('_', ' ')}; "
                            "only packets ready for review or pended can be changed")


def clean_reason(reason: str | None, required: bool) -> str | None:
    text = (reason or "").strip()
    if len(text) > MAX_REASON_LENGTH:
        raise ReviewRefused(f"reason longer than {MAX_REASON_LENGTH} characters")
    if required and not text:
        raise ReviewRefused("a reason is required to override a criterion")
    return text or None


def latest_decisions(db: Session, document_id: str) -> dict[tuple[str, str], ReviewerDecision]:
    """The reviewer's current word on each (kind, name)."""
    rows = db.scalars(select(ReviewerDecision).where(ReviewerDecision.document_id == document_id)
                      .order_by(ReviewerDecision.id))
    return {(row.kind, row.name): row for row in rows}


def current_decisions(db: Session, document: Document) -> dict[tuple[str, str], ReviewerDecision]:
    """latest_decisions without criterion decisions a re-evaluation has overtaken."""
    return reevaluate.standing(document, latest_decisions(db, document.id))


def latest_determination(db: Session, document_id: str) -> Determination | None:
    return db.scalar(select(Determination).where(Determination.document_id == document_id)
                     .order_by(Determination.id.desc()).limit(1))


def _extracted_field(document: Document, name: str) -> FieldValue:
    assessment = document.assessment
    if assessment is None or name not in assessment.fields:
        raise ReviewRefused("no such field in this packet")
    return assessment.fields[name]


def _extracted_criterion(document: Document, criterion_id: str) -> CriterionResult:
    assessment = document.assessment
    criterion = assessment.criterion(criterion_id) if assessment else None
    if criterion is None:
        raise ReviewRefused("no such criterion in this packet")
    return criterion


def _record(db: Session, document: Document, kind: str, name: str, extracted: Any,
            confidence: float | None, final: Any, changed_action: str, reason: str | None,
            reviewer: str, system: Any = None) -> ReviewerDecision:
    """`extracted` is what the extraction said (kept as the accuracy label's reference); `system`
    what the system says now (a re-evaluated criterion status), when that differs."""
    system = extracted if system is None else system
    previous = current_decisions(db, document).get((kind, name))
    old = previous.final_value if previous else system
    action = "confirmed" if final == system else changed_action
    decision = ReviewerDecision(document_id=document.id, kind=kind, name=name,
                                extracted_value=extracted, extracted_confidence=confidence,
                                final_value=final, action=action, reason=reason,
                                reviewer=reviewer, at=utcnow())
    db.add(decision)
    db.flush()  # its id orders it against re-evaluations (reevaluate.standing)
    audit.append(db, document.id, reviewer, f"{kind}_{action}", target=name,
                 old_value=old, new_value=final, reason=reason)
    # A pended packet ("request more information") stays open after its determination went
    # downstream, so a change to it is news there; a confirmation that changes nothing is not.
    decided = document.status in (DocumentStatus.PENDED, DocumentStatus.REVIEWED)
    standing = latest_determination(db, document.id) if decided and final != old else None
    if standing is not None:  # in this transaction: the event commits with the change, or neither
        outbox.add_event(db, document, "correction", standing.outcome, decision.at)
    return decision


def confirm_field(db: Session, document: Document, name: str, reviewer: str, *,
                  seen_version: int | None = None,
                  policies: PolicyRegistry | None = None) -> ReviewerDecision:
    """Confirm the field's current value (the extracted one, or an earlier correction)."""
    versions.advance(db, document, seen_version)
    return record_field_confirmation(db, document, name, reviewer, policies)


def record_field_confirmation(db: Session, document: Document, name: str, reviewer: str,
                              policies: PolicyRegistry | None) -> ReviewerDecision:
    """confirm_field once the version check is done (one check may cover several confirmations:
    routine.confirm_routine)."""
    require_open(document)
    extracted = _extracted_field(document, name)
    previous = latest_decisions(db, document.id).get(("field", name))
    current = previous.final_value if previous else extracted.value
    decision = _record(db, document, "field", name, extracted.value, extracted.confidence,
                       current, "corrected", None, reviewer)
    reevaluate.apply(db, document, policies, latest_decisions(db, document.id), decision, reviewer)
    return decision


def correct_field(db: Session, document: Document, name: str, raw_value: str,
                  reason: str | None, reviewer: str, *, seen_version: int | None = None,
                  policies: PolicyRegistry | None = None) -> ReviewerDecision:
    """Set the field to the reviewer's typed value, of the field's own kind (values.FIELD_KINDS);
    raises InvalidValue if it does not parse. The policy's criteria follow the new value."""
    versions.advance(db, document, seen_version)
    require_open(document)
    extracted = _extracted_field(document, name)
    value = parse_value(field_kind(name), raw_value)
    decision = _record(db, document, "field", name, extracted.value, extracted.confidence,
                       value, "corrected", clean_reason(reason, required=False), reviewer)
    reevaluate.apply(db, document, policies, latest_decisions(db, document.id), decision, reviewer)
    return decision


def _system_status(document: Document, criterion_id: str) -> str:
    current = reevaluate.system_criterion(document, criterion_id)
    if current is None:
        raise ReviewRefused("no such criterion in this packet")
    return current.status


def confirm_criterion(db: Session, document: Document, criterion_id: str, reviewer: str, *,
                      seen_version: int | None = None) -> ReviewerDecision:
    """Agree with the system's current status (re-evaluated after a correction, if one was)."""
    versions.advance(db, document, seen_version)
    return record_criterion_confirmation(db, document, criterion_id, reviewer)


def record_criterion_confirmation(db: Session, document: Document, criterion_id: str,
                                  reviewer: str) -> ReviewerDecision:
    """confirm_criterion once the version check is done."""
    require_open(document)
    extracted = _extracted_criterion(document, criterion_id)
    system = _system_status(document, criterion_id)
    return _record(db, document, "criterion", criterion_id, extracted.status,
                   extracted.confidence, system, "overridden", None, reviewer, system)


def override_criterion(db: Session, document: Document, criterion_id: str, status: str,
                       reason: str | None, reviewer: str, *,
                       seen_version: int | None = None) -> ReviewerDecision:
    versions.advance(db, document, seen_version)
    require_open(document)
    extracted = _extracted_criterion(document, criterion_id)
    if status not in CRITERION_STATUSES:
        raise ReviewRefused(f"status must be one of {', '.join(CRITERION_STATUSES)}")
    return _record(db, document, "criterion", criterion_id, extracted.status,
                   extracted.confidence, status, "overridden",
                   clean_reason(reason, required=True), reviewer, _system_status(document, criterion_id))


def _missing(document: Document, outcome: str, missing: Sequence[MissingItem]) -> list[MissingItem] | None:
    """What a request for more information names as missing (required, at least one item of the
    packet or free text); None for any other outcome, and a pended packet cannot be pended again."""
    if outcome != REQUEST_MORE_INFORMATION:
        return None
    if document.status == DocumentStatus.PENDED:
        raise ReviewRefused("this packet is already pended for more information; record meets "
                            "criteria or refer it to the medical director")
    if not missing:
        raise ReviewRefused("say what is missing: tick at least one item or describe it")
    unknown = not_in_packet(document, missing)
    if unknown:
        raise ReviewRefused(f"not an item of this packet: {', '.join(unknown)}")
    for item in missing:
        clean_reason(item.name, required=False)  # the same length limit as any reason
    return list(missing)


def record_determination(db: Session, document: Document, outcome: str, note: str | None,
                         reviewer: str, *, seen_version: int | None = None,
                         missing: Sequence[MissingItem] = ()) -> Determination:
    """The reviewer's call; moves the packet to 'reviewed', or to 'pended' for "request more
    information" with what is `missing` (compare-and-set, so two reviewers deciding at once cannot
    both succeed). A pended packet takes a final call later, which closes it. Any call is refused
    while an item is unreviewed (a note does not lift that); one that does not match the evidence
    (determination_check) is refused without a note, and audited as an override with one."""
    versions.advance(db, document, seen_version)
    require_open(document)
    if outcome not in DETERMINATIONS:
        raise ReviewRefused("choose meets criteria, request more information or refer to the "
                            "medical director")
    note = clean_reason(note, required=False)
    wanted = _missing(document, outcome, missing)  # what the form asks is checked before the packet
    progress = review_progress(document, current_decisions(db, document))
    left = items_left(progress)
    if left is not None:
        raise ReviewRefused(left)
    against_evidence = mismatches(outcome, progress)
    if against_evidence and note is None:
        raise ReviewRefused(refusal_message(outcome, against_evidence))
    now = utcnow()
    before = document.status
    after = DocumentStatus.PENDED if wanted is not None else DocumentStatus.REVIEWED
    moved = db.execute(update(Document)
                       .where(Document.id == document.id, Document.status == before)
                       .values(status=after, updated_at=now)
                       .execution_options(synchronize_session="fetch"))
    if moved.rowcount != 1:
        raise ReviewRefused("another reviewer recorded a determination first")
    determination = Determination(document_id=document.id, outcome=outcome, note=note, reviewer=reviewer, at=now,
                                  missing=[item.to_dict() for item in wanted] if wanted is not None else None)
    db.add(determination)
    outbox.add_event(db, document, "determination", outcome, now)  # commits with it, or not at all
    record_event(db, document.id, after.value, outcome=outcome)
    if against_evidence:  # what the reviewer decided over, next to their reason
        audit.append(db, document.id, reviewer, "determination_override", target=None,
                     old_value=against_evidence, new_value=outcome, reason=note)
    audit.append(db, document.id, reviewer, "determination", target=None,
                 old_value=document.recommendation, new_value=outcome, reason=note)
    if wanted is not None:
        audit.append(db, document.id, reviewer, "pended", target=None, old_value=before,
                     new_value=[item.label for item in wanted], reason=note)
    elif before == DocumentStatus.PENDED:
        audit.append(db, document.id, reviewer, "pend_closed", target=None, old_value=before,
                     new_value=outcome, reason=note)
    return determination
