"""Writing and reading outbox events (intake/db/outbox_models.py); sending is outbox_sender.py.

`add_event` (a determination or a correction after it) and `add_status_event` (processing ended:
ready for review or failed) only add the row to the caller's session: it commits with the change
that caused it, or not at all. A document without a callback_url still gets its row (state
no_callback), so the API shows that nothing was sent and why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.callbacks import status_url
from intake.db.models import Document, new_id, utcnow
from intake.db.outbox_models import OUTBOX_STATES, PROCESSED, OutboxEvent


def add_event(db: Session, document: Document, kind: str, outcome: str, at: datetime) -> OutboxEvent:
    """`outcome`: the determination in force after the change (a correction repeats it)."""
    return _add(db, document, kind, at, {"outcome": outcome})


def add_status_event(db: Session, document_id: str, status: str, base_url: str) -> OutboxEvent:
    """Processing ended with `status` (ready_for_review or failed). The body keeps the completion
    callback's keys (`id`, `status`, `status_url`) next to the event's own."""
    document = db.get(Document, document_id)
    return _add(db, document, PROCESSED, utcnow(), {"id": document_id, "status": str(status),
                                                    "status_url": status_url(base_url, document_id)})


def _add(db: Session, document: Document, kind: str, at: datetime, detail: dict[str, str]) -> OutboxEvent:
    event_id = new_id()
    due = utcnow() if document.callback_url else None
    event = OutboxEvent(event_id=event_id, document_id=document.id, kind=kind, created_at=utcnow(),
                        state="pending" if document.callback_url else "no_callback", attempts=0,
                        next_attempt_at=due,
                        payload={"event_id": event_id, "event": kind, "document_id": document.id,
                                 "at": at.isoformat(), **detail})
    db.add(event)
    return event


@dataclass(frozen=True)
class DeliveryState:
    """One event as the API shows it: ids, state and attempt history, never the URL."""
    event_id: str  # also the Idempotency-Key header of every attempt
    event: str  # OUTBOX_KINDS: determination | correction | processed
    state: str  # OUTBOX_STATES
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None


def deliveries(db: Session, document_id: str) -> list[DeliveryState]:
    rows = db.scalars(select(OutboxEvent).where(OutboxEvent.document_id == document_id)
                      .order_by(OutboxEvent.id))
    return [DeliveryState(r.event_id, r.kind, r.state, r.attempts, r.created_at,
                          r.next_attempt_at if r.state == "pending" else None, r.delivered_at,
                          r.last_status, r.last_error) for r in rows]


def counts_by_state(db: Session) -> dict[str, int]:
    found = dict(db.execute(select(OutboxEvent.state, func.count()).group_by(OutboxEvent.state)).all())
    return {state: found.get(state, 0) for state in OUTBOX_STATES}


def attempts_total(db: Session) -> int:
    return db.scalar(select(func.coalesce(func.sum(OutboxEvent.attempts), 0))) or 0


def oldest_pending_age_seconds(db: Session) -> float:
    oldest = db.scalar(select(func.min(OutboxEvent.created_at)).where(OutboxEvent.state == "pending"))
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite aggregate: the column type's conversion does not apply
        oldest = oldest.replace(tzinfo=utcnow().tzinfo)
    return max(0.0, (utcnow() - oldest).total_seconds())
