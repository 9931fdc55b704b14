"""/v1/documents: upload a packet, poll its status and results, list documents.

An upload is streamed into the blob store (size limit enforced while streaming; the one durable
write), its type sniffed from the first bytes, and its row committed as `queued` (the one
commit) before the job is enqueued and the 202 answered. Everything that needs the file opened
(page count, page sizes and pixels, structure, encryption) is judged by the worker's first step
(intake/jobs.py `process_document`): a file that fails there ends `failed` with its stable
error code. If Redis is unreachable when enqueueing, the document goes back to `received` and the
reconciler enqueues it later; if the API dies between commit and enqueue, the reconciler finds the
`queued` row without a job after its grace period: an accepted document is never lost.

Reading a document once it holds its extracted result (PHI) is audited like every packet read:
who (the API key), when, what, and from which client address.
"""
from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from extraction.errors import IntakeError
from intake.auth import require_api_key
from intake.callback_destinations import CallbackPolicy, DestinationRefused, parse_callback_url
from intake.callbacks import status_url
from intake.db import transitions as tx
from intake.db.models import (DOCUMENT_STATUSES, ApiKey, Document, DocumentPage, DocumentStatus, Event, new_id,
                              utcnow)
from intake.db.session import get_session, session_scope
from intake.http_errors import ApiError, error_responses
from intake.logs import log_event
from intake.review import audit
from intake.routers.packet_access import PacketReader
from intake.schemas import SQL_INT_MAX, Accepted, DocumentDetail, DocumentPage as DocumentList, DocumentSummary, summary_fields
from intake.uploads import MalformedUpload, Upload, receive_upload

router = APIRouter(prefix="/v1/documents", tags=["documents"])
log = logging.getLogger("intake.api")

MAX_PAGE_SIZE = 500
_DOCUMENTS, _EVENTS = Document.__table__, Event.__table__
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "The packet: PDF, TIFF (fax), PNG or JPEG. The type is sniffed from "
                                        "the bytes; the file name is ignored."},
                "source": {"type": "string", "maxLength": 200, "description": "Sending system or channel."},
                "fax_from": {"type": "string", "maxLength": 64, "description": "Sender fax number."},
                "callback_url": {"type": "string", "format": "uri", "minLength": 1, "maxLength": 2000,
                                 "description": "POSTed {id, status, status_url} when processing ends. "
                                                "https (http only where the operator allows it), no "
                                                "user:password@; the host must resolve to public addresses "
                                                "unless the operator allow-lists it; redirects are not "
                                                "followed. Leave it out for no callback. Refused (also when "
                                                "empty): 400 `invalid_callback_url`."},
                "policy": {"type": "string", "maxLength": 100,
                           "description": "Id of the policy to judge the packet by (`intake policies list`). "
                                          "Unset: the policy governing the HCPCS code the packet requests."},
            }}}},
    }
}


def _base_url(request: Request) -> str:
    return request.app.state.settings.public_base_url or str(request.base_url)


def _accepted(request: Request, document_id: str, status: str, http_status: int) -> JSONResponse:
    # Built here, not validated against the response model (Accepted): it is three strings.
    return JSONResponse({"id": document_id, "status": status,
                         "status_url": status_url(_base_url(request), document_id)}, status_code=http_status)


@router.post(
    "", status_code=202, response_model=Accepted, openapi_extra=_UPLOAD_BODY,
    summary="Upload a packet",
    description="Stores the file durably and queues it. A repeated `Idempotency-Key`, or the same bytes "
                "from the same API key and fax sender, returns the first document (200) instead of a new one.",
    responses={200: {"model": Accepted, "description": "Repeat of an earlier upload: the first document"},
               202: {"description": "Accepted: stored and queued"},
               **error_responses(400, 401, 413, 415, 422)})
