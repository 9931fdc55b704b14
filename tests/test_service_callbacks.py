"""Callback destinations through the real service (SQLite and PostgreSQL): refused URLs answer
400 at upload and leave no document and no blob; at delivery a destination that resolves to a
refused address, or a receiver that redirects, is a recorded permanent failure (no retry, no
URL in the log); an allow-listed internal receiver gets its completion callback signed through
the outbox, and `intake serve`'s outbox sender delivers a determination signed, with its state
in the API and /metrics."""
from __future__ import annotations

import ipaddress
import json
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callback_receivers import receiver, signature_is_valid
from intake.auth import hash_key
from intake.callback_destinations import CallbackPolicy, address_refusal
from intake.callback_signing import new_secret
from intake.db.models import ApiKey, Document
from intake.db.outbox_models import PROCESSED, OutboxEvent
from intake.db.session import session_scope
from intake.review.decisions import record_determination
from intake.review.pend import MissingItem
from intake.storage import BlobStore
from review_seed import extracted_packet, review_every_item, seed_document
from service_support import (postgres_url, redis_server, service_fixture,  # noqa: F401
                             tagged_pdf, wait_for)

pytestmark = pytest.mark.slow

INTERNAL = "127.0.0.2"  # the one allow-listed receiver address; 127.0.0.1 stays refused
MARKER = "mrn-8675309"  # stands for an identifier a caller put in its URL: never logged

service = service_fixture("callbacks", workers=1, INTAKE_CALLBACK_ALLOW_HTTP="true",
                          INTAKE_CALLBACK_ALLOW=json.dumps([f"{INTERNAL}/32"]), INTAKE_OUTBOX_INTERVAL="0.5")


@pytest.fixture
def internal_receiver():
    with receiver(INTERNAL) as server:
        yield server


@pytest.fixture
def loopback_receiver():
    with receiver("127.0.0.1") as server:
        yield server


def _blob_files(service) -> list[Path]:
    return sorted(p for p in (Path(service.env["INTAKE_DATA_DIR"]) / "blobs").rglob("*") if p.is_file())


def _document_count(service) -> int:
    with session_scope(service.sessions) as s:
        return s.scalar(select(func.count()).select_from(Document))


