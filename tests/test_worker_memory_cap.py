"""The work horse's memory cap (INTAKE_WORKER_MEMORY_LIMIT_MB, issue 14 row 1), with a real
`intake serve` and its worker: a job whose work needs more address space than the cap fails its
document at once with `limit_exceeded` (no retries), and the worker that ran it lives on."""
from __future__ import annotations

import pytest

from intake.db.models import Document
from intake.db.session import session_scope
from intake.settings import Settings
from service_support import postgres_url, redis_server, service_fixture, tagged_pdf  # noqa: F401

# A cap below what the horse already maps: the first allocation the job's work makes is refused.
TINY_LIMIT_MB = 1

capped_service = service_fixture("memory-cap", workers=1, INTAKE_WORKER_MEMORY_LIMIT_MB=str(TINY_LIMIT_MB))


def test_the_cap_is_read_from_the_environment_and_on_by_default(monkeypatch):
    monkeypatch.delenv("INTAKE_WORKER_MEMORY_LIMIT_MB", raising=False)
    assert Settings().worker_memory_limit_mb == 1536
    monkeypatch.setenv("INTAKE_WORKER_MEMORY_LIMIT_MB", "0")  # 0: no cap
    assert Settings().worker_memory_limit_mb == 0


@pytest.mark.slow
def test_a_job_over_the_cap_fails_its_document_at_once_and_the_worker_lives_on(capped_service):
    workers_before = capped_service.worker_pids()
    response = capped_service.upload(tagged_pdf("memory-cap"))
    assert response.status_code == 202, response.text
    document_id = response.json()["id"]

    assert capped_service.wait_final([document_id], timeout=60) == {document_id: "failed"}
    with capped_service.client() as client:
        detail = client.get(f"/v1/documents/{document_id}").json()
    assert detail["error"]["code"] == "limit_exceeded"
    assert "memory limit" in detail["error"]["message"]
    with session_scope(capped_service.sessions) as s:
        assert s.get(Document, document_id).attempts == 1  # failed on its first run, not retried
    assert capped_service.worker_pids() == workers_before  # the horse died alone, if at all
