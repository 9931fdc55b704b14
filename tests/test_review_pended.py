"""Issue 11, items 2 and 3 over HTTP with the real app, on SQLite and PostgreSQL: "request more
information" says what is missing and pends the packet with its own clock (not closed; a final
determination closes it later), and a page that failed OCR or was turned upright is flagged on the
page and counted in the queue."""
from __future__ import annotations

import contextlib
import copy
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api import create_app
from intake.db.migrate import upgrade_to_head
from intake.db.models import Document, utcnow
from intake.db.review_models import AuditEntry, Determination
from intake.db.session import session_scope
from intake.review.accounts import AccountError
from intake.review.attention import packet_attention
from intake.review.team import team_figures
from intake.settings import Settings
from intake.web.context import decision_clock
from review_seed import add_user, api_key, extracted_packet, review_every_item, seed_document, with_exceptions
from service_support import DATABASES, database_url_for, postgres_url  # noqa: F401 (a fixture)
from test_fhir import _bundle, _resources, _review_action
from test_review_web import form_of, sign_in

PEND_DAYS = 10  # not the default, so the clock is seen to follow the setting


@pytest.fixture(params=DATABASES)
def app(request, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=database_url_for(request, tmp_path),
                        redis_url="redis://127.0.0.1:6379/15", pend_days=PEND_DAYS)
    upgrade_to_head(settings.database_url_resolved)
    app = create_app(settings)
    with contextlib.suppress(AccountError):  # PostgreSQL's database is shared by this module's tests
        add_user(app.state.sessions, "rita")
    yield app
    app.state.engine.dispose()


def _seed(app, result: dict) -> str:
    key_id, _ = api_key(app.state.sessions)
    return seed_document(app.state.sessions, app.state.store, key_id, extracted_packet(), result)


def _review_every_item(app, packet: str) -> None:
    """A determination needs every item reviewed; these tests are about what comes after."""
    with session_scope(app.state.sessions) as db:
        review_every_item(db, db.get(Document, packet), "rita", app.state.policies)


def _queue_row(client: TestClient, packet: str, status: str) -> str:
    queue = client.get(f"/review?status={status}").text
    start = queue.find(f'data-href="/review/packets/{packet}"')
    return "" if start < 0 else queue[start:].split("</tr>")[0]


def _audit(app, packet: str) -> list[tuple[str, object, object]]:
    with session_scope(app.state.sessions) as db:
        return [(e.action, e.old_value, e.new_value) for e in db.scalars(
            select(AuditEntry).where(AuditEntry.document_id == packet).order_by(AuditEntry.id))]


def test_request_more_information_says_what_is_missing_and_pends_the_packet(app):
    packet = _seed(app, with_exceptions(extracted_packet().result))
    url = f"/review/packets/{packet}"
    client = TestClient(app)
    sign_in(client)
    client.post(f"{url}/criteria/no_prior_car_t", data={"action": "confirm", **form_of(client, url)})
    page = client.get(url).text
    # The form offers what stands against the packet: the insufficient criterion, the field not found.
    offered = re.findall(r'name="missing" id="missing-\d+" value="([^"]+)"', page)
    assert {"criterion:no_prior_car_t", "field:treatment_date"} <= set(offered)
    assert offered[0].startswith("criterion:") and offered[-1].startswith("field:")  # criteria first

    _review_every_item(app, packet)
    nothing = client.post(f"{url}/determination", data={"outcome": "request_more_information",
                                                         **form_of(client, url)})
    assert nothing.status_code == 422 and "say what is missing" in nothing.text
    unknown = client.post(f"{url}/determination", data={"outcome": "request_more_information",
                                                         "missing": "criterion:no_such", **form_of(client, url)})
    assert unknown.status_code == 422 and "not an item of this packet: criterion:no_such" in unknown.text
    with session_scope(app.state.sessions) as db:
        assert db.get(Document, packet).status == "ready_for_review"  # nothing recorded

    pended = client.post(f"{url}/determination", follow_redirects=False, data={
        "outcome": "request_more_information", "missing": ["criterion:no_prior_car_t", "field:treatment_date"],
        "missing_other": "prior therapy records", **form_of(client, url)})
    assert pended.status_code == 303
    with session_scope(app.state.sessions) as db:
        document = db.get(Document, packet)
        pend = db.scalar(select(Determination).where(Determination.document_id == packet))
        assert document.status == "pended"
        assert pend.missing == [{"kind": "criterion", "name": "no_prior_car_t"},
                                {"kind": "field", "name": "treatment_date"},
                                {"kind": "other", "name": "prior therapy records"}]
        pended_at = pend.at
    assert ("pended", "ready_for_review", ["criterion no prior car t", "field treatment date",
                                           "prior therapy records"]) in _audit(app, packet)

    page = client.get(url).text
    assert "More information due" in page and "waiting for: criterion no prior car t; field treatment date; " \
                                              "prior therapy records" in page
    assert 'value="request_more_information"' not in page  # pended once; now a final call
    assert 'value="refer_to_medical_director"' in page and 'id="missing"' not in page
    assert 'id="next-packet"' in page or 'id="back-to-queue"' in page  # pended: on to other work
    # Not closed: it is listed as pended, with the pend's own clock, and its items can still be reviewed.
    row = _queue_row(client, packet, "pended")
    assert '<span class="flag pended">pended</span>' in row and "information " in row
    due = decision_clock(app.state.settings).pend_due_at(pended_at)
    assert due - pended_at == timedelta(days=PEND_DAYS) and "overdue" not in row
    assert _queue_row(client, packet, "ready_for_review") == ""
    result = client.get(f"/v1/documents/{packet}/review").json()
    assert result["status"] == "pended" and result["determination"]["missing"][2]["name"] == "prior therapy records"
    # FHIR: a pended packet's ClaimResponse stays A4.
    (claim,) = _resources(_bundle(app.state.sessions, packet))["ClaimResponse"]
    assert _review_action(claim) == "A4" and "more information" in claim["disposition"]
    corrected = client.post(f"{url}/fields/treatment_date", follow_redirects=False, data={
        "action": "correct", "value": "03/04/2026", "reason": "provider sent it", **form_of(client, url)})
    assert corrected.status_code == 303

    again = client.post(f"{url}/determination", data={"outcome": "request_more_information",
                                                       "missing_other": "more", **form_of(client, url)})
    assert again.status_code == 422 and "already pended" in again.text
    # The new treatment date re-evaluated the age criterion: it is reviewed again before the final call.
    waiting = client.post(f"{url}/determination", data={"outcome": "refer_to_medical_director",
                                                         **form_of(client, url)})
    assert waiting.status_code == 422 and "1 item is not reviewed yet" in waiting.text
    _review_every_item(app, packet)
    final = client.post(f"{url}/determination", follow_redirects=False,
                        data={"outcome": "refer_to_medical_director", **form_of(client, url)})
    assert final.status_code == 303
    with session_scope(app.state.sessions) as db:
        assert db.get(Document, packet).status == "reviewed"
    trail = _audit(app, packet)
    assert ("pend_closed", "pended", "refer_to_medical_director") in trail
    assert [a for a, _, _ in trail if a == "determination"] == ["determination", "determination"]
    assert _queue_row(client, packet, "pended") == ""
    (claim,) = _resources(_bundle(app.state.sessions, packet))["ClaimResponse"]
    assert _review_action(claim) == "A4" and "medical director" in claim["disposition"]


