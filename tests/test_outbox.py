"""The determination outbox with real processes (SQLite and PostgreSQL): determinations recorded
while the receiver is down are kept as rows, a sender process killed mid-retry and restarted
delivers them, and the receiver example (tests/callback_receivers.py, its own process) gets each
event exactly once by Idempotency-Key with a valid signature; a tampered body fails it. A packet
pended for more information stays open, and each correction made to it is an event too."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from callback_receivers import receiver, signature_is_valid
from intake.callback_signing import new_secret, signature
from intake.auth import create_key
from intake.db.models import Document
from intake.db.outbox_models import OutboxEvent
from intake.db.session import session_scope
from intake.outbox_sender import OutboxSender
from intake.review.decisions import (ReviewRefused, confirm_field, correct_field, override_criterion,
                                     record_determination)
from intake.review.pend import MissingItem
from intake.settings import Settings
from intake.storage import BlobStore
from review_seed import extracted_packet, migrated_sessions, review_every_item, seed_document
from service_support import DATABASES, REPO, database_url_for, postgres_url, wait_for  # noqa: F401

pytestmark = pytest.mark.slow

RECEIVER_HOST = "127.0.0.2"  # allow-listed below; every other internal address stays refused
OUTCOMES = ("meets_criteria", "request_more_information", "refer_to_medical_director")


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    return database_url_for(request, tmp_path)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"INTAKE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url,
                "INTAKE_CALLBACK_ALLOW_HTTP": "true", "INTAKE_CALLBACK_ALLOW": json.dumps([f"{RECEIVER_HOST}/32"]),
                "INTAKE_OUTBOX_INTERVAL": "0.2", "INTAKE_OUTBOX_BACKOFF": "0.2", "INTAKE_OUTBOX_BACKOFF_MAX": "1",
                "INTAKE_OUTBOX_MAX_ATTEMPTS": "1000", "INTAKE_CALLBACK_TIMEOUT": "3"})
    return env


def _sender(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "intake.cli", "outbox", "send"], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _receiver(port: int, secret: str, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, str(REPO / "tests" / "callback_receivers.py"),
                                f"{RECEIVER_HOST}:{port}", secret, str(log)], cwd=REPO / "tests")
    wait_for(lambda: _accepts(port), 30, "the receiver to listen")
    return process


def _accepts(port: int) -> bool:
    try:
        socket.create_connection((RECEIVER_HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def _rows(sessions) -> list[OutboxEvent]:
    with session_scope(sessions) as db:
        rows = list(db.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
        db.expunge_all()
    return rows


def _seed_decided_packets(sessions, tmp_path: Path, callback_url: str) -> tuple[str, list[str]]:
    """Three packets from a key with a callback secret, one determination each: (secret, doc ids)."""
    secret = new_secret()
    with session_scope(sessions) as db:
        key, _ = create_key(db, "outbox-tests")
        key.callback_secret = secret
        key_id = key.id
    store = BlobStore(tmp_path / "data" / "blobs")
    ids = [seed_document(sessions, store, key_id, extracted_packet(), source=f"outbox-{n}.pdf")
           for n in range(len(OUTCOMES))]
    for document_id, outcome in zip(ids, OUTCOMES):
        with session_scope(sessions) as db:
            document = db.get(Document, document_id)
            document.callback_url = callback_url
            db.flush()
            review_every_item(db, document, "nurse-a")  # a determination rests on a full review
            record_determination(db, document, outcome, "synthetic reviewer note", "nurse-a",
                                 missing=(MissingItem("other", "pathology report"),))
    return secret, ids


def test_events_survive_a_down_receiver_and_a_killed_sender(database_url, tmp_path):
    port = _free_port(RECEIVER_HOST)
    env = _env(tmp_path, database_url)
    sender_log, received_log = tmp_path / "sender.log", tmp_path / "received.jsonl"
    with migrated_sessions(database_url) as sessions:
        secret, ids = _seed_decided_packets(sessions, tmp_path, f"http://{RECEIVER_HOST}:{port}/hook")
        rows = _rows(sessions)
        assert [(r.document_id, r.kind, r.state) for r in rows] == [(i, "determination", "pending") for i in ids]

        # A second determination on a decided packet is refused and leaves no event behind.
        with pytest.raises(ReviewRefused), session_scope(sessions) as db:
            record_determination(db, db.get(Document, ids[0]), "meets_criteria", "again", "nurse-b")
        assert len(_rows(sessions)) == len(ids)

        sender = _sender(env, sender_log)  # the receiver is down: every attempt fails
        wait_for(lambda: all(r.attempts >= 2 for r in _rows(sessions)), 60, "retries while the receiver is down")
        sender.send_signal(signal.SIGKILL)  # mid-retry: between two attempts or inside one
        sender.wait()
        assert all(r.state == "pending" and r.last_error for r in _rows(sessions))

        receiver = _receiver(port, secret, received_log)
        sender = _sender(env, sender_log)
        try:
            wait_for(lambda: all(r.state == "delivered" for r in _rows(sessions)), 60, "delivery after restart")
        finally:
            sender.send_signal(signal.SIGTERM)
            sender.wait(timeout=30)
            receiver.terminate()
            receiver.wait()
        rows = _rows(sessions)

    requests = [json.loads(line) for line in received_log.read_text().splitlines()]
    assert all(r["valid"] for r in requests)  # every request signed with the key's secret
    accepted = [r for r in requests if not r["duplicate"]]
    assert sorted(r["idempotency_key"] for r in accepted) == sorted(r.event_id for r in rows)
    by_key = {r["idempotency_key"]: json.loads(r["body"]) for r in accepted}
    for row, outcome in zip(rows, OUTCOMES):
        assert by_key[row.event_id] == {"event_id": row.event_id, "event": "determination",
                                        "document_id": row.document_id, "outcome": outcome,
                                        "at": by_key[row.event_id]["at"]}
        assert row.last_status == 204 and row.delivered_at is not None
    log = sender_log.read_text()
    assert "hook" not in log and "synthetic reviewer note" not in log  # no URL, no packet text


def test_a_tampered_body_fails_verification_in_the_receiver_example(tmp_path):
    secret, port = new_secret(), _free_port(RECEIVER_HOST)
    body = b'{"document_id":"d1","event":"determination","outcome":"request_more_information"}'
    header = signature(secret, body)
    tampered = body.replace(b"request_more_information", b"meets_criteria")
    assert signature_is_valid(secret, body, header)
    assert not signature_is_valid(secret, tampered, header)
    assert not signature_is_valid(new_secret(), body, header)
    receiver = _receiver(port, secret, tmp_path / "received.jsonl")
    try:
        url = f"http://{RECEIVER_HOST}:{port}/hook"
        sent = {"X-Intake-Signature": header, "Idempotency-Key": "e1"}
        assert httpx.post(url, content=tampered, headers=sent).status_code == 401
        assert httpx.post(url, content=body, headers=sent).status_code == 204
    finally:
        receiver.terminate()
        receiver.wait()
    logged = [json.loads(line) for line in (tmp_path / "received.jsonl").read_text().splitlines()]
    assert [(r["valid"], r["duplicate"]) for r in logged] == [(False, False), (True, False)]


def test_corrections_to_a_pended_packet_are_events_signed_and_delivered(database_url, tmp_path):
    """"Request more information" leaves the packet open (pended): downstream already has that
    determination, so every later field correction or criterion override writes a `correction`
    event in the same transaction, delivered signed like the determination. A confirmation that
    changes nothing writes none, and a correction rolled back leaves none."""
    criterion = "age_18_or_older"
    with migrated_sessions(database_url) as sessions, receiver(RECEIVER_HOST) as server:
        url = f"http://{RECEIVER_HOST}:{server.server_port}/hook"
        secret, ids = _seed_decided_packets(sessions, tmp_path, url)
        pended = ids[OUTCOMES.index("request_more_information")]
        with session_scope(sessions) as db:
            assert db.get(Document, pended).status == "pended"
            correct_field(db, db.get(Document, pended), "member_id", "CPC000000001", "typo", "nurse-b")
        with pytest.raises(RuntimeError), session_scope(sessions) as db:  # rolled back with its event
            correct_field(db, db.get(Document, pended), "birth_date", "1970-02-24", "typo", "nurse-b")
            raise RuntimeError("the transaction fails after the correction")
        with session_scope(sessions) as db:
            confirm_field(db, db.get(Document, pended), "patient_name", "nurse-b")  # nothing changes
            override_criterion(db, db.get(Document, pended), criterion, "not_met", "on second look", "nurse-b")
        rows = [r for r in _rows(sessions) if r.document_id == pended]
        assert [(r.kind, r.payload["outcome"], r.state) for r in rows] == [
            ("determination", "request_more_information", "pending"),
            ("correction", "request_more_information", "pending"),
            ("correction", "request_more_information", "pending")]

        settings = Settings(data_dir=tmp_path / "data", database_url=database_url, callback_allow_http=True,
                            callback_allow=[f"{RECEIVER_HOST}/32"], callback_timeout_seconds=3)
        report = OutboxSender(settings, sessions).run_once()
        ours = [r for r in _rows(sessions) if r.document_id in ids]  # the database may hold others' rows
        assert sorted(report.delivered) == sorted(r.event_id for r in ours) and not report.retrying

    posts = {post["idempotency_key"]: post for post in server.signing}
    for row in rows:
        post = posts[row.event_id]
        assert signature_is_valid(secret, post["raw"], post["signature"])
        assert json.loads(post["raw"]) == {"event_id": row.event_id, "event": row.kind, "document_id": pended,
                                           "outcome": "request_more_information", "at": row.payload["at"]}
