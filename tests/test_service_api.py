"""The intake service end to end, on SQLite and PostgreSQL: a real `intake serve` (uvicorn,
worker processes, reconciler) against our own redis-server, driven over loopback HTTP."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from intake.settings import Settings

from service_support import (postgres_url, redis_server, service_fixture,  # noqa: F401
                             tagged_pdf)

pytestmark = pytest.mark.slow

CONTRACT_KEYS = {"source", "pages", "fields", "criteria", "recommendation", "policy", "page_details", "seconds"}


# The callback receiver below is an internal one on loopback: allow-listed, over plain http.
service = service_fixture("api", workers=2, INTAKE_CALLBACK_ALLOW_HTTP="true",
                          INTAKE_CALLBACK_ALLOW='["127.0.0.1/32"]', INTAKE_OUTBOX_INTERVAL="0.5")


class _CallbackReceiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def callback_server():
    _CallbackReceiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _CallbackReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/done", _CallbackReceiver.received
    server.shutdown()


def test_upload_is_processed_to_ready_for_review_with_contract_results(service, callback_server):
    callback_url, received = callback_server
    response = service.upload(tagged_pdf("flow", pages=3), source="gateway-a", fax_from="+15550100",
                              callback_url=callback_url)
    assert response.status_code == 202
    accepted = response.json()
    assert set(accepted) == {"id", "status", "status_url"}
    assert accepted["status"] in ("received", "queued")
    doc_id = accepted["id"]

    assert service.wait_final([doc_id], timeout=120) == {doc_id: "ready_for_review"}
    with service.client() as client:
        detail = client.get(accepted["status_url"]).json()
    assert detail["status"] == "ready_for_review"
    assert detail["page_count"] == 3 and detail["pages_done"] == 3
    assert detail["error"] is None
    assert detail["timings"]["finished_at"] and detail["timings"]["processing_seconds"] >= 0
    result = detail["result"]
    assert CONTRACT_KEYS <= set(result)
    assert result["pages"] == 3 and len(result["page_details"]) == 3
    assert result["source"] == "gateway-a"
    assert detail["recommendation"] == result["recommendation"]
    assert all(c["status"] in ("met", "not_met", "insufficient_evidence", "not_applicable")
               for c in result["criteria"])
    service.assert_processed_exactly_once([doc_id])

    for _ in range(100):  # an outbox event committed with the result; the sender posts it
        if received:
            break
        threading.Event().wait(0.2)
    (callback,) = received
    assert {k: callback[k] for k in ("id", "document_id", "event", "status")} == {
        "id": doc_id, "document_id": doc_id, "event": "processed", "status": "ready_for_review"}
    assert callback["status_url"].endswith(f"/v1/documents/{doc_id}")


def test_the_policy_named_at_upload_judges_the_packet_and_an_unknown_one_is_refused(service):
    refused = service.upload(tagged_pdf("unknown-policy"), policy="no-such-policy")
    assert refused.status_code == 400
    assert "unknown policy" in refused.json()["error"]["message"]
    response = service.upload(tagged_pdf("named-policy"), policy="aucatzyl-2025-07")
    assert response.status_code == 202
    doc_id = response.json()["id"]
    assert service.wait_final([doc_id], timeout=120) == {doc_id: "ready_for_review"}
    with service.client() as client:
        result = client.get(response.json()["status_url"]).json()["result"]
    assert result["policy"]["id"] == "aucatzyl-2025-07" and result["policy"]["chosen_by"] == "upload"


def test_a_policy_chosen_by_a_reviewer_reanalyzes_the_stored_pages(service):
    from intake.db.models import Document, Event
    from intake.db.session import session_scope
    from intake.review.reassess import request_policy
    from sqlalchemy import func, select
    response = service.upload(tagged_pdf("reviewer-policy", pages=2))
    doc_id = response.json()["id"]
    assert service.wait_final([doc_id], timeout=120) == {doc_id: "ready_for_review"}
    with session_scope(service.sessions) as db:
        request_policy(db, db.get(Document, doc_id), "aucatzyl-2025-07", {"aucatzyl-2025-07"}, "rita", None)
    # No job is queued here: the reconciler finds the requested analysis and queues it.
    assert service.wait_final([doc_id], timeout=120) == {doc_id: "ready_for_review"}
    with service.client() as client:
        result = client.get(response.json()["status_url"]).json()["result"]
    assert result["policy"]["chosen_by"] == "reviewer"
    with session_scope(service.sessions) as db:
        pages_read = db.scalar(select(func.count()).where(Event.document_id == doc_id, Event.kind == "page_done"))
    assert pages_read == 2  # the pages were not read again


def test_idempotent_retries_return_the_first_document(service):
    data = tagged_pdf("idempotency")
    first = service.upload(data, headers={"Idempotency-Key": "gw-42"})
    assert first.status_code == 202
    again_same_key = service.upload(tagged_pdf("other bytes, same key"), headers={"Idempotency-Key": "gw-42"})
    again_same_bytes = service.upload(data)
    assert again_same_key.status_code == 200 and again_same_bytes.status_code == 200
    assert again_same_key.json()["id"] == first.json()["id"] == again_same_bytes.json()["id"]
    # Another fax sender with the same bytes is another document.
    other_sender = service.upload(data, fax_from="+15550199")
    assert other_sender.status_code == 202 and other_sender.json()["id"] != first.json()["id"]
    ids = [first.json()["id"], other_sender.json()["id"]]
    service.wait_final(ids, timeout=120)
    service.assert_processed_exactly_once(ids)


def test_requests_without_a_valid_key_are_refused(service):
    import httpx
    no_key = httpx.post(f"{service.base_url}/v1/documents", files={"file": ("a", tagged_pdf("nokey"))})
    bad_key = httpx.get(f"{service.base_url}/v1/documents", headers={"X-API-Key": "ik_wrong"})
    assert no_key.status_code == 401 and bad_key.status_code == 401
    assert no_key.json()["error"]["code"] == "unauthorized"


def test_listing_filters_by_status_and_pages(service):
    ids = [service.upload(tagged_pdf(f"list-{i}")).json()["id"] for i in range(3)]
    service.wait_final(ids, timeout=120)
    with service.client() as client:
        first = client.get("/v1/documents", params={"status": "ready_for_review", "limit": 2}).json()
        second = client.get("/v1/documents", params={"status": "ready_for_review", "limit": 2, "offset": 2}).json()
        failed = client.get("/v1/documents", params={"status": "failed"}).json()
        wrong = client.get("/v1/documents", params={"status": "lost"})
        missing = client.get("/v1/documents/00000000-0000-0000-0000-000000000000")
        all_ready = client.get("/v1/documents", params={"status": "ready_for_review", "limit": 500}).json()
    assert len(first["items"]) == 2 and first["total"] >= 3
    seen = [d["id"] for d in first["items"] + second["items"]]
    assert len(seen) == len(set(seen))
    assert set(ids) <= {d["id"] for d in all_ready["items"]}
    assert all(d["status"] == "ready_for_review" for d in first["items"] + second["items"])
    assert failed["items"] == []
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_request"
    assert missing.status_code == 404


def test_health_and_openapi(service):
    import httpx
    assert httpx.get(f"{service.base_url}/healthz").json() == {"status": "alive"}
    ready = httpx.get(f"{service.base_url}/readyz").json()
    assert ready["status"] == "ready"
    assert set(ready["checks"]) == {"database", "redis", "blob_store", "tesseract"}
    engine = Settings().ocr_engine  # the service's, from the same environment
    assert ready["checks"]["tesseract"]["detail"].startswith("tesserocr, Tesseract 5" if engine == "tesserocr"
                                                            else "tesseract 5")
    spec = httpx.get(f"{service.base_url}/openapi.json").json()
    upload = spec["paths"]["/v1/documents"]["post"]
    assert {"200", "202", "401", "413", "415", "422"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "/v1/documents/{document_id}" in spec["paths"]
    assert "X-API-Key" in json.dumps(spec["components"]["securitySchemes"])
