"""Re-enqueue accepted documents whose job is gone, so nothing accepted is ever lost.

Redis may be flushed or restarted without persistence, a worker may be SIGKILLed mid-job, the
API may have committed a row and died before enqueueing. The database is the truth: for every
document still received/queued/processing this pass works out the next step and checks that a
job for it exists (waiting in the queue, scheduled for a retry, or running under a live lease).
If not, it enqueues that step again. Pages already done are never redone, and every step's
compare-and-set makes a re-enqueued duplicate harmless. A step that keeps dying (its process
killed max_attempts times) fails the document instead of looping forever.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.blob_sweep import SweepReport, record_sweep, sweep_orphan_blobs
from intake.db import transitions as tx
from intake.db.models import OPEN_STATUSES, Document, DocumentPage, DocumentStatus, utcnow
from intake.db.session import session_scope
from intake.logs import log_event
from intake.queue import JobQueue, finish_job_id, page_job_id, process_job_id
from intake.settings import Settings
from intake.storage import BlobStore

log = logging.getLogger("intake.reconciler")


@dataclass
class ReconcileReport:
    examined: int = 0
    requeued: list[str] = field(default_factory=list)  # job ids enqueued again
    abandoned: list[str] = field(default_factory=list)  # document ids failed after max_attempts


class Reconciler:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], queue: JobQueue) -> None:
        self.settings, self.sessions, self.queue = settings, sessions, queue

    def run_once(self) -> ReconcileReport:
        report = ReconcileReport()
        with session_scope(self.sessions) as s:
            ids = list(s.scalars(select(Document.id).where(Document.status.in_(OPEN_STATUSES))
                                 .order_by(Document.received_at)))
        for document_id in ids:
            report.examined += 1
            self._reconcile(document_id, report)
        if report.requeued or report.abandoned:
            log_event(log, "reconciled", examined=report.examined, requeued=len(report.requeued),
                      abandoned=len(report.abandoned))
        return report

    def sweep_blobs(self) -> SweepReport:
        """Remove blobs no row references (older than the grace period); totals go to /metrics."""
        report = sweep_orphan_blobs(BlobStore(self.settings.blob_dir), self.sessions,
                                    self.settings.blob_sweep_grace_seconds)
        record_sweep(self.queue.redis, self.settings.queue_name, report)
        return report

    def _reconcile(self, document_id: str, report: ReconcileReport) -> None:
        grace = self.settings.reconcile_grace_seconds
        now = utcnow()
        with session_scope(self.sessions) as s:
            doc = s.get(Document, document_id)
            if doc is None or doc.status not in OPEN_STATUSES:
                return
            if doc.lease_until is not None and doc.lease_until > now:
                return  # a document step is running and renewing its lease
            pages = list(s.scalars(select(DocumentPage).where(DocumentPage.document_id == document_id)
                                   .order_by(DocumentPage.number)))
            s.expunge_all()
        split_done = doc.page_count is not None and len(pages) == doc.page_count
        if not split_done:
            if now - doc.updated_at < timedelta(seconds=grace):
                return  # just accepted: the upload path is enqueueing it
            if not self.queue.is_alive(process_job_id(document_id), doc.updated_at, grace):
                self._requeue(doc, doc.attempts, report, lambda: self.queue.enqueue_process(document_id),
                              process_job_id(document_id))
            return
        pending = [p for p in pages if p.status != "done"]
        for page in pending:
            if page.status == "processing" and page.lease_until is not None and page.lease_until > now:
                continue
            if not self.queue.is_alive(page_job_id(document_id, page.number), page.updated_at, grace):
                self._requeue(doc, page.attempts, report,
                              lambda n=page.number: self.queue.enqueue_page(document_id, n),
                              page_job_id(document_id, page.number))
        if pending:
            return
        if doc.analysis_requested_at is None:
            with session_scope(self.sessions) as s:
                requested = tx.request_analysis(s, document_id)
            if requested:
                self.queue.enqueue_finish(document_id)
                report.requeued.append(finish_job_id(document_id))
        elif not self.queue.is_alive(finish_job_id(document_id), doc.updated_at, grace):
            self._requeue(doc, doc.attempts, report, lambda: self.queue.enqueue_finish(document_id),
                          finish_job_id(document_id))

    def _requeue(self, doc: Document, attempts: int, report: ReconcileReport, enqueue, job_id: str) -> None:
        if attempts >= self.settings.max_attempts:
            with session_scope(self.sessions) as s:
                failed = tx.fail_document(s, doc.id, "processing_abandoned",
                                          f"a processing step was interrupted {attempts} times; giving up",
                                          base_url=self.settings.public_base_url)
            if failed:
                report.abandoned.append(doc.id)
                log_event(log, "document_failed", logging.WARNING, document_id=doc.id, code="processing_abandoned")
            return
        if doc.status == DocumentStatus.RECEIVED:
            with session_scope(self.sessions) as s:
                tx.mark_queued(s, doc.id)
        enqueue()
        report.requeued.append(job_id)
        log_event(log, "requeued", document_id=doc.id, job=job_id.split("-", 1)[0], status=doc.status)


class ReconcilerThread(threading.Thread):
    """Runs a pass at start and then every reconcile_interval_seconds until stopped, and an orphan
    blob sweep every blob_sweep_interval_seconds. A failed pass (database or Redis briefly away)
    is logged and retried at the next tick."""

    def __init__(self, reconciler: Reconciler, interval_seconds: float) -> None:
        super().__init__(name="reconciler", daemon=True)
        self.reconciler, self.interval = reconciler, interval_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        next_sweep = time.monotonic()
        while True:
            try:
                self.reconciler.run_once()
            except Exception as exc:  # noqa: BLE001 - keep reconciling; the next pass retries
                log_event(log, "reconcile_failed", logging.WARNING, error=type(exc).__name__)
            if time.monotonic() >= next_sweep:
                try:
                    self.reconciler.sweep_blobs()
                    next_sweep = time.monotonic() + self.reconciler.settings.blob_sweep_interval_seconds
                except Exception as exc:  # noqa: BLE001 - retried at the next tick
                    log_event(log, "blob_sweep_failed", logging.WARNING, error=type(exc).__name__)
            if self.stopping.wait(self.interval):
                return

    def stop(self) -> None:
        self.stopping.set()
