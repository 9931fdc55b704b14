"""The RQ queue of the service: job ids, enqueueing, and whether a job is still alive.

Jobs carry ids only (document id, page number), never file bytes or results; the database is
the truth and Redis only says what should run next. Job ids are deterministic
(`process-<doc>`, `page-<doc>-<n>`, `finish-<doc>`) so the reconciler can ask
Redis whether the job for a row still exists. Functions are referenced by dotted name, so the
API process enqueues without importing the extraction pipeline.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from intake.db.models import utcnow
from intake.settings import Settings

_WAITING = (JobStatus.DEFERRED,)


def process_job_id(document_id: str) -> str:
    return f"process-{document_id}"


def page_job_id(document_id: str, number: int) -> str:
    return f"page-{document_id}-{number}"


def finish_job_id(document_id: str) -> str:
    return f"finish-{document_id}"


def connect(url: str) -> Redis:
    return Redis.from_url(url, health_check_interval=30, socket_connect_timeout=5)


class JobQueue:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self.queue = Queue(settings.queue_name, connection=redis)

    def _enqueue(self, func: str, job_id: str, *args: object, retry: Retry | None = None) -> Job:
        s = self.settings
        return self.queue.enqueue(
            func, *args, job_id=job_id, job_timeout=s.job_timeout_seconds, result_ttl=s.result_ttl_seconds,
            failure_ttl=s.result_ttl_seconds * 24,
            retry=retry or Retry(max=s.retry_max, interval=s.retry_intervals), description=job_id)

    def enqueue_process(self, document_id: str) -> Job:
        return self._enqueue("intake.jobs.process_document", process_job_id(document_id), document_id)

    def enqueue_page(self, document_id: str, number: int) -> Job:
        return self._enqueue("intake.jobs.read_page", page_job_id(document_id, number), document_id, number)

    def enqueue_finish(self, document_id: str) -> Job:
        return self._enqueue("intake.jobs.finish_document", finish_job_id(document_id), document_id)

    def is_alive(self, job_id: str, row_updated_at: datetime, grace_seconds: float) -> bool:
        """Will this job still run? Waiting in the queue list, scheduled for a retry, or started
        recently (a started job claims its row's lease within moments; after the grace period
        the lease, not RQ, says whether it still runs: a SIGKILLed worker leaves jobs "started")."""
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except NoSuchJobError:
            return False
        status = job.get_status(refresh=False)
        if status == JobStatus.QUEUED:
            return (self.redis.lpos(self.queue.key, job_id) is not None
                    or self._being_taken(job_id, grace_seconds))
        if status == JobStatus.SCHEDULED:
            return self._scheduled_on_time(job_id, grace_seconds)
        if status in _WAITING:
            return True
        if status == JobStatus.STARTED:
            last_sign = max(row_updated_at, job.started_at or row_updated_at)
            return utcnow() - last_sign < timedelta(seconds=grace_seconds)
        return False

    def _being_taken(self, job_id: str, grace_seconds: float) -> bool:
        """Popped by a worker and not yet started: RQ moves the id to the queue's intermediate list
        and marks it started only in the work horse, after the fork, which on a loaded machine
        takes seconds. One left there past the grace period belongs to a worker that died."""
        intermediate = self.queue.intermediate_queue
        if self.redis.lpos(intermediate.key, job_id) is None:
            return False
        intermediate.set_first_seen(job_id)  # RQ's own mark (kept if set), which its cleanup reads too
        first_seen = intermediate.get_first_seen(job_id)
        return first_seen is not None and utcnow() - first_seen < timedelta(seconds=grace_seconds)

    def _scheduled_on_time(self, job_id: str, grace_seconds: float) -> bool:
        """A retry waiting for its time, not one overdue: RQ's scheduler (one worker's child
        process, holding a lock in Redis) moves due jobs to the queue, and when that worker is
        killed or Redis restarts no other worker takes the role until its next maintenance pass
        (10 minutes); a retry left behind is enqueued again by the reconciler."""
        try:
            due = self.queue.scheduled_job_registry.get_scheduled_time(job_id)
        except NoSuchJobError:
            return False  # marked scheduled but in no registry (Redis lost the write)
        return utcnow() - due < timedelta(seconds=grace_seconds)

    def ping(self) -> bool:
        return bool(self.redis.ping())
