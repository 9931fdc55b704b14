"""Exceptions first (issue 11): which items need a reviewer's attention, "confirm all routine
items" as one audited action, the UM queue's columns and the supervisor's team figures; on
SQLite and PostgreSQL where the database is involved."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assessment.config import AssessmentConfig
from intake.db.models import Document, utcnow
from intake.db.review_models import AuditEntry, ReviewerDecision
from intake.db.session import session_scope
from intake.review import decisions, routine, versions
from intake.review.attention import FoundValue, packet_attention, page_problems
from intake.review.deadlines import DecisionClock
from intake.review.packet import build_packet_view
from intake.review.pend import MissingItem
from intake.review.queue import QueueFilter, load_queue
from intake.review.team import team_figures
from intake.storage import BlobStore
from quality.metrics import Ratio
from review_seed import (api_key, extracted_packet, migrated_sessions, review_every_item, seed_document,
                         with_exceptions, with_misfiled_and_blank_pages)
from rules.registry import PolicyRegistry
from service_support import DATABASES, database_url_for, postgres_url  # noqa: F401 (a fixture)
from test_review_web import app, form_of, sign_in  # noqa: F401 (app: a fixture)

CLOCK = DecisionClock(standard=timedelta(hours=72), expedited=timedelta(hours=24),
                      due_soon=timedelta(hours=12))
POLICIES = PolicyRegistry.load().with_file(AssessmentConfig().policy_path)
LOW = 0.7
# What with_exceptions() makes a reviewer look at.
EXCEPTIONS = {("field", "birth_date"), ("field", "member_id"), ("field", "treatment_date"),
              ("criterion", "no_prior_car_t")}


@pytest.fixture(params=DATABASES)
def sessions(request, tmp_path):
    with migrated_sessions(database_url_for(request, tmp_path)) as sessions:
        yield sessions


def _seed(sessions, tmp_path, result=None, **kwargs) -> str:
    key_id, _ = api_key(sessions)
    return seed_document(sessions, BlobStore(tmp_path / "blobs"), key_id, extracted_packet(), result, **kwargs)


def test_each_exception_is_marked_with_its_reason_and_the_rest_is_routine():
    result = with_exceptions(extracted_packet().result)
    result["page_details"][3]["error"] = "ocr timed out on a region"
    items = packet_attention(Document(result=result), LOW)
    assert {key for key, attention in items.items() if attention.needed} >= EXCEPTIONS
    assert items[("field", "birth_date")].reasons[0] == "confidence 42% is below 70%"
    assert items[("field", "treatment_date")].reasons == ("not found in the packet",)
    member = items[("field", "member_id")]
    assert member.reasons[0] == "conflicting values"
    assert member.conflicting == (FoundValue("Member ID: CPC743028595", (3,)),
                                  FoundValue("Member ID: CPC743028596", (4,)))
    assert items[("criterion", "no_prior_car_t")].reasons == ("insufficient evidence",)
    # Evidence on a page read with errors needs a look; a blank page is known as such.
    assert "evidence on page 4, which was read with errors" in items[("field", "diagnosis")].reasons
    assert page_problems(Document(result=result)) == {1: "is blank", 4: "was read with errors"}
    # The same packet as extracted: every item is routine.
    assert not any(a.needed for a in packet_attention(Document(result=extracted_packet().result), LOW).values())


def test_confirm_all_routine_records_one_audited_confirmation_per_item(sessions, tmp_path):
    packet_id = _seed(sessions, tmp_path, with_exceptions(extracted_packet().result))
    with session_scope(sessions) as db:
        document = db.get(Document, packet_id)
        view = build_packet_view(db, document, CLOCK, utcnow(), LOW)
        assert view.first_attention == "f1"  # the member ID: the first item needing attention
        assert view.attention_open == len(EXCEPTIONS)
        routine_before = view.routine_open
        seen = view.version
        recorded = routine.confirm_routine(db, document, "rita", LOW, seen_version=seen, policies=POLICIES)
    # A criterion the confirmed fields re-evaluate to another status is left for the reviewer (here
    # the age criterion, once the missing treatment date counts): at most what the button said.
    assert 0 < len(recorded) <= routine_before
    with session_scope(sessions) as db:
        rows = list(db.scalars(select(ReviewerDecision).where(ReviewerDecision.document_id == packet_id)))
        audit = Counter((a.action, a.target) for a in db.scalars(
            select(AuditEntry).where(AuditEntry.document_id == packet_id)))
        document = db.get(Document, packet_id)
        assert document.review_version == seen + 1  # one action, one version check
        assert {r.action for r in rows} == {"confirmed"} and {r.reviewer for r in rows} == {"rita"}
        for row in rows:  # exactly the audit entry a confirmation by hand writes
            assert audit[(f"{row.kind}_confirmed", row.name)] == 1
        assert not {(r.kind, r.name) for r in rows} & EXCEPTIONS
        after = build_packet_view(db, document, CLOCK, utcnow(), LOW)
        assert after.routine_open == 0 and after.attention_open >= len(EXCEPTIONS)
    with session_scope(sessions) as db, pytest.raises(versions.StaleVersion):
        routine.confirm_routine(db, db.get(Document, packet_id), "rita", LOW, seen_version=seen, policies=POLICIES)
    with session_scope(sessions) as db, pytest.raises(decisions.ReviewRefused):  # nothing routine is left
        document = db.get(Document, packet_id)
        routine.confirm_routine(db, document, "rita", LOW, seen_version=document.review_version, policies=POLICIES)


def test_queue_rows_name_the_member_product_and_what_needs_attention(sessions, tmp_path):
    plain = _seed(sessions, tmp_path)
    marked = _seed(sessions, tmp_path, with_exceptions(extracted_packet().result))
    with session_scope(sessions) as db:
        queue = load_queue(db, CLOCK, utcnow(), QueueFilter(), LOW, 100)
    rows = {row.id: row for row in queue.rows}
    assert (rows[plain].member_name, rows[plain].member_id, rows[plain].hcpcs) == ("Ulrike Tanaka", "CPC743028595", "Q2058")
    assert rows[plain].product and rows[plain].recommendation == "meets_criteria"
    assert (rows[plain].attention, rows[marked].attention) == (0, len(EXCEPTIONS))
    with session_scope(sessions) as db:  # a decided item no longer waits
        decisions.correct_field(db, db.get(Document, marked), "member_id", "CPC743028595", None, "rita")
    with session_scope(sessions) as db:
        row = next(r for r in load_queue(db, CLOCK, utcnow(), QueueFilter(), LOW, 100).rows if r.id == marked)
    assert row.attention == len(EXCEPTIONS) - 1


def _standard(result: dict) -> dict:
    standard = dict(result, fields=dict(result["fields"]))
    standard["fields"]["expedited"] = dict(result["fields"]["expedited"], value=False)
    return standard


def test_team_figures_count_turnaround_pended_overdue_and_work_per_reviewer(sessions, tmp_path):
    result = extracted_packet().result  # its form asks for expedited review (24 h)
    with session_scope(sessions) as db:  # PostgreSQL's database is shared by this module's tests
        before = team_figures(db, CLOCK, utcnow())
    prompt = _seed(sessions, tmp_path, received_ago=timedelta(hours=1))
    late_pended = _seed(sessions, tmp_path, received_ago=timedelta(hours=30))
    standard = _seed(sessions, tmp_path, _standard(result), received_ago=timedelta(hours=30))
    _seed(sessions, tmp_path, received_ago=timedelta(hours=30))  # open and overdue
    _seed(sessions, tmp_path, _standard(result), received_ago=timedelta(hours=1))  # open, on time
    with session_scope(sessions) as db:
        document = db.get(Document, prompt)
        decisions.correct_field(db, document, "member_id", "CPC743028596", None, "tess", policies=POLICIES)
        decisions.confirm_field(db, document, "patient_name", "tess", policies=POLICIES)
        # Every item is reviewed before a determination: the rest of them confirmed as they stand.
        for reviewer, packet in (("tess", document), ("tess", db.get(Document, standard)),
                                 ("ada", db.get(Document, late_pended))):
            review_every_item(db, packet, reviewer, POLICIES)
        decisions.record_determination(db, document, "refer_to_medical_director", "physician review", "tess")
        decisions.record_determination(db, db.get(Document, standard), "meets_criteria", "checked by phone", "tess")
        decisions.record_determination(db, db.get(Document, late_pended), "request_more_information",
                                       "pathology report missing", "ada",
                                       missing=(MissingItem("other", "pathology report"),))
    with session_scope(sessions) as db:
        team = team_figures(db, CLOCK, utcnow())
    assert before.within_all.total == 0
    assert team.within_expedited == Ratio(1, 2) and team.within_standard == Ratio(1, 1)
    assert team.within_all == Ratio(2, 3)
    assert (team.pended, team.overdue, team.open - before.open) == (1, 1, 2)
    by_name = {r.reviewer: r for r in team.reviewers}
    assert by_name["tess"].outcomes == {"meets_criteria": 1, "request_more_information": 0,
                                        "refer_to_medical_director": 1}
    assert by_name["ada"].determinations == 1 and by_name["ada"].items_corrected == 0
    items = len(extracted_packet().result["fields"]) + len(extracted_packet().result["criteria"])
    assert (by_name["tess"].items_decided, by_name["tess"].items_corrected) == (2 * items, 1)  # two packets


def test_the_packet_page_opens_on_exceptions_and_confirms_routine_items_in_one_post(app):
    key_id, _ = api_key(app.state.sessions)
    marked = seed_document(app.state.sessions, app.state.store, key_id, extracted_packet(),
                           with_exceptions(extracted_packet().result))
    client = TestClient(app)
    sign_in(client)
    path = f"/review/packets/{marked}"
    html = client.get(path).text
    assert 'data-first-attention="item-f1"' in html
    assert "Values found: “Member ID: CPC743028595” on p.3 · “Member ID: CPC743028596” on p.4" in html
    assert re.search(r"4 items need attention:</b>\s*<a href=\"#item-f1\"", html)
    form = form_of(client, path)
    assert client.post(f"{path}/routine", data={**form, "csrf_token": "x"}).status_code == 403
    done = client.post(f"{path}/routine", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{path}#item-f1"
    stale = client.post(f"{path}/routine", data=form)
    assert stale.status_code == 409 and "nothing was saved" in stale.text
    queue = client.get("/review").text
    assert "Ulrike Tanaka" in queue and "CPC743028595" in queue and "Q2058" in queue
    assert "<td class=\"product\">Aucatzyl (obecabtagene autoleucel)<br>" in queue  # the drug, not the guideline
    team = client.get("/review/team")
    assert team.status_code == 200 and "<td>rita</td>" in team.text  # her routine confirmations


def test_a_page_of_another_patient_and_a_blank_page_are_flagged_on_the_page_and_in_the_queue(app):
    result, misfiled, blank = with_misfiled_and_blank_pages(extracted_packet().result)
    items = packet_attention(Document(result=result), LOW)
    assert f"evidence on page {misfiled}, which belongs to another patient" in items[("field", "patient_name")].reasons
    assert page_problems(Document(result=result)) == {misfiled: "belongs to another patient", blank: "is blank"}
    key_id, _ = api_key(app.state.sessions)
    packet = seed_document(app.state.sessions, app.state.store, key_id, extracted_packet(), result)
    client = TestClient(app)
    sign_in(client)
    html = client.get(f"/review/packets/{packet}").text
    caption = re.compile(r'id="page-(\d+)">\s*<figcaption>[^\n]*?<span class="flag page-problem">([^<]+)</span>')
    assert dict(caption.findall(html)) == {str(misfiled): "this page belongs to another patient",
                                           str(blank): "this page is blank"}
    queue = client.get("/review").text
    row = queue[queue.index(f'data-href="/review/packets/{packet}"'):].split("</tr>")[0]
    assert '<span class="flag page-problem">2 flagged pages</span>' in row
