"""Review domain: password KDF, typed corrections, decision clock, reviewer decisions as accuracy
labels, the determination (never a denial), the queue order, and the append-only audit log."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from intake.db.migrate import upgrade_to_head
from intake.db.models import Document, Event
from intake.db.review_models import DETERMINATIONS, AuditEntry, ReviewerDecision, ReviewUser
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.review import decisions
from intake.review.accounts import AccountError, SignInLimits, SignInLocked, authenticate, create_user
from intake.review.deadlines import DecisionClock
from intake.review.determination_check import (CriterionAgainst, ReviewProgress, items_left, mismatches,
                                               refusal_message)
from intake.review.passwords import hash_password, verify_password
from intake.review.pend import MissingItem
from intake.review.queue import QueueFilter, load_queue
from intake.review.reviewed import reviewed_result
from intake.review.values import InvalidValue, field_kind, parse_value
from intake.storage import BlobStore
from review_seed import api_key, extracted_packet, migrated_sessions, review_every_item, seed_document, seed_packet

LIMITS = SignInLimits(max_failures=3, lockout=timedelta(minutes=15))
CLOCK = DecisionClock(standard=timedelta(hours=72), expedited=timedelta(hours=24),
                      due_soon=timedelta(hours=12))


@pytest.fixture
def sessions(tmp_path):
    with migrated_sessions(f"sqlite:///{tmp_path / 'review.db'}") as sessions:
        yield sessions


@pytest.fixture
def packet_id(sessions, tmp_path):
    return seed_packet(sessions, tmp_path / "blobs")


def test_password_hash_is_salted_scrypt_and_verifies():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("scrypt$32768$8$1$") and first != second
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterY", first)
    assert not verify_password("anything", "not-a-hash")
    with pytest.raises(ValueError):
        hash_password("short")


def test_accounts_authenticate_and_reject_duplicates(sessions):
    with session_scope(sessions) as db:
        create_user(db, "alice", "correct horse battery", "admin")
        with pytest.raises(AccountError):
            create_user(db, "alice", "another password here")
        with pytest.raises(AccountError):
            create_user(db, "bob", "correct horse battery", "deny-all")
    with session_scope(sessions) as db:
        assert authenticate(db, "alice", "correct horse battery", LIMITS).role == "admin"
        assert authenticate(db, "alice", "wrong password!!", LIMITS) is None
        assert authenticate(db, "nobody", "correct horse battery", LIMITS) is None


def test_repeated_wrong_passwords_lock_the_account_for_a_while(sessions):
    with session_scope(sessions) as db:
        create_user(db, "alice", "correct horse battery")
    for _ in range(LIMITS.max_failures):
        with session_scope(sessions) as db:
            assert authenticate(db, "alice", "guess guess guess", LIMITS) is None
    with session_scope(sessions) as db, pytest.raises(SignInLocked):
        authenticate(db, "alice", "correct horse battery", LIMITS)
    with session_scope(sessions) as db:  # the lock ends
        user = db.scalar(select(ReviewUser).where(ReviewUser.name == "alice"))
        user.locked_until = datetime.now(timezone.utc) - timedelta(seconds=1)
    with session_scope(sessions) as db:
        assert authenticate(db, "alice", "correct horse battery", LIMITS) is not None


@pytest.mark.parametrize("raw", ["1971-02-30", "02/30/1971", "13/01/1971", "3/14/71", "1971-3-14", "19710314",
                                 "2025-W01-1", "14.03.1971", "yesterday"])
def test_dates_must_be_real_dates_typed_us_style_or_iso(raw):
    with pytest.raises(InvalidValue, match="MM/DD/YYYY or YYYY-MM-DD"):
        parse_value("date", raw)


@pytest.mark.parametrize(("raw", "stored"), [("03/14/1971", "1971-03-14"), ("3/4/1971", "1971-03-04"),
                                           (" 12/31/1999 ", "1999-12-31"), ("1971-03-14", "1971-03-14")])
def test_dates_typed_us_style_are_stored_iso(raw, stored):
    assert parse_value("date", raw) == stored


def test_typed_values_parse():
    assert parse_value("date", " 1971-03-15 ") == "1971-03-15"
    assert parse_value("boolean", "Yes") is True and parse_value("boolean", "no") is False
    assert parse_value("list", "Q2058, C9301\nJ9999") == ["Q2058", "C9301", "J9999"]
    assert parse_value("text", "   ") is None
    with pytest.raises(InvalidValue):
        parse_value("boolean", "maybe")
    assert field_kind("birth_date") == "date"
    assert field_kind("prior_car_t") == "boolean"
    assert field_kind("hcpcs_codes") == "list"


def test_decision_clock_expedited_overdue_and_due_soon():
    received = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)
    assert CLOCK.due_at(received, expedited=False) == received + timedelta(hours=72)
    due = CLOCK.due_at(received, expedited=True)
    assert due == received + timedelta(hours=24)
    assert CLOCK.state(due, due + timedelta(minutes=1), decided=False) == "overdue"
    assert CLOCK.state(due, due - timedelta(hours=11), decided=False) == "due_soon"
    assert CLOCK.state(due, due - timedelta(hours=13), decided=False) == "on_time"
    assert CLOCK.state(due, due + timedelta(days=9), decided=True) == "done"


def test_queue_orders_by_due_time_and_flags_expedited_form(sessions, tmp_path):
    key_id, _ = api_key(sessions)
    store, packet = BlobStore(tmp_path / "blobs"), extracted_packet()
    standard = dict(packet.result, fields={**packet.result["fields"],
                                           "expedited": {"value": False, "confidence": 0.9, "evidence": []}})
    old_standard = seed_document(sessions, store, key_id, packet, standard, received_ago=timedelta(hours=40))
    # Received later but marked expedited on the form: due first.
    urgent = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=20))
    assert packet.result["fields"]["expedited"]["value"] is True
    with session_scope(sessions) as db:
        queue = load_queue(db, CLOCK, datetime.now(timezone.utc), QueueFilter(), 0.7, 100)
    assert [r.id for r in queue.rows] == [urgent, old_standard]
    assert queue.rows[0].expedited and queue.rows[0].clock == "due_soon"
    assert not queue.rows[1].expedited and queue.rows[1].clock == "on_time"
    assert queue.status_counts["ready_for_review"] == 2
    with session_scope(sessions) as db:
        none_match = load_queue(db, CLOCK, datetime.now(timezone.utc),
                                QueueFilter(recommendation="meets_criteria" if packet.result["recommendation"]
                                            != "meets_criteria" else "needs_more_information"), 0.7, 100)
        low = QueueFilter(low_confidence_only=True)
        below_nothing = load_queue(db, CLOCK, datetime.now(timezone.utc), low, 0.0, 100)
        below_everything = load_queue(db, CLOCK, datetime.now(timezone.utc), low, 1.01, 100)
    assert none_match.rows == [] and below_nothing.rows == []
    assert len(below_everything.rows) == 2


def test_decisions_are_labelled_confirmed_corrected_overridden(sessions, packet_id):
    extracted_status = next(c["status"] for c in extracted_packet().result["criteria"]
                            if c["id"] == "no_prior_car_t")
    new_status = "insufficient_evidence" if extracted_status != "insufficient_evidence" else "not_met"
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.confirm_field(db, document, "member_id", "alice")
        decisions.correct_field(db, document, "birth_date", "1970-02-24", "typo on form", "alice")
        decisions.correct_field(db, document, "hcpcs_codes", "Q2058", None, "alice")  # same as extracted
        decisions.confirm_criterion(db, document, "diagnosis_b_all", "alice")
        decisions.override_criterion(db, document, "no_prior_car_t", new_status,
                                     "history page is about a sibling", "alice")
    with session_scope(sessions) as db:
        rows = {r.name: r for r in db.scalars(select(ReviewerDecision))}
        extracted = db.get(Document, packet_id).result
    assert rows["member_id"].action == "confirmed"
    assert rows["hcpcs_codes"].action == "confirmed"
    birth = rows["birth_date"]
    assert (birth.kind, birth.action, birth.final_value) == ("field", "corrected", "1970-02-24")
    assert birth.extracted_value == extracted["fields"]["birth_date"]["value"]
    assert birth.extracted_confidence == extracted["fields"]["birth_date"]["confidence"]
    override = rows["no_prior_car_t"]
    assert (override.kind, override.action, override.final_value) == ("criterion", "overridden", new_status)
    assert override.extracted_value == extracted_status
    assert override.reason == "history page is about a sibling" and override.reviewer == "alice"


def test_override_needs_a_reason_and_a_real_status(sessions, packet_id):
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        with pytest.raises(decisions.ReviewRefused, match="reason"):
            decisions.override_criterion(db, document, "diagnosis_b_all", "not_met", "   ", "alice")
        with pytest.raises(decisions.ReviewRefused):
            decisions.override_criterion(db, document, "diagnosis_b_all", "denied", "because", "alice")
        with pytest.raises(InvalidValue):
            decisions.correct_field(db, document, "birth_date", "1970-02-30", None, "alice")


def test_there_is_no_denial_and_a_determination_closes_the_packet(sessions, packet_id):
    assert "deny" not in " ".join(DETERMINATIONS) and "denied" not in DETERMINATIONS
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        with pytest.raises(decisions.ReviewRefused):
            decisions.record_determination(db, document, "deny", None, "alice")
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.correct_field(db, document, "birth_date", "1970-02-24", None, "alice")
        review_every_item(db, document, "alice")
        decisions.record_determination(db, document, "refer_to_medical_director", "age unclear", "alice")
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        assert document.status == "reviewed"
        assert db.scalar(select(Event.kind).where(Event.document_id == packet_id, Event.kind == "reviewed"))
        with pytest.raises(decisions.ReviewRefused):
            decisions.confirm_field(db, document, "member_id", "bob")
        with pytest.raises(decisions.ReviewRefused):
            decisions.record_determination(db, document, "meets_criteria", None, "bob")
        out = reviewed_result(db, document)
    assert out["determination"]["outcome"] == "refer_to_medical_director"
    assert out["fields"]["birth_date"]["value"] == "1970-02-24"
    assert out["fields"]["birth_date"]["review"]["action"] == "corrected"
    assert out["fields"]["member_id"]["review"]["action"] == "confirmed"


def _assert_audit_is_append_only(sessions, packet_id):
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.correct_field(db, document, "birth_date", "1970-02-24", "typo", "alice")
    with session_scope(sessions) as db:
        entry = db.scalar(select(AuditEntry).where(AuditEntry.document_id == packet_id))
        assert (entry.actor, entry.action, entry.target, entry.new_value) == (
            "alice", "field_corrected", "birth_date", "1970-02-24")
    for statement in ("UPDATE audit_log SET reason = 'rewritten'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"):
            with session_scope(sessions) as db:
                db.execute(text(statement))


def test_audit_log_refuses_update_and_delete_sqlite(sessions, packet_id):
    _assert_audit_is_append_only(sessions, packet_id)


@pytest.mark.postgres
def test_audit_log_refuses_update_and_delete_postgres(tmp_path):
    import uuid
    admin = make_engine("postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    name = f"review_{uuid.uuid4().hex[:10]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    try:
        upgrade_to_head(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        key_id, _ = api_key(sessions)
        packet_id = seed_document(sessions, BlobStore(tmp_path / "blobs"), key_id, extracted_packet())
        _assert_audit_is_append_only(sessions, packet_id)
        engine.dispose()
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def _progress(reviewed: int, total: int, *against: tuple[str, str]) -> ReviewProgress:
    return ReviewProgress(reviewed, total, tuple(CriterionAgainst(i, s) for i, s in against))


def test_which_determinations_go_against_the_evidence():
    complete = _progress(19, 19)
    assert items_left(complete) is None and mismatches("meets_criteria", complete) == []
    against = _progress(19, 19, ("age_18_or_older", "insufficient_evidence"), ("no_prior_car_t", "not_met"))
    assert mismatches("refer_to_medical_director", against) == mismatches("request_more_information", against) == []
    found = mismatches("meets_criteria", against)
    assert found == ["criteria not met or without sufficient evidence: age 18 or older "
                     "(insufficient evidence), no prior car t (not met)"]
    assert "medical director" in refusal_message("meets_criteria", found)


def test_no_determination_is_possible_while_items_are_unreviewed():
    assert items_left(_progress(0, 19)).startswith("19 items are not reviewed yet (0 of 19 reviewed).")
    assert items_left(_progress(18, 19)).startswith("1 item is not reviewed yet (18 of 19 reviewed).")
    assert "Confirm all routine items" in items_left(_progress(17, 19))


def _review_every_item_as_met(db, document, reviewer: str) -> None:
    for name in document.assessment.fields:
        decisions.confirm_field(db, document, name, reviewer)
    for criterion in document.assessment.criteria:
        decisions.override_criterion(db, document, criterion.id, "met", "checked by hand", reviewer)


def test_every_item_is_reviewed_before_any_determination_even_with_a_note(sessions, packet_id):
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        total = len(document.assessment.fields) + len(document.assessment.criteria)
        for outcome in DETERMINATIONS:  # nobody looked at the packet: no outcome, no note lifts it
            with pytest.raises(decisions.ReviewRefused, match=rf"^{total} items are not reviewed yet \(0 of {total}"):
                decisions.record_determination(db, document, outcome, "decided on the phone", "alice",
                                               missing=(MissingItem("other", "pathology report"),))
        decisions.confirm_field(db, document, "member_id", "alice")
        decisions.confirm_criterion(db, document, "diagnosis_b_all", "alice")
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        with pytest.raises(decisions.ReviewRefused, match=rf"^{total - 2} items are not reviewed yet \(2 of {total}"):
            decisions.record_determination(db, document, "refer_to_medical_director", "physician", "alice")
    with session_scope(sessions) as db:  # refused: nothing recorded, the packet stays open
        assert db.get(Document, packet_id).status == "ready_for_review"
        assert db.scalar(select(AuditEntry.id).where(AuditEntry.action.like("determination%"))) is None
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        review_every_item(db, document, "alice")
        decisions.record_determination(db, document, "refer_to_medical_director", None, "alice")
    with session_scope(sessions) as db:
        assert db.get(Document, packet_id).status == "reviewed"


def test_a_determination_against_the_evidence_needs_a_note_and_is_audited_as_an_override(
        sessions, packet_id):
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.override_criterion(db, document, "age_18_or_older", "insufficient_evidence",
                                     "birth date unreadable", "alice")
        review_every_item(db, document, "alice")
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        with pytest.raises(decisions.ReviewRefused) as refused:
            decisions.record_determination(db, document, "meets_criteria", None, "alice")
        assert "age 18 or older (insufficient evidence)" in str(refused.value)
        assert "not reviewed" not in str(refused.value)
    with session_scope(sessions) as db:  # refused: nothing recorded, the packet stays open
        assert db.get(Document, packet_id).status == "ready_for_review"
        assert db.scalar(select(AuditEntry.id).where(AuditEntry.action.like("determination%"))) is None
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.record_determination(db, document, "meets_criteria", "age confirmed by phone", "alice")
    with session_scope(sessions) as db:
        override = db.scalar(select(AuditEntry).where(AuditEntry.action == "determination_override"))
        assert override.new_value == "meets_criteria" and override.reason == "age confirmed by phone"
        assert any("age 18 or older" in why for why in override.old_value)
        assert db.get(Document, packet_id).status == "reviewed"


def test_meets_criteria_over_a_complete_agreeing_review_needs_no_note(sessions, packet_id):
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        _review_every_item_as_met(db, document, "alice")
        decisions.record_determination(db, document, "meets_criteria", None, "alice")
    with session_scope(sessions) as db:
        actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.document_id == packet_id)))
    assert "determination" in actions and "determination_override" not in actions