async def upload_document(
    request: Request,
    api_key: Annotated[ApiKey, Depends(require_api_key)],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                                  description="Client-chosen key; retries with it are no-ops.")] = None,
):
    state = request.app.state
    if idempotency_key:
        first = await run_in_threadpool(_find_by_idempotency_key, state.sessions, api_key.id, idempotency_key)
        if first is not None:
            return _accepted(request, first.id, first.status, 200)
    try:  # refused uploads (size, form, empty or unknown type by its first bytes) keep no bytes
        ack = await receive_upload(
            request.headers.get("content-type", ""), request.headers.get("content-length"), request.stream(),
            state.store, state.upload_form_limits,
            check_fields=lambda raw: _metadata(raw, state.policy_ids, state.callback_policy),
            accept=lambda upload, fields: _acknowledge(state, api_key.id, idempotency_key, upload, fields))
    except IntakeError as exc:
        log_event(log, "upload_rejected", code=exc.code)
        raise
    if ack.created:
        log_event(log, "document_received", document_id=ack.id, status=ack.status, size=ack.size)
    return _accepted(request, ack.id, ack.status, 202 if ack.created else 200)


class InvalidCallbackUrl(MalformedUpload):
    code = "invalid_callback_url"


def _metadata(raw: dict[str, str], policy_ids: frozenset[str],
              callback_policy: CallbackPolicy) -> dict[str, str | None]:
    """The upload's form fields, checked before its bytes are kept (MalformedUpload: 400)."""
    limits = {"source": 200, "fax_from": 64, "callback_url": 2000, "policy": 100}
    unknown = set(raw) - set(limits)
    if unknown:
        raise MalformedUpload(f"unknown form fields: {', '.join(sorted(unknown))}")
    out: dict[str, str | None] = {}
    for name, limit in limits.items():
        value = (raw.get(name) or "").strip() or None
        if value is not None and "\x00" in value:
            raise MalformedUpload(f"{name} holds a NUL character")
        if value is not None and len(value) > limit:
            raise MalformedUpload(f"{name} is longer than {limit} characters")
        out[name] = value
    if out["callback_url"] is None and "callback_url" in raw:
        # Sent but blank is no URL (the schema says `uri`); silently dropping it would leave a
        # sender believing it will be called back. No callback: leave the field out.
        raise InvalidCallbackUrl("callback_url: empty; leave the field out for no callback")
    if out["callback_url"] is not None:
        try:  # syntax, scheme, credentials and address literals; DNS is checked at delivery
            parse_callback_url(out["callback_url"], callback_policy)
        except DestinationRefused as exc:
            raise InvalidCallbackUrl(f"callback_url: {exc.reason}") from exc
    if out["policy"] is not None and out["policy"] not in policy_ids:
        raise MalformedUpload(f"unknown policy {out['policy']!r}; known: {', '.join(sorted(policy_ids))}")
    return out


def _find_by_idempotency_key(sessions, api_key_id: str, key: str) -> Document | None:
    with session_scope(sessions) as s:
        return s.scalar(select(Document).where(Document.api_key_id == api_key_id, Document.idempotency_key == key))


@dataclass(frozen=True)
class _Acknowledgement:
    id: str
    status: str
    created: bool  # False: a repeat, answered with the first document
    size: int


def _acknowledge(state, api_key_id: str, idempotency_key: str | None, upload: Upload,
                 fields: dict[str, str | None]) -> _Acknowledgement:
    """The blob is durable: commit its row, then enqueue it if it is new (blocking, in a thread)."""
    ack = _register(state.sessions, api_key_id, idempotency_key, upload, fields)
    if ack.created:
        return dataclasses.replace(ack, status=_enqueue(state, ack.id))
    return ack


def _dedup_key(sha256: str, fax_from: str | None) -> str:
    return hashlib.sha256(f"{sha256}\x00{fax_from or ''}".encode()).hexdigest()


