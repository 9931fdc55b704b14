"""Every read of a packet's content (PHI) leaves an audit row: who, when, what and from where
(issue 14, item 5): the extracted result through the API (GET /v1/documents/{id}), the reviewed
result, the FHIR bundle, the packet page and its page images. "From where" is the client address,
in the `client` column migration 0010 adds (SQLite and PostgreSQL: rows from before kept, the
table still append-only, and the migration reversible). The API runs in-process with a real Redis.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DatabaseError

from intake.db.migrate import alembic_config, upgrade_to_head
from intake.db.models import Document, utcnow
from intake.db.review_models import AuditEntry
from intake.db.scratch import scratch_database
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.review import audit
from intake.storage import BlobStore
from review_seed import add_user, api_key, extracted_packet, seed_document
from service_support import (DATABASES, PG_ADMIN_URL, in_process_app, postgres_url,  # noqa: F401
                             redis_server)
from test_review_web import sign_in

ADDRESS = "203.0.113.7"  # a documentation address, as the server sees the client
READS = ("document_read", "review_read", "fhir_read", "viewed", "page_image_viewed")


@pytest.fixture(scope="module", params=DATABASES)
def app(request, tmp_path_factory, redis_server) -> Iterator[FastAPI]:
    app, _ = in_process_app(request, tmp_path_factory, redis_server.url, "audit-reads")
    add_user(app.state.sessions, "rita")
    yield app
    app.state.engine.dispose()


def _client(app: FastAPI, **kwargs) -> TestClient:
    return TestClient(app, client=(ADDRESS, 50123), **kwargs)


def _reads(app: FastAPI, document_id: str) -> list[AuditEntry]:
    with session_scope(app.state.sessions) as db:
        rows = list(db.scalars(select(AuditEntry).where(AuditEntry.document_id == document_id,
                                                        AuditEntry.action.in_(READS)).order_by(AuditEntry.id)))
        db.expunge_all()
    return rows


def test_reading_a_documents_result_is_audited_with_the_key_and_the_client_address(app):
    key_id, key = api_key(app.state.sessions)
    _, other_key = api_key(app.state.sessions)
    document_id = seed_document(app.state.sessions, app.state.store, key_id, extracted_packet())
    before = utcnow()
    with _client(app, headers={"X-API-Key": key}) as client:
        response = client.get(f"/v1/documents/{document_id}")
        assert response.status_code == 200 and response.json()["result"] is not None
        assert client.get(f"/v1/documents/{document_id}", headers={"X-API-Key": other_key}).status_code == 404
    (entry,) = _reads(app, document_id)  # the other key's 404 read nothing
    assert (entry.actor, entry.action, entry.target, entry.client) == (
        f"api key {key_id}", "document_read", None, ADDRESS)
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=before.tzinfo)  # SQLite keeps no zone
    assert before <= at <= utcnow()


def test_a_status_poll_before_the_result_exists_reads_no_phi_and_adds_no_row(app):
    key_id, key = api_key(app.state.sessions)
    document_id = seed_document(app.state.sessions, app.state.store, key_id, extracted_packet(),
                                source="still-processing.pdf")
    with session_scope(app.state.sessions) as db:
        document = db.get(Document, document_id)
        document.status, document.result, document.recommendation = "processing", None, None
    with _client(app, headers={"X-API-Key": key}) as client:
        assert client.get(f"/v1/documents/{document_id}").json()["status"] == "processing"
    assert _reads(app, document_id) == []


def test_every_packet_read_records_the_client_address(app):
    key_id, key = api_key(app.state.sessions)
    document_id = seed_document(app.state.sessions, app.state.store, key_id, extracted_packet(),
                                source="read-everywhere.pdf")
    with _client(app) as client:
        for route in ("review", "fhir"):
            assert client.get(f"/v1/documents/{document_id}/{route}", headers={"X-API-Key": key}).status_code == 200
        sign_in(client)
        assert client.get(f"/review/packets/{document_id}").status_code == 200
        assert client.get(f"/review/packets/{document_id}/pages/1/image").status_code == 200
    assert [(e.actor, e.action, e.target, e.client) for e in _reads(app, document_id)] == [
        (f"api key {key_id}", "review_read", None, ADDRESS), (f"api key {key_id}", "fhir_read", None, ADDRESS),
        ("rita", "viewed", None, ADDRESS), ("rita", "page_image_viewed", "page 1", ADDRESS)]


# ---------------------------------------------------------------- the migration

@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path) -> Iterator[str]:
    """A database no migration has touched yet (PostgreSQL: a scratch one of its own)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips, or fails in CI, when no server answers
    with scratch_database(PG_ADMIN_URL, "intake_migrate") as url:
        yield url


def _append_only(engine) -> None:
    for statement in ("UPDATE audit_log SET client = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_migration_0010_adds_the_client_column_keeping_rows_and_the_append_only_triggers(empty_database, tmp_path):
    config = alembic_config(empty_database)
    command.upgrade(config, "0009_determination_missing")
    engine = make_engine(empty_database)
    try:
        sessions = make_sessionmaker(engine)
        key_id, _ = api_key(sessions)
        document_id = seed_document(sessions, BlobStore(tmp_path / "blobs"), key_id, extracted_packet())
        with engine.begin() as conn:  # a row written before the column existed
            conn.execute(text("INSERT INTO audit_log (document_id, actor, at, action) "
                              "VALUES (:d, 'rita', :at, 'viewed')"), {"d": document_id, "at": utcnow()})

        upgrade_to_head(empty_database)
        with session_scope(sessions) as db:
            audit.append(db, document_id, "rita", "viewed", client=ADDRESS)
        with session_scope(sessions) as db:
            assert [(e.action, e.client) for e in audit.trail(db, document_id)] == [("viewed", ADDRESS),
                                                                                  ("viewed", None)]
        _append_only(engine)

        command.downgrade(config, "0009_determination_missing")
        assert "client" not in {c["name"] for c in inspect(engine).get_columns("audit_log")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 2
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))
        upgrade_to_head(empty_database)  # and up again
        assert "client" in {c["name"] for c in inspect(engine).get_columns("audit_log")}
    finally:
        engine.dispose()