def test_a_pend_past_its_window_is_overdue_in_the_queue_and_the_team_view(app):
    packet = _seed(app, with_exceptions(extracted_packet().result))
    url = f"/review/packets/{packet}"
    client = TestClient(app)
    sign_in(client)
    clock = decision_clock(app.state.settings)
    with session_scope(app.state.sessions) as db:
        before = team_figures(db, clock, utcnow())
    client.post(f"{url}/criteria/no_prior_car_t", data={"action": "confirm", **form_of(client, url)})
    _review_every_item(app, packet)
    client.post(f"{url}/determination", data={"outcome": "request_more_information",
                                              "missing": "criterion:no_prior_car_t", **form_of(client, url)})
    with session_scope(app.state.sessions) as db:
        team = team_figures(db, clock, utcnow())
    assert (team.pended - before.pended, team.pended_overdue - before.pended_overdue) == (1, 0)
    with session_scope(app.state.sessions) as db:  # the pend was made PEND_DAYS and a day ago
        db.execute(update(Determination).where(Determination.document_id == packet)
                   .values(at=utcnow() - timedelta(days=PEND_DAYS + 1)))
    row = _queue_row(client, packet, "pended")
    assert '<span class="flag overdue">overdue</span>' in row and "overdue" in row.split("</td>")[0]
    with session_scope(app.state.sessions) as db:
        team = team_figures(db, clock, utcnow())
    assert (team.pended - before.pended, team.pended_overdue - before.pended_overdue) == (1, 1)
    assert f"past the {PEND_DAYS}-day pend" in client.get("/review/team").text
    head = client.get(url).text.split('class="packet-head"')[1].split("</header>")[0]
    assert '<span class="flag overdue">overdue</span>' in head and "More information due" in head


def test_a_page_that_failed_or_was_turned_upright_is_flagged_on_the_page_and_in_the_queue(app):
    result = copy.deepcopy(extracted_packet().result)
    rotated = result["fields"]["patient_name"]["evidence"][0]["page"]  # a page carrying evidence
    turned = next(d for d in result["page_details"] if d["page"] == rotated)
    broken = next(d for d in result["page_details"] if d["page"] != rotated)
    turned["rotation"] = 90
    broken.update(method="failed", words=0)
    failed = broken["page"]
    flagged = {str(rotated): "this page was turned upright (rotated 90°)", str(failed): "this page could not be read"}
    packet = _seed(app, result)
    client = TestClient(app)
    sign_in(client)
    html = client.get(f"/review/packets/{packet}").text
    caption = re.compile(r'id="page-(\d+)">\s*<figcaption>[^\n]*?<span class="flag page-problem">([^<]+)</span>')
    assert dict(caption.findall(html)) == flagged
    assert '<span class="flag page-problem">2 flagged pages</span>' in _queue_row(client, packet, "ready_for_review")
    # Evidence on such a page needs a look.
    reasons = [r for attention in packet_attention(Document(result=result), 0.7).values() for r in attention.reasons]
    assert f"evidence on page {rotated}, which was turned upright (rotated 90°)" in reasons
