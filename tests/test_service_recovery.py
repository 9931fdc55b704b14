"""Nothing accepted is lost and nothing is processed twice when a worker is SIGKILLed mid-job or
Redis is flushed mid-run: the reconciler re-enqueues from the database, and compare-and-set
transitions make every duplicate a no-op. (FLUSHALL runs on the tests' own redis-server.)"""
from __future__ import annotations

import os
import signal
import subprocess

import pytest
from rq import Worker
from sqlalchemy import func, select

from intake.db.models import DocumentPage
from intake.db.session import session_scope
from service_support import (postgres_url, redis_server, service_fixture,  # noqa: F401
                             tagged_fax, wait_for)

pytestmark = pytest.mark.slow

PACKETS = 4
PAGES = 3


service = service_fixture("recovery", workers=2)


def _upload_faxes(service, tmp_path, tag: str) -> list[str]:
    ids = []
    for i in range(PACKETS):
        response = service.upload(tagged_fax(tmp_path, f"{tag}-{i}", PAGES))
        assert response.status_code == 202
        ids.append(response.json()["id"])
    return ids


def _pages_in(service, ids: list[str], status: str) -> int:
    with session_scope(service.sessions) as s:
        return s.scalar(select(func.count()).where(DocumentPage.document_id.in_(ids), DocumentPage.status == status))


def _busy_worker(service) -> Worker | None:
    mine = set(service.worker_pids())
    for worker in Worker.all(connection=service.redis):
        job_id = worker.get_current_job_id()
        if worker.pid in mine and job_id and job_id.startswith("page-"):
            return worker
    return None


def _kill_tree(pid: int) -> None:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for victim in [pid, *map(int, children)]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(service, tmp_path):
    ids = _upload_faxes(service, tmp_path, "sigkill")
    wait_for(lambda: _busy_worker(service) is not None, 120, "a worker reading a page")
    victim = _busy_worker(service)
    _kill_tree(victim.pid)  # the worker and its work horse: as if the machine lost the process
    wait_for(lambda: len(service.worker_pids()) == 2 and victim.pid not in service.worker_pids(), 30,
              "the supervisor to replace the killed worker")
    assert service.wait_final(ids, timeout=300) == {i: "ready_for_review" for i in ids}
    service.assert_processed_exactly_once(ids)


def test_redis_flushall_mid_run_loses_nothing_and_duplicates_nothing(service, tmp_path):
    ids = _upload_faxes(service, tmp_path, "flush")
    wait_for(lambda: _pages_in(service, ids, "done") >= 1, 180, "the first page to be read")
    assert _pages_in(service, ids, "done") < PACKETS * PAGES
    service.redis.flushall()  # every queued job, retry and registry gone
    assert service.wait_final(ids, timeout=300) == {i: "ready_for_review" for i in ids}
    service.assert_processed_exactly_once(ids)
