"""RQ job functions. Each takes ids only and reads its inputs from the blob store and database.

process_document(id)   open the stored file once with the limits (the upload only stored and
                       sniffed it): a bad file fails here with its code; else record the page
                       count, create page rows, fan out
read_page(id, n)       read one page (text layer or OCR), store its upright image and Page JSON;
                       the job that completes the last page requests the analysis, exactly once
finish_document(id)    analyze all pages into the extraction contract -> ready_for_review

The end of processing (ready for review, failed) writes its completion callback to the outbox in
the same transaction (intake/db/transitions.py); the outbox sender delivers it, signed.

Every step claims its row with a compare-and-set and a lease renewed by a heartbeat thread
(intake.db.transitions), so duplicates are no-ops and a killed worker's work is taken over by
the reconciler. Bad input is final; other errors are retried by RQ, and the last failure is
recorded (a page then degrades to method "failed", a document-level step fails the document).

The Assessor is installed once per worker process by worker.py (`install`) before RQ forks
work horses, so each job inherits the loaded NLP pipeline and OCR engine.
"""
from __future__ import annotations

import io
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image
from rq import get_current_job
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from extraction.errors import BadInput, IntakeError
from extraction.models import Page, page_from_dict, page_to_dict
from assessment.pipeline import Assessor
from intake.db import transitions as tx
from intake.db.models import OPEN_STATUSES, Document, DocumentPage, DocumentStatus
from intake.db.session import session_scope
from intake.logs import log_event
from intake.memory_cap import address_space_capped
from intake.queue import JobQueue
from intake.settings import Settings
from intake.storage import BlobStore

log = logging.getLogger("intake.jobs")
T = TypeVar("T")


@dataclass
class WorkerContext:
    settings: Settings
    assessor: Assessor
    sessions: sessionmaker[Session]
    store: BlobStore
    queue: JobQueue


_context: WorkerContext | None = None


def install(context: WorkerContext) -> None:
    global _context
    _context = context


def _ctx() -> WorkerContext:
    if _context is None:
        raise RuntimeError("intake.jobs used outside a worker: worker.py installs the context")
    return _context


def process_document(document_id: str) -> None:
    ctx, owner = _ctx(), uuid.uuid4().hex
    with session_scope(ctx.sessions) as s:
        if not tx.claim_document(s, document_id, owner, ctx.settings.lease_seconds,
                                 OPEN_STATUSES):
            return log_event(log, "duplicate_delivery", document_id=document_id, step="process")
        sha256 = s.get(Document, document_id).sha256
    started = time.perf_counter()
    page_count = _document_step(ctx, document_id, owner, "process",
                                lambda: ctx.assessor.page_count(ctx.store.get(sha256)))
    if page_count is None:
        return
    with session_scope(ctx.sessions) as s:
        if not tx.release_document_lease(s, document_id, owner):
            return log_event(log, "lease_lost", document_id=document_id, step="process")
        tx.create_pages(s, document_id, page_count)
        todo = list(s.scalars(select(DocumentPage.number).where(
            DocumentPage.document_id == document_id, DocumentPage.status != "done")))
    for number in todo:
        ctx.queue.enqueue_page(document_id, number)
    log_event(log, "document_split", document_id=document_id, pages=page_count, enqueued=len(todo),
              seconds=time.perf_counter() - started)
    if not todo:
        _request_analysis(ctx, document_id)


def read_page(document_id: str, number: int) -> None:
    ctx, owner = _ctx(), uuid.uuid4().hex
    with session_scope(ctx.sessions) as s:
        if not tx.claim_page(s, document_id, number, owner, ctx.settings.lease_seconds):
            return log_event(log, "duplicate_delivery", document_id=document_id, step="page", page=number)
        sha256 = s.get(Document, document_id).sha256
    started = time.perf_counter()
    try:
        with _page_lease(ctx, document_id, number, owner):
            with address_space_capped(ctx.settings.worker_memory_limit_mb):
                reading = ctx.assessor.read_page(ctx.store.get(sha256), number - 1)
            page = reading.page  # a page the library could not read has method "failed" and no image
            image_sha256 = ctx.store.put(page_png(reading.image)) if reading.image is not None else None
    except BadInput as exc:
        with session_scope(ctx.sessions) as s:
            tx.fail_document(s, document_id, exc.code, exc.message, base_url=ctx.settings.public_base_url)
        return log_event(log, "document_failed", document_id=document_id, page=number, code=exc.code)
    except Exception as exc:
        if _will_retry():
            with session_scope(ctx.sessions) as s:
                tx.release_page(s, document_id, number, owner)
            log_event(log, "page_retry", logging.WARNING, document_id=document_id, page=number, code=_code(exc))
            raise
        # Out of retries: the page degrades, the packet goes on with the pages that could be read.
        page, image_sha256 = Page(number=number, width=0, height=0, method="failed", error=_code(exc)), None
    with session_scope(ctx.sessions) as s:
        won = tx.complete_page(s, document_id, number, owner, result=page_to_dict(page), method=page.method,
                               image_sha256=image_sha256, seconds=time.perf_counter() - started, error=page.error)
    log_event(log, "page_done" if won else "lease_lost", document_id=document_id, page=number,
              method=page.method, seconds=time.perf_counter() - started)
    if won:
        _request_analysis(ctx, document_id)