def _register(sessions, api_key_id: str, idempotency_key: str | None, upload: Upload,
              fields: dict[str, str | None]) -> _Acknowledgement:
    """Commit the row, already `queued` (the blob is already durable), or find the first document
    of a repeat. The page count stays unknown until the worker opens the file.

    Inserted first, looked up only when a unique key (API key with dedup key, API key with
    idempotency key) refuses the row: a new upload, the common case, is two inserts and a commit.
    Core statements, not the ORM's unit of work, whose bookkeeping cost more CPU than the SQL."""
    dedup_key = _dedup_key(upload.sha256, fields["fax_from"])
    doc_id, now = new_id(), utcnow()
    try:
        with session_scope(sessions) as s:
            s.execute(insert(_DOCUMENTS).values(
                id=doc_id, sha256=upload.sha256, dedup_key=dedup_key, size=upload.size, media_type=upload.media_type,
                page_count=None, status=DocumentStatus.QUEUED, received_at=now, queued_at=now, updated_at=now,
                source=fields["source"], fax_from=fields["fax_from"], callback_url=fields["callback_url"],
                idempotency_key=idempotency_key, policy_requested=fields["policy"],
                policy_requested_by="upload" if fields["policy"] else None,
                api_key_id=api_key_id, expedited=False, attempts=0))
            s.execute(insert(_EVENTS).values(document_id=doc_id, kind="received", at=now,
                                             detail={"size": upload.size, "media_type": upload.media_type}))
        return _Acknowledgement(doc_id, DocumentStatus.QUEUED, True, upload.size)
    except IntegrityError:
        # A repeat (same bytes and sender, or a retry under the same Idempotency-Key, perhaps
        # concurrent): answer with the first document.
        same = Document.dedup_key == dedup_key
        if idempotency_key:
            same = same | (Document.idempotency_key == idempotency_key)
        with session_scope(sessions) as s:
            first = s.execute(select(Document.id, Document.status).where(Document.api_key_id == api_key_id, same)
                              .order_by(Document.received_at).limit(1)).first()
        if first is None:
            raise
        return _Acknowledgement(first.id, first.status, False, upload.size)


def _enqueue(state, document_id: str) -> DocumentStatus:
    """Enqueue the committed row's first step. Only when Redis refuses is the row touched again:
    back to `received`, which the reconciler enqueues once Redis answers."""
    try:
        state.queue.enqueue_process(document_id)
    except RedisError as exc:
        log_event(log, "enqueue_deferred", logging.WARNING, document_id=document_id, error=type(exc).__name__)
        with session_scope(state.sessions) as s:
            tx.mark_not_queued(s, document_id)
        return DocumentStatus.RECEIVED
    return DocumentStatus.QUEUED


@router.get("/{document_id}", response_model=DocumentDetail, summary="Status, timings, error reason and results",
            responses=error_responses(401, 404))
def get_document(document_id: str, request: Request, api_key: Annotated[ApiKey, Depends(require_api_key)],
                 session: Annotated[Session, Depends(get_session)]) -> DocumentDetail:
    doc = session.get(Document, document_id)
    if doc is None or doc.api_key_id != api_key.id:
        raise ApiError(404, "not_found", "no such document")
    if doc.result is not None:  # the extracted result is PHI; a status poll before it is not
        reader = PacketReader.for_key(api_key.id, request)
        audit.append(session, doc.id, reader.name, "document_read", client=reader.client)
        session.commit()
    done = session.scalar(select(func.count()).where(DocumentPage.document_id == doc.id,
                                                      DocumentPage.status == "done")) or 0
    return DocumentDetail(**summary_fields(doc, status_url(_base_url(request), doc.id), done),
                          attempts=doc.attempts, result=doc.result)


@router.get("", response_model=DocumentList, summary="List documents, newest first",
            responses=error_responses(401, 422))
def list_documents(request: Request, api_key: Annotated[ApiKey, Depends(require_api_key)],
                   session: Annotated[Session, Depends(get_session)],
                   status: Annotated[str | None, Query(description="Only documents in this status",
                                                       pattern="^(" + "|".join(DOCUMENT_STATUSES) + ")$")] = None,
                   limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
                   offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0) -> DocumentList:
    conditions = [Document.api_key_id == api_key.id]
    if status:
        conditions.append(Document.status == status)
    total = session.scalar(select(func.count()).select_from(Document).where(*conditions)) or 0
    docs = session.scalars(select(Document).where(*conditions)
                           .order_by(Document.received_at.desc(), Document.id).limit(limit).offset(offset)).all()
    done = dict(session.execute(select(DocumentPage.document_id, func.count())
                                .where(DocumentPage.document_id.in_([d.id for d in docs]),
                                       DocumentPage.status == "done")
                                .group_by(DocumentPage.document_id)).all())
    base = _base_url(request)
    items = [DocumentSummary(**summary_fields(d, status_url(base, d.id), done.get(d.id, 0))) for d in docs]
    return DocumentList(items=items, total=total, limit=limit, offset=offset)
