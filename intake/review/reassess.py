"""A reviewer chooses the policy a packet is judged by (none matched, two matched, or the wrong
one did): the packet goes back to analysis from its stored pages, without reading them again.
Compare-and-set like every other review action; the finish job does the rest. (A field
correction re-runs the rules on the reviewed values without a new analysis: reevaluate.py.)
"""
from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import update
from sqlalchemy.orm import Session

from intake.db.models import Document, DocumentStatus, utcnow
from intake.db.transitions import record_event
from intake.review import audit, versions
from intake.review.decisions import REVIEWABLE_STATUS, ReviewRefused, clean_reason


def request_policy(db: Session, document: Document, policy_id: str, known: Collection[str],
                   reviewer: str, reason: str | None, *, seen_version: int | None = None) -> None:
    """Moves the packet back to processing with its analysis requested under `policy_id`; the caller
    commits, then queues the finish job (the reconciler queues it if that enqueue is lost)."""
    versions.advance(db, document, seen_version)
    if policy_id not in known:
        raise ReviewRefused(f"unknown policy {policy_id!r}")
    if document.status != REVIEWABLE_STATUS:
        raise ReviewRefused(f"this packet is {document.status.replace('_', ' ')}; "
                            "only packets ready for review can be re-evaluated")
    note = clean_reason(reason, required=False)
    current = document.assessment.policy.id if document.assessment and document.assessment.policy else None
    now = utcnow()
    moved = db.execute(update(Document)
                       .where(Document.id == document.id, Document.status == REVIEWABLE_STATUS)
                       .values(status=DocumentStatus.PROCESSING, policy_requested=policy_id,
                               policy_requested_by="reviewer", analysis_requested_at=now,
                               lease_owner=None, lease_until=None, updated_at=now)
                       .execution_options(synchronize_session="fetch"))
    if moved.rowcount != 1:
        raise ReviewRefused("the packet changed meanwhile; reload it")
    record_event(db, document.id, "policy_chosen", policy=policy_id)
    audit.append(db, document.id, reviewer, "policy_chosen", target="policy", old_value=current,
                 new_value=policy_id, reason=note)