def finish_document(document_id: str) -> None:
    ctx, owner = _ctx(), uuid.uuid4().hex
    with session_scope(ctx.sessions) as s:
        doc = s.get(Document, document_id)
        if doc is None or doc.analysis_requested_at is None or not tx.claim_document(
                s, document_id, owner, ctx.settings.lease_seconds, (DocumentStatus.PROCESSING,)):
            return log_event(log, "duplicate_delivery", document_id=document_id, step="finish")
        source, policy_requested = doc.source or document_id, doc.policy_requested
        chosen_by = doc.policy_requested_by or "upload"
        pages = [page_from_dict(r) for r in s.scalars(
            select(DocumentPage.result).where(DocumentPage.document_id == document_id)
            .order_by(DocumentPage.number))]
    started = time.perf_counter()
    ctx.assessor.use_calibration(ctx.settings.calibration_path())  # a newly fitted version applies at once
    result = _document_step(ctx, document_id, owner, "finish", lambda: ctx.assessor.analyze(pages, source, policy_requested, chosen_by))
    if result is None:
        return
    with session_scope(ctx.sessions) as s:
        won = tx.finish_document(s, document_id, owner, result.to_dict(), result.recommendation,
                                 base_url=ctx.settings.public_base_url)
    log_event(log, "document_ready" if won else "lease_lost", document_id=document_id, status="ready_for_review",
              pages=len(pages), seconds=time.perf_counter() - started)


def _request_analysis(ctx: WorkerContext, document_id: str) -> None:
    with session_scope(ctx.sessions) as s:
        won = tx.request_analysis(s, document_id)
    if won:
        ctx.queue.enqueue_finish(document_id)


def _document_step(ctx: WorkerContext, document_id: str, owner: str, step: str, work: Callable[[], T]) -> T | None:
    """Run a document-level step under its lease. Bad input fails the document at once; other
    errors are re-raised for RQ to retry, and the last one fails the document with its code.
    None means the document failed (and was recorded as such)."""
    try:
        with _document_lease(ctx, document_id, owner), address_space_capped(ctx.settings.worker_memory_limit_mb):
            return work()
    except Exception as exc:
        final = isinstance(exc, BadInput) or not _will_retry()
        with session_scope(ctx.sessions) as s:
            if final:
                tx.fail_document(s, document_id, _code(exc), _message(exc), owner=owner,
                                 base_url=ctx.settings.public_base_url)
            else:
                tx.release_document_lease(s, document_id, owner)
        log_event(log, "document_failed" if final else "step_retry", logging.WARNING, document_id=document_id,
                  step=step, code=_code(exc))
        if not final:
            raise
    return None


def _will_retry() -> bool:
    job = get_current_job()
    return bool(job is not None and job.retries_left)


def _code(exc: BaseException) -> str:
    return exc.code if isinstance(exc, IntakeError) else "internal_error"


def _message(exc: BaseException) -> str:
    # Library errors carry user-facing messages without document text; others only their type.
    return exc.message if isinstance(exc, IntakeError) else f"processing failed ({type(exc).__name__})"


PNG_COMPRESS_LEVEL = 3  # zlib's default (6) took 40-45% more CPU per page for 15-25% smaller images


def page_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


@contextmanager
def _lease_heartbeat(renew: Callable[[], bool], lease_seconds: int) -> Iterator[None]:
    """Renew a lease every third of its length while the step runs; a dead process stops renewing."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease_seconds / 3):
            if not renew():
                return

    thread = threading.Thread(target=beat, name="lease-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _document_lease(ctx: WorkerContext, document_id: str, owner: str):
    def renew() -> bool:
        with session_scope(ctx.sessions) as s:
            return tx.renew_document_lease(s, document_id, owner, ctx.settings.lease_seconds)
    return _lease_heartbeat(renew, ctx.settings.lease_seconds)


def _page_lease(ctx: WorkerContext, document_id: str, number: int, owner: str):
    def renew() -> bool:
        with session_scope(ctx.sessions) as s:
            return tx.renew_page_lease(s, document_id, number, owner, ctx.settings.lease_seconds)
    return _lease_heartbeat(renew, ctx.settings.lease_seconds)
