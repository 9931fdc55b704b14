"""The outbox table: one row per event a caller's callback URL must hear about.

outbox_events  written in the transaction that records the determination (or a correction after
               it), or the end of processing (ready for review or failed: intake/db/transitions.py),
               so an event exists exactly when its change was committed; the sender
               (intake/outbox_sender.py) delivers rows and records each attempt on the row. The
               row is the truth: a process or Redis dying between commit and delivery loses
               nothing, the next pass sends it. `event_id` is the Idempotency-Key: a redelivery
               after a crash carries the same one, so a receiver can drop the duplicate.

The payload holds ids, the event kind and the outcome (or the document status) only, never packet
values: the receiver
reads those through the API (`/review`, `/fhir`) with its key.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.db.models import Base, new_id, utcnow

# pending: to be sent (now or at next_attempt_at); delivered: a 2xx came back; failed: given up
# (permanent refusal or attempts exhausted); no_callback: the document has no callback_url.
OUTBOX_STATES = ("pending", "delivered", "failed", "no_callback")
PROCESSED = "processed"  # processing ended: ready for review or failed (the completion callback)
OUTBOX_KINDS = ("determination", "correction", PROCESSED)


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_state_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # OUTBOX_KINDS
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # OUTBOX_STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a sender is posting it; expired: that sender died
    last_error: Mapped[str | None] = mapped_column(Text)  # a reason, never the URL
    last_status: Mapped[int | None] = mapped_column(Integer)  # the receiver's HTTP status
    delivered_at: Mapped[datetime | None]
