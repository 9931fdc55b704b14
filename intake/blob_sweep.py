"""Remove blobs that no row references: uploaded bytes whose document was never committed (a
process killed between the blob and its row, a failure after the blob was stored) and page
images whose page row never completed, plus temporary files a killed upload left behind.

Bytes without a row are PHI with no record and a way to fill the disk. A blob is written before
the row that references it, so only blobs older than the grace period are candidates: younger
ones may be about to get their row (a repeated upload of stored bytes refreshes the blob's time,
see BlobStore). `intake serve` runs a sweep every INTAKE_BLOB_SWEEP_INTERVAL; `intake blobs
sweep` runs one now. Totals are kept in Redis for /metrics.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import Document, DocumentPage
from intake.db.session import session_scope
from intake.logs import log_event
from intake.storage import BlobStore, StoredFile

log = logging.getLogger("intake.blob_sweep")
_LOOKUP_BATCH = 500


@dataclass
class SweepReport:
    examined: int = 0  # blobs older than the grace period
    removed: int = 0  # of those, referenced by no row
    removed_bytes: int = 0
    temp_removed: int = 0  # abandoned partial uploads


def sweep_orphan_blobs(store: BlobStore, sessions: sessionmaker[Session], grace_seconds: float,
                       dry_run: bool = False) -> SweepReport:
    report = SweepReport()
    cutoff = time.time() - grace_seconds
    candidates = [blob for blob in store.blobs() if blob.mtime < cutoff]
    report.examined = len(candidates)
    for batch in _batches(candidates, _LOOKUP_BATCH):
        referenced = _referenced(sessions, [blob.sha256 for blob in batch])
        for blob in batch:
            if blob.sha256 in referenced:
                continue
            report.removed += 1
            report.removed_bytes += blob.size
            if not dry_run:
                store.delete_if_unchanged(blob)
    for temp in store.temp_files():
        if temp.mtime < cutoff:
            report.temp_removed += 1
            if not dry_run:
                temp.path.unlink(missing_ok=True)
    if report.removed or report.temp_removed:
        log_event(log, "orphan_blobs_swept", logging.WARNING, removed=report.removed, bytes=report.removed_bytes,
                  temp_removed=report.temp_removed, dry_run=dry_run)
    return report


def _referenced(sessions: sessionmaker[Session], hashes: list[str]) -> set[str]:
    with session_scope(sessions) as s:
        documents = s.scalars(select(Document.sha256).where(Document.sha256.in_(hashes)))
        images = s.scalars(select(DocumentPage.image_sha256).where(DocumentPage.image_sha256.in_(hashes)))
        return set(documents) | set(images)


def _batches(items: list[StoredFile], size: int) -> Iterable[list[StoredFile]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---------------------------------------------------------------- totals for /metrics

def _totals_key(queue_name: str) -> str:
    return f"intake:{queue_name}:blob-sweep"


def record_sweep(redis: Redis, queue_name: str, report: SweepReport) -> None:
    """Add a sweep's counts to the totals /metrics reports (best effort: Redis may be away)."""
    try:
        with redis.pipeline() as pipe:
            key = _totals_key(queue_name)
            pipe.hincrby(key, "removed", report.removed)
            pipe.hincrby(key, "removed_bytes", report.removed_bytes)
            pipe.hincrby(key, "temp_removed", report.temp_removed)
            pipe.hincrby(key, "runs", 1)
            pipe.hset(key, "last_run", f"{time.time():.0f}")
            pipe.execute()
    except RedisError as exc:
        log_event(log, "sweep_totals_unrecorded", logging.WARNING, error=type(exc).__name__)


@dataclass(frozen=True)
class SweepTotals:
    runs: int
    removed: int
    removed_bytes: int
    temp_removed: int
    last_run: float  # unix time, 0 when none ran


def sweep_totals(redis: Redis, queue_name: str) -> SweepTotals:
    raw = redis.hgetall(_totals_key(queue_name))

    def number(name: bytes) -> int:
        return int(float(raw[name])) if name in raw else 0

    return SweepTotals(runs=number(b"runs"), removed=number(b"removed"), removed_bytes=number(b"removed_bytes"),
                       temp_removed=number(b"temp_removed"), last_run=float(number(b"last_run")))
