"""Whether the reconciler sees a job as still going to run (JobQueue.is_alive), on a real Redis
(the tests' own redis-server). Found by the soak (bench/soak.py): a page whose retry was
scheduled when the worker running RQ's scheduler was killed stayed "scheduled" for 10 minutes,
and the reconciler took it for alive all that time; an overdue retry is now enqueued again."""
from __future__ import annotations

import uuid
from datetime import timedelta

from intake.db.models import utcnow
from intake.queue import JobQueue, connect, page_job_id
from intake.settings import Settings
from service_support import redis_server  # noqa: F401

GRACE_SECONDS = 30


def _queue(redis_server) -> JobQueue:
    return JobQueue(connect(redis_server.url), Settings(queue_name=f"liveness-{uuid.uuid4().hex[:8]}"))


def _schedule_retry(queue: JobQueue, job_id: str, due_in_seconds: float) -> None:
    """What RQ leaves when a failed job has retries left: status `scheduled`, in the registry."""
    queue.queue.enqueue_at(utcnow() + timedelta(seconds=due_in_seconds), "intake.jobs.read_page", "doc", 1,
                           job_id=job_id)


def test_a_retry_waiting_for_its_time_is_alive(redis_server):
    queue = _queue(redis_server)
    _schedule_retry(queue, page_job_id("waiting", 1), due_in_seconds=60)
    assert queue.is_alive(page_job_id("waiting", 1), utcnow(), GRACE_SECONDS)


def test_a_retry_overdue_past_the_grace_period_is_not_alive(redis_server):
    queue = _queue(redis_server)
    _schedule_retry(queue, page_job_id("overdue", 1), due_in_seconds=-(GRACE_SECONDS + 5))  # no scheduler ran it
    assert not queue.is_alive(page_job_id("overdue", 1), utcnow(), GRACE_SECONDS)
    _schedule_retry(queue, page_job_id("just-due", 1), due_in_seconds=-1)  # the scheduler may yet move it
    assert queue.is_alive(page_job_id("just-due", 1), utcnow(), GRACE_SECONDS)


def test_a_job_marked_scheduled_but_in_no_registry_is_not_alive(redis_server):
    queue = _queue(redis_server)
    job_id = page_job_id("unregistered", 1)
    _schedule_retry(queue, job_id, due_in_seconds=60)
    queue.queue.scheduled_job_registry.remove(job_id)  # e.g. Redis restarted before writing it
    assert not queue.is_alive(job_id, utcnow(), GRACE_SECONDS)


def _pop_like_a_worker(queue: JobQueue) -> None:
    """What an RQ worker does when it takes a job, before its work horse marks it started."""
    queue.redis.lmove(queue.queue.key, queue.queue.intermediate_queue.key)


def test_a_job_a_worker_took_but_has_not_started_is_alive(redis_server):
    queue = _queue(redis_server)
    job_id = page_job_id("taken", 1)
    queue.queue.enqueue("intake.jobs.read_page", "doc", 1, job_id=job_id)
    _pop_like_a_worker(queue)
    assert queue.redis.lpos(queue.queue.key, job_id) is None  # gone from the queue list, still "queued"
    assert queue.is_alive(job_id, utcnow() - timedelta(hours=1), GRACE_SECONDS)


def test_a_job_left_taken_past_the_grace_period_is_not_alive(redis_server):
    queue = _queue(redis_server)
    job_id = page_job_id("stuck", 1)
    queue.queue.enqueue("intake.jobs.read_page", "doc", 1, job_id=job_id)
    _pop_like_a_worker(queue)
    intermediate = queue.queue.intermediate_queue
    # The worker that took it died: first seen there longer ago than the grace period.
    queue.redis.set(intermediate.get_first_seen_key(job_id), (utcnow() - timedelta(seconds=GRACE_SECONDS + 5)).timestamp())
    assert not queue.is_alive(job_id, utcnow(), GRACE_SECONDS)