def _completion_callbacks(service, doc_id: str, timeout: float = 60) -> list[tuple[str, int, int | None, str | None]]:
    """The document's completion callbacks once none is pending: (state, attempts, status, error)."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(service.sessions) as s:
            rows = s.execute(select(OutboxEvent.state, OutboxEvent.attempts, OutboxEvent.last_status,
                                    OutboxEvent.last_error)
                             .where(OutboxEvent.document_id == doc_id, OutboxEvent.kind == PROCESSED)).all()
        if (rows and all(r.state != "pending" for r in rows)) or time.monotonic() > deadline:
            return [tuple(r) for r in rows]
        time.sleep(0.3)


def _processed_with_callback(service, url: str, tag: str) -> str:
    response = service.upload(tagged_pdf(tag), callback_url=url)
    assert response.status_code == 202, response.text
    doc_id = response.json()["id"]
    assert service.wait_final([doc_id], timeout=120) == {doc_id: "ready_for_review"}
    return doc_id


REFUSED_URLS = ["http://2130706433:6379/", "http://0x7f.1/", "http://017700000001/", "http://127.0.0.1/",
                "http://[::ffff:127.0.0.1]/", "http://localhost:8000/", "http://169.254.169.254/latest/meta-data/",
                "http://10.0.0.8/", "http://[fd00:ec2::254]/", "https://user:secret@example.com/",
                f"http://{INTERNAL}@127.0.0.1/", "ftp://example.com/", "https:///nohost"]


def test_refused_callback_urls_answer_400_and_store_nothing(service):
    blobs, documents = _blob_files(service), _document_count(service)
    for url in REFUSED_URLS:
        response = service.upload(tagged_pdf(f"refused {url}"), callback_url=url)
        body = response.json()
        assert response.status_code == 400, (url, response.text)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}  # the documented shape
        assert body["error"]["code"] == "invalid_callback_url"
        assert body["error"]["message"].startswith("callback_url: ") and "secret" not in response.text
    assert _document_count(service) == documents
    assert _blob_files(service) == blobs  # nothing kept, not even a temporary file


def test_an_allow_listed_internal_receiver_gets_its_completion_callback_signed(service, internal_receiver):
    secret = _sign_with_new_secret(service)
    url = f"http://{INTERNAL}:{internal_receiver.server_port}/done?ref={MARKER}"
    doc_id = _processed_with_callback(service, url, "allowed")
    assert _completion_callbacks(service, doc_id) == [("delivered", 1, 204, None)]
    (received,), (signing,) = internal_receiver.received, internal_receiver.signing
    body = received["body"]
    assert (body["id"], body["document_id"], body["status"], body["event"]) == (doc_id, doc_id, "ready_for_review",
                                                                                 "processed")
    assert body["status_url"].endswith(f"/v1/documents/{doc_id}")
    assert signing["idempotency_key"] == body["event_id"]
    assert signature_is_valid(secret, signing["raw"], signing["signature"])
    with service.client() as client:
        (state,) = client.get(f"/v1/documents/{doc_id}/callbacks").json()
    assert (state["event"], state["event_id"], state["state"]) == ("processed", body["event_id"], "delivered")


def test_a_name_resolving_to_a_refused_address_is_a_recorded_permanent_failure(service, loopback_receiver):
    host = socket.gethostname()
    resolved = {ipaddress.ip_address(a[4][0]) for a in socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)}
    policy = CallbackPolicy.from_entries([f"{INTERNAL}/32"], allow_http=True)
    if any(address_refusal(a, policy, host_allowed=False) is None for a in resolved):
        pytest.skip(f"{host} does not resolve to a refused address here")
    url = f"http://{host}:{loopback_receiver.server_port}/done?ref={MARKER}"
    doc_id = _processed_with_callback(service, url, "rebound-name")  # a name passes the upload check
    events = _completion_callbacks(service, doc_id)
    assert len(events) == 1 and events[0][:3] == ("failed", 1, None)  # permanent: no second attempt
    assert events[0][3].startswith("refused destination: ")
    time.sleep(3)  # the outbox passes every 0.5 s: a retry would have come
    assert _completion_callbacks(service, doc_id) == events
    assert loopback_receiver.received == []
    assert MARKER not in service.log_path.read_text()


def test_a_redirect_is_not_followed_nor_retried(service, internal_receiver):
    landing = f"http://{INTERNAL}:{internal_receiver.server_port}/landing"
    with receiver(INTERNAL, status=307, location=landing) as redirector:
        doc_id = _processed_with_callback(service, f"http://{INTERNAL}:{redirector.server_port}/done", "redirect")
        events = _completion_callbacks(service, doc_id)
        assert [e[:2] for e in events] == [("failed", 1)] and "redirects are not followed" in events[0][3]
        time.sleep(3)
        assert [r["body"]["id"] for r in redirector.received] == [doc_id]  # once: no retry
    assert internal_receiver.received == []


def _sign_with_new_secret(service) -> str:
    """Give the service's API key a new callback secret; returns it."""
    secret = new_secret()
    with session_scope(service.sessions) as s:
        key = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(service.api_key)))
        key.callback_secret = secret
    return secret


def _service_key_id(service) -> str:
    with session_scope(service.sessions) as s:
        return s.scalar(select(ApiKey.id).where(ApiKey.key_hash == hash_key(service.api_key)))


def test_serve_delivers_a_determination_signed_and_shows_its_state(service, internal_receiver):
    secret = _sign_with_new_secret(service)
    key_id = _service_key_id(service)
    store = BlobStore(Path(service.env["INTAKE_DATA_DIR"]) / "blobs")
    doc_id = seed_document(service.sessions, store, key_id, extracted_packet(), source="outbox-serve.pdf")
    with session_scope(service.sessions) as s:
        document = s.get(Document, doc_id)
        document.callback_url = f"http://{INTERNAL}:{internal_receiver.server_port}/decided?ref={MARKER}"
        s.flush()
        review_every_item(s, document, "nurse-a")  # required before a determination
        record_determination(s, document, "request_more_information", "synthetic note", "nurse-a",
                             missing=(MissingItem("other", "pathology report"),))
    wait_for(lambda: internal_receiver.received, 60, "the determination callback")
    with service.client() as client:
        (state,) = client.get(f"/v1/documents/{doc_id}/callbacks").json()
        metrics = client.get("/metrics").text
    (received,), (signing,) = internal_receiver.received, internal_receiver.signing
    assert signing["idempotency_key"] == state["event_id"] and state["state"] == "delivered"
    assert signature_is_valid(secret, signing["raw"], signing["signature"])
    assert received["body"]["outcome"] == "request_more_information" and received["body"]["document_id"] == doc_id
    assert state["attempts"] == 1 and state["last_status"] == 204
    assert 'intake_outbox_events{state="delivered"}' in metrics
    assert MARKER not in service.log_path.read_text()
