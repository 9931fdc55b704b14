"""Reviewer corrections as the domain records them: each action names the packet version it saw
(a stale one changes nothing), a field's kind comes from its definition, and a correction re-runs
the policy's rules on the reviewed values without reading a page (the age criterion follows a
corrected birth date, the decision clock follows a corrected "expedited")."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from assessment.config import AssessmentConfig
from extraction.fields import FIELD_NAMES
from intake.db.models import Document
from intake.db.review_models import AuditEntry, ReviewerDecision
from intake.db.session import session_scope
from intake.review import decisions, reevaluate, versions
from intake.review.deadlines import DecisionClock
from intake.review.determination_check import review_progress
from intake.review.packet import build_packet_view
from intake.review.queue import is_expedited
from intake.review.reviewed import reviewed_result
from intake.review.values import FIELD_KINDS
from review_seed import extracted_packet, migrated_sessions, review_every_item, seed_packet
from rules.registry import PolicyRegistry
from service_support import DATABASES, database_url_for, postgres_url  # noqa: F401 (a fixture)

CLOCK = DecisionClock(standard=timedelta(hours=72), expedited=timedelta(hours=24),
                      due_soon=timedelta(hours=12))
POLICIES = PolicyRegistry.load().with_file(AssessmentConfig().policy_path)


@pytest.fixture(params=DATABASES)
def sessions(request, tmp_path):
    with migrated_sessions(database_url_for(request, tmp_path)) as sessions:
        yield sessions


@pytest.fixture
def packet_id(sessions, tmp_path):
    return seed_packet(sessions, tmp_path / "blobs")


def _criterion(out: dict, criterion_id: str) -> dict:
    return next(c for c in out["criteria"] if c["id"] == criterion_id)


def test_every_extracted_field_has_a_kind_of_its_own():
    assert set(FIELD_KINDS) == set(FIELD_NAMES)


def test_an_action_on_a_stale_version_changes_nothing(sessions, packet_id):
    with session_scope(sessions) as db:
        seen = db.get(Document, packet_id).review_version
    with session_scope(sessions) as db:  # the first tab
        decisions.correct_field(db, db.get(Document, packet_id), "member_id", "CPC743028596", None,
                                "rita", seen_version=seen)
    for act in (lambda db, doc: decisions.confirm_field(db, doc, "member_id", "rita", seen_version=seen),
                lambda db, doc: decisions.confirm_criterion(db, doc, "age_18_or_older", "rita", seen_version=seen),
                lambda db, doc: decisions.record_determination(db, doc, "refer_to_medical_director", "x",
                                                               "rita", seen_version=seen)):
        with session_scope(sessions) as db, pytest.raises(versions.StaleVersion) as stale:
            act(db, db.get(Document, packet_id))  # the second tab, opened before the first acted
        assert stale.value.current == seen + 1
    with session_scope(sessions) as db:
        rows = list(db.scalars(select(ReviewerDecision).where(ReviewerDecision.document_id == packet_id)))
        document = db.get(Document, packet_id)
        assert [(r.name, r.action) for r in rows] == [("member_id", "corrected")]
        assert document.status == "ready_for_review" and document.review_version == seen + 1
    with pytest.raises(versions.StaleVersion):
        versions.parse_seen("")  # a form from before versions: it cannot say what it saw


def test_two_tabs_acting_at_once_record_exactly_one(sessions, packet_id):
    """The version check and bump are one UPDATE: the second tab waits for the first one's
    transaction and then finds the version moved, whichever database serialises them."""
    with session_scope(sessions) as db:
        seen = db.get(Document, packet_id).review_version
    outcomes: list[str] = []

    def second_tab() -> None:
        try:
            with session_scope(sessions) as db:
                decisions.confirm_field(db, db.get(Document, packet_id), "member_id", "ada", seen_version=seen)
            outcomes.append("saved")
        except versions.StaleVersion:
            outcomes.append("stale")

    thread = threading.Thread(target=second_tab)
    with session_scope(sessions) as db:
        decisions.correct_field(db, db.get(Document, packet_id), "member_id", "CPC743028596", None, "rita",
                                seen_version=seen)
        thread.start()  # while the first tab's transaction is still open
    thread.join()
    assert outcomes == ["stale"]
    with session_scope(sessions) as db:
        rows = list(db.scalars(select(ReviewerDecision).where(ReviewerDecision.document_id == packet_id)))
    assert [(r.reviewer, r.action) for r in rows] == [("rita", "corrected")]


def test_a_yes_no_field_the_system_did_not_find_is_corrected_to_a_boolean(sessions, packet_id):
    assert extracted_packet().result["fields"]["outpatient_appropriate_attested"]["value"] is None
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.correct_field(db, document, "outpatient_appropriate_attested", "yes", None, "rita",
                                policies=POLICIES)
        decisions.correct_field(db, document, "birth_date", "2/24/1970", None, "rita", policies=POLICIES)
    with session_scope(sessions) as db:
        out = reviewed_result(db, db.get(Document, packet_id))
    assert out["fields"]["outpatient_appropriate_attested"]["value"] is True
    assert out["fields"]["birth_date"]["value"] == "1970-02-24"


def test_a_corrected_birth_date_re_decides_the_age_criterion(sessions, packet_id):
    fields = extracted_packet().result["fields"]
    assert (fields["birth_date"]["value"], fields["treatment_date"]["value"]) == ("2008-02-24", "2026-02-24")
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.confirm_criterion(db, document, "age_18_or_older", "rita")  # met, on the misread date
        before = review_progress(document, decisions.current_decisions(db, document)).reviewed
        # one day younger: 17 on the treatment date; no page is read for this
        decisions.correct_field(db, document, "birth_date", "02/25/2008", "form says 25th", "rita",
                                policies=POLICIES)
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        out = reviewed_result(db, document)
        age = _criterion(out, "age_18_or_older")
        assert (age["extracted_status"], age["system_status"], age["status"]) == ("met", "not_met", "not_met")
        assert age["review"] is None  # the confirmation was of the old value: review it again
        progress = review_progress(document, decisions.current_decisions(db, document))
        assert progress.reviewed == before  # the birth date counts, the age confirmation no longer
        assert [(c.id, c.status) for c in progress.criteria_against] == [("age_18_or_older", "not_met")]
        assert reevaluate.stored(document).recommendation == "does_not_meet_criteria"
        assert document.recommendation == "meets_criteria"  # what the extraction said stays on record
        entry = db.scalar(select(AuditEntry).where(AuditEntry.document_id == packet_id,
                                                   AuditEntry.action == "criterion_reevaluated"))
        assert (entry.target, entry.old_value, entry.new_value) == ("age_18_or_older", "met", "not_met")
        assert entry.reason == "after birth date was corrected"
        # confirming now agrees with the re-evaluated status; the label keeps what was extracted
        decisions.confirm_criterion(db, document, "age_18_or_older", "rita")
    with session_scope(sessions) as db:
        label = db.scalars(select(ReviewerDecision).where(ReviewerDecision.document_id == packet_id,
                                                          ReviewerDecision.name == "age_18_or_older")
                           .order_by(ReviewerDecision.id.desc())).first()
        assert (label.action, label.extracted_value, label.final_value) == ("confirmed", "met", "not_met")
        document = db.get(Document, packet_id)
        review_every_item(db, document, "rita", POLICIES)  # a determination needs every item reviewed
        with pytest.raises(decisions.ReviewRefused, match="age 18 or older"):
            decisions.record_determination(db, document, "meets_criteria", None, "rita")


def test_correcting_expedited_moves_the_decision_clock(sessions, packet_id):
    assert extracted_packet().result["fields"]["expedited"]["value"] is True
    now = datetime.now(timezone.utc)

    def due_after_receipt() -> timedelta:
        with session_scope(sessions) as db:
            document = db.get(Document, packet_id)
            view = build_packet_view(db, document, CLOCK, now, 0.7)
            assert view.expedited == is_expedited(document)
            return view.due_at - document.received_at

    assert due_after_receipt() == timedelta(hours=24)
    with session_scope(sessions) as db:
        decisions.correct_field(db, db.get(Document, packet_id), "expedited", "no", "standard review box ticked",
                                "rita", policies=POLICIES)
    assert due_after_receipt() == timedelta(hours=72)
    with session_scope(sessions) as db:
        decisions.correct_field(db, db.get(Document, packet_id), "expedited", "yes", None, "rita",
                                policies=POLICIES)
    assert due_after_receipt() == timedelta(hours=24)


def test_a_new_analysis_starts_from_its_own_result(sessions, packet_id):
    from intake.db import transitions
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        decisions.correct_field(db, document, "birth_date", "02/25/2008", None, "rita", policies=POLICIES)
        document.status, document.lease_owner = "processing", "w1"  # as request_policy leaves it
    with session_scope(sessions) as db:
        seen = db.get(Document, packet_id).review_version
        assert transitions.finish_document(db, packet_id, "w1", extracted_packet().result, "meets_criteria",
                                           base_url="")
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        assert document.reviewed is None and document.review_version == seen + 1
