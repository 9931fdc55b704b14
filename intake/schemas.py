"""Response models of the public API (they are what OpenAPI documents)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from intake.db.models import Document, DocumentStatus

# The largest integer a request may carry into SQL: an INTEGER column on PostgreSQL. Bigger ones
# (offsets, page numbers) are refused as invalid requests instead of failing in the database.
SQL_INT_MAX = 2**31 - 1


class Accepted(BaseModel):
    id: str = Field(description="Document id (UUID).")
    status: DocumentStatus
    status_url: str = Field(description="Where to poll the status and results.")


class ErrorReason(BaseModel):
    code: str = Field(description="Stable machine code, e.g. encrypted_document, too_many_pages.")
    message: str


class Timings(BaseModel):
    received_at: datetime
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    processing_seconds: float | None = Field(None, description="started_at -> finished_at")
    total_seconds: float | None = Field(None, description="received_at -> finished_at")


class DocumentSummary(BaseModel):
    id: str
    status: DocumentStatus
    status_url: str
    media_type: str
    size: int = Field(description="Bytes of the original file.")
    sha256: str
    page_count: int | None = None
    pages_done: int = 0
    source: str | None = None
    fax_from: str | None = None
    recommendation: str | None = None
    error: ErrorReason | None = None
    timings: Timings


class DocumentDetail(DocumentSummary):
    attempts: int = Field(description="Document-level steps started (split, analysis), retries included.")
    result: dict[str, Any] | None = Field(
        None, description="The extraction contract (same shape as `intake extract --json`): source, pages, "
                          "fields, criteria, recommendation, policy, page_details, other_patient_pages, "
                          "blank_pages, seconds. Set once ready.")


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    total: int
    limit: int
    offset: int


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def summary_fields(doc: Document, status_url: str, pages_done: int) -> dict[str, Any]:
    return {
        "id": doc.id, "status": doc.status, "status_url": status_url, "media_type": doc.media_type,
        "size": doc.size, "sha256": doc.sha256, "page_count": doc.page_count, "pages_done": pages_done,
        "source": doc.source, "fax_from": doc.fax_from, "recommendation": doc.recommendation,
        "error": ErrorReason(code=doc.error_code, message=doc.error_message or "") if doc.error_code else None,
        "timings": Timings(received_at=doc.received_at, queued_at=doc.queued_at, started_at=doc.started_at,
                           finished_at=doc.finished_at,
                           processing_seconds=_seconds(doc.started_at, doc.finished_at),
                           total_seconds=_seconds(doc.received_at, doc.finished_at)),
    }
