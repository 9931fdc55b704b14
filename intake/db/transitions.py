"""Every status change of documents and pages, each a compare-and-set UPDATE.

A job may be delivered twice (RQ retry, reconciler re-enqueue, a killed worker's orphaned work
horse finishing late); each transition states the status it expects and the lease it must hold,
so only one execution can win and the others become no-ops. Functions return whether they won.
Run them inside `session_scope` so the change and its event commit together; the end of processing
(ready for review, failed) also writes its completion callback to the outbox in that transaction.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from intake import outbox
from intake.db.models import OPEN_STATUSES, Document, DocumentPage, DocumentStatus, Event, utcnow


def record_event(session: Session, document_id: str | None, kind: str, **detail: Any) -> None:
    session.add(Event(document_id=document_id, kind=kind, detail=detail or None))


def _set(session: Session, stmt: Any) -> bool:
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1


def mark_queued(session: Session, document_id: str) -> bool:
    now = utcnow()
    return _set(session, update(Document).where(Document.id == document_id, Document.status == DocumentStatus.RECEIVED)
                .values(status=DocumentStatus.QUEUED, queued_at=now, updated_at=now))


def mark_not_queued(session: Session, document_id: str) -> bool:
    """The upload committed the row as queued but Redis refused the job: the reconciler enqueues it."""
    return _set(session, update(Document).where(Document.id == document_id, Document.status == DocumentStatus.QUEUED)
                .values(status=DocumentStatus.RECEIVED, queued_at=None, updated_at=utcnow()))


def _lease_free(model: Any) -> Any:
    return or_(model.lease_until.is_(None), model.lease_until < utcnow())


def claim_document(session: Session, document_id: str, owner: str, lease_seconds: int,
                   statuses: tuple[str, ...]) -> bool:
    """Take the document-level lease (split or analysis step) and move it to processing."""
    now = utcnow()
    return _set(session, update(Document)
                .where(Document.id == document_id, Document.status.in_(statuses), _lease_free(Document))
                .values(status=DocumentStatus.PROCESSING, lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds),
                        attempts=Document.attempts + 1, started_at=func.coalesce(Document.started_at, now),
                        updated_at=now))


def renew_document_lease(session: Session, document_id: str, owner: str, lease_seconds: int) -> bool:
    return _set(session, update(Document).where(Document.id == document_id, Document.lease_owner == owner)
                .values(lease_until=utcnow() + timedelta(seconds=lease_seconds)))


def release_document_lease(session: Session, document_id: str, owner: str) -> bool:
    return _set(session, update(Document).where(Document.id == document_id, Document.lease_owner == owner)
                .values(lease_owner=None, lease_until=None, updated_at=utcnow()))


def create_pages(session: Session, document_id: str, page_count: int) -> None:
    """Page rows 1..page_count; rows that a previous, interrupted run created are kept."""
    existing = set(session.scalars(select(DocumentPage.number).where(DocumentPage.document_id == document_id)))
    now = utcnow()
    missing = [{"document_id": document_id, "number": n, "status": "pending", "attempts": 0, "updated_at": now}
               for n in range(1, page_count + 1) if n not in existing]
    if missing:
        session.execute(insert(DocumentPage), missing)
    session.execute(update(Document).where(Document.id == document_id)
                    .values(page_count=page_count, updated_at=now).execution_options(synchronize_session=False))


def claim_page(session: Session, document_id: str, number: int, owner: str, lease_seconds: int) -> bool:
    """A pending page, or one whose reader died (lease expired), becomes ours."""
    now = utcnow()
    return _set(session, update(DocumentPage)
                .where(DocumentPage.document_id == document_id, DocumentPage.number == number,
                       or_(DocumentPage.status == "pending",
                           and_(DocumentPage.status == "processing", DocumentPage.lease_until < now)),
                       exists().where(Document.id == document_id, Document.status == DocumentStatus.PROCESSING))
                .values(status="processing", lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds),
                        attempts=DocumentPage.attempts + 1, updated_at=now))


def renew_page_lease(session: Session, document_id: str, number: int, owner: str, lease_seconds: int) -> bool:
    return _set(session, update(DocumentPage)
                .where(DocumentPage.document_id == document_id, DocumentPage.number == number,
                       DocumentPage.lease_owner == owner, DocumentPage.status == "processing")
                .values(lease_until=utcnow() + timedelta(seconds=lease_seconds)))


def release_page(session: Session, document_id: str, number: int, owner: str) -> bool:
    """Give a page back (transient failure) so the retry can claim it at once."""
    return _set(session, update(DocumentPage)
                .where(DocumentPage.document_id == document_id, DocumentPage.number == number,
                       DocumentPage.lease_owner == owner, DocumentPage.status == "processing")
                .values(status="pending", lease_owner=None, lease_until=None, updated_at=utcnow()))


def complete_page(session: Session, document_id: str, number: int, owner: str, *, result: dict[str, Any],
                  method: str, image_sha256: str | None, seconds: float, error: str | None) -> bool:
    won = _set(session, update(DocumentPage)
               .where(DocumentPage.document_id == document_id, DocumentPage.number == number,
                      DocumentPage.lease_owner == owner, DocumentPage.status == "processing")
               .values(status="done", result=result, method=method, image_sha256=image_sha256,
                       seconds=seconds, error=error, lease_owner=None, lease_until=None, updated_at=utcnow()))
    if won:
        record_event(session, document_id, "page_done", page=number, method=method, seconds=round(seconds, 3))
    return won


def request_analysis(session: Session, document_id: str) -> bool:
    """True exactly once per document: when every page is done and nobody asked before."""
    pages_done = select(func.count()).where(DocumentPage.document_id == document_id,
                                            DocumentPage.status == "done").scalar_subquery()
    return _set(session, update(Document)
                .where(Document.id == document_id, Document.status == DocumentStatus.PROCESSING,
                       Document.analysis_requested_at.is_(None), Document.page_count.is_not(None),
                       Document.page_count == pages_done)
                .values(analysis_requested_at=utcnow()))


def finish_document(session: Session, document_id: str, owner: str, result: dict[str, Any],
                    recommendation: str, *, base_url: str) -> bool:
    """`base_url`: the service's public prefix, for the completion callback's status_url."""
    now = utcnow()
    won = _set(session, update(Document)
               .where(Document.id == document_id, Document.status == DocumentStatus.PROCESSING, Document.lease_owner == owner)
               .values(status=DocumentStatus.READY_FOR_REVIEW, result=result, recommendation=recommendation,
                       finished_at=now, updated_at=now, lease_owner=None, lease_until=None,
                       # a new result: earlier re-evaluations no longer apply, open tabs are stale
                       reviewed=None, review_version=Document.review_version + 1))
    if won:
        record_event(session, document_id, "finished", recommendation=recommendation)
        outbox.add_status_event(session, document_id, DocumentStatus.READY_FOR_REVIEW, base_url)
    return won


def fail_document(session: Session, document_id: str, code: str, message: str, owner: str | None = None, *,
                  base_url: str) -> bool:
    """Final failure with a reason. With `owner`, only the holder of the document lease may fail it."""
    now = utcnow()
    conditions = [Document.id == document_id, Document.status.in_(OPEN_STATUSES)]
    if owner is not None:
        conditions.append(Document.lease_owner == owner)
    won = _set(session, update(Document).where(*conditions)
               .values(status=DocumentStatus.FAILED, error_code=code, error_message=message, finished_at=now,
                       updated_at=now, lease_owner=None, lease_until=None))
    if won:
        record_event(session, document_id, "failed", code=code)
        outbox.add_status_event(session, document_id, DocumentStatus.FAILED, base_url)
    return won
