"""Delivering outbox events (intake/outbox.py) to the document's callback_url.

A pass picks the pending rows that are due, claims each with a compare-and-set lease (so two
senders, e.g. two `intake serve` processes, never post the same row at once), posts it through
the same destination checks as every callback (intake/callbacks.py), and records the attempt on
the row: delivered on a 2xx; otherwise the next attempt waits an exponentially growing backoff,
until INTAKE_OUTBOX_MAX_ATTEMPTS; a refused destination or a redirect fails it at once. A sender
killed mid-post leaves a lease that expires, and the row is sent again with the same
Idempotency-Key: delivery is at least once, and exactly once for a receiver that keys on it.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from intake.callback_signing import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signature
from intake.callbacks import CallbackFailed, post_body
from intake.db.models import ApiKey, Document, utcnow
from intake.db.outbox_models import OutboxEvent
from intake.db.session import session_scope
from intake.logs import log_event
from intake.settings import Settings

log = logging.getLogger("intake.outbox")


@dataclass
class SendReport:
    delivered: list[str] = field(default_factory=list)  # event ids
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    event_id: str
    document_id: str
    attempts: int
    url: str
    body: bytes
    secret: str | None


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """The wait after the `attempts`-th failed attempt: base, 2 x base, 4 x base... capped."""
    return min(settings.outbox_backoff_max_seconds, settings.outbox_backoff_seconds * 2 ** (attempts - 1))


class OutboxSender:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        # Longer than one post can take (connect + send, each bounded by the timeout).
        self.lease = timedelta(seconds=settings.callback_timeout_seconds * 2 + 5)

    def run_once(self) -> SendReport:
        report = SendReport()
        now = utcnow()
        with session_scope(self.sessions) as s:
            due = list(s.scalars(select(OutboxEvent.id).where(*_available(now), OutboxEvent.next_attempt_at <= now)
                                 .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
                                 .limit(self.settings.outbox_batch)))
        for row_id in due:
            claimed = self._claim(row_id)
            if claimed is not None:
                self._deliver(row_id, claimed, report)
        return report

    def _claim(self, row_id: int) -> _Claimed | None:
        now = utcnow()
        with session_scope(self.sessions) as s:
            won = s.execute(update(OutboxEvent).where(OutboxEvent.id == row_id, *_available(now))
                            .values(claimed_until=now + self.lease)).rowcount == 1
            if not won:
                return None  # another sender has it, or it was delivered meanwhile
            row = s.get(OutboxEvent, row_id)
            document = s.get(Document, row.document_id)
            key = s.get(ApiKey, document.api_key_id)
            body = json.dumps(row.payload, sort_keys=True, separators=(",", ":")).encode()
            return _Claimed(row.event_id, row.document_id, row.attempts, document.callback_url or "",
                            body, key.callback_secret if key else None)

    def _deliver(self, row_id: int, claimed: _Claimed, report: SendReport) -> None:
        headers = [(IDEMPOTENCY_HEADER.encode(), claimed.event_id.encode())]
        if claimed.secret:
            headers.append((SIGNATURE_HEADER.encode(), signature(claimed.secret, claimed.body).encode()))
        attempts = claimed.attempts + 1
        try:
            code = post_body(claimed.url, claimed.body, self.settings.callback_timeout_seconds,
                             self.settings.callback_policy(), tuple(headers))
        except CallbackFailed as exc:
            gave_up = exc.permanent or attempts >= self.settings.outbox_max_attempts
            retry_at = None if gave_up else utcnow() + timedelta(seconds=backoff_seconds(self.settings, attempts))
            self._record(row_id, attempts, "failed" if gave_up else "pending", None, exc.reason, retry_at, None)
            (report.failed if gave_up else report.retrying).append(claimed.event_id)
            log_event(log, "outbox_failed" if gave_up else "outbox_retry", logging.WARNING,
                      document_id=claimed.document_id, event_id=claimed.event_id, attempts=attempts,
                      reason=exc.reason)
            return
        self._record(row_id, attempts, "delivered", code, None, None, utcnow())
        report.delivered.append(claimed.event_id)
        log_event(log, "outbox_delivered", document_id=claimed.document_id, event_id=claimed.event_id,
                  attempts=attempts, code=code)

    def _record(self, row_id: int, attempts: int, state: str, code: int | None, error: str | None,
                retry_at: datetime | None, delivered_at: datetime | None) -> None:
        with session_scope(self.sessions) as s:
            s.execute(update(OutboxEvent).where(OutboxEvent.id == row_id).values(
                attempts=attempts, state=state, last_status=code, last_error=error,
                next_attempt_at=retry_at, delivered_at=delivered_at, claimed_until=None))


def _available(now: datetime) -> tuple:
    """Pending and not claimed by a live sender (an expired claim is a sender that died)."""
    return (OutboxEvent.state == "pending",
            or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now))


class OutboxSenderThread(threading.Thread):
    """`intake serve`'s sender: a pass at start, then every outbox_interval_seconds until stopped.
    A failed pass (the database briefly away) is logged and retried at the next tick."""

    def __init__(self, sender: OutboxSender, interval_seconds: float) -> None:
        super().__init__(name="outbox-sender", daemon=True)
        self.sender, self.interval = sender, interval_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                self.sender.run_once()
            except Exception as exc:  # noqa: BLE001 - keep sending; the next pass retries
                log_event(log, "outbox_pass_failed", logging.WARNING, error=type(exc).__name__)
            if self.stopping.wait(self.interval):
                return

    def stop(self) -> None:
        self.stopping.set()
