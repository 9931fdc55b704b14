"""Tables of the intake service (SQLAlchemy 2.0 typed ORM).

documents       one row per accepted upload; `status` moves only by compare-and-set updates
document_pages  one row per page, filled by the page jobs; unique (document_id, number)
api_keys        callers; only the sha256 of a key is stored
events          append-only lifecycle log (upload, finished, failed, requeued...): it is what the
                review/audit feature will extend, and what tests count to prove "exactly once"

Timestamps are timezone-aware UTC. JSON columns hold the extraction contract, never logged.
"""
from __future__ import annotations

import uuid
from enum import StrEnum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from assessment.record import AssessmentRecord

class DocumentStatus(StrEnum):
    """Every state a document can be in: the one list (API schema, queue filters, transitions)."""
    RECEIVED = "received"
    QUEUED = "queued"
    PROCESSING = "processing"
    READY_FOR_REVIEW = "ready_for_review"
    PENDED = "pended"  # a reviewer requested more information: waiting for it, not closed
    REVIEWED = "reviewed"
    FAILED = "failed"


DOCUMENT_STATUSES = tuple(DocumentStatus)
OPEN_STATUSES = (DocumentStatus.RECEIVED, DocumentStatus.QUEUED, DocumentStatus.PROCESSING)
FINAL_STATUSES = (DocumentStatus.READY_FOR_REVIEW, DocumentStatus.PENDED, DocumentStatus.REVIEWED,
                  DocumentStatus.FAILED)
# A reviewer may still act on these: review items, record a (final) determination.
REVIEW_OPEN_STATUSES = (DocumentStatus.READY_FOR_REVIEW, DocumentStatus.PENDED)
DECIDED_STATUSES = (DocumentStatus.REVIEWED, DocumentStatus.FAILED)  # the decision clock has stopped
PAGE_STATUSES = ("pending", "processing", "done")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite would hand back naive ones)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value and dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON}


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMAC key for this caller's outbox callbacks (`intake keys add NAME --callback-secret`). Kept
    # in the clear, unlike the key itself: signing needs the secret, not a hash of it.
    callback_secret: Mapped[str | None] = mapped_column(String(100))


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("api_key_id", "idempotency_key", name="uq_documents_key_idempotency"),
        Index("ix_documents_status_received", "status", "received_at"),
        # Same bytes from the same sender are the same document (gateways retry without keys).
        UniqueConstraint("api_key_id", "dedup_key", name="uq_documents_key_dedup"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    dedup_key: Mapped[str] = mapped_column(String(64))  # sha256 of (content sha256, fax_from)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    page_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32), default="received")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    fax_from: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    policy_requested: Mapped[str | None] = mapped_column(String(100))  # upload's or reviewer's choice
    policy_requested_by: Mapped[str | None] = mapped_column(String(20))  # "upload" | "reviewer"
    api_key_id: Mapped[str] = mapped_column(ForeignKey("api_keys.id"))
    expedited: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set once, by the page job that completes the last page: the analysis is enqueued exactly once.
    analysis_requested_at: Mapped[datetime | None]
    # Lease of the document-level step (split into pages, or analysis) currently running.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    recommendation: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None]
    # Bumped by every change a reviewer (or a new analysis) makes; each reviewer action names the
    # version it saw and is refused when it is stale (intake/review/versions.py).
    review_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The policy's criteria on the reviewed field values, after a correction (review/reevaluate.py).
    reviewed: Mapped[dict[str, Any] | None]
    # The reviewer working on the packet and until when (review/claims.py); an expired claim is none.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]

    pages: Mapped[list["DocumentPage"]] = relationship(
        back_populates="document", order_by="DocumentPage.number", cascade="all, delete-orphan")

    @property
    def assessment(self) -> AssessmentRecord | None:
        """The stored result, typed; None until the packet has been analyzed. Parsed once per loaded
        result (a page view or queue row asks several times); a new result is parsed again."""
        if not self.result:
            return None
        cached = self.__dict__.get("_assessment")
        if cached is None or cached[0] is not self.result:
            cached = (self.result, AssessmentRecord.from_dict(self.result))
            self.__dict__["_assessment"] = cached
        return cached[1]


class DocumentPage(Base):
    __tablename__ = "document_pages"
    __table_args__ = (UniqueConstraint("document_id", "number", name="uq_document_pages_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1-based
    status: Mapped[str] = mapped_column(String(32), default="pending")
    method: Mapped[str | None] = mapped_column(String(32))
    result: Mapped[dict[str, Any] | None]  # extraction.models.page_to_dict
    image_sha256: Mapped[str | None] = mapped_column(String(64))  # upright page PNG in the blob store
    seconds: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="pages")


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    detail: Mapped[dict[str, Any] | None]  # codes, counts, timings: never document text
