"""The reviewer UI over HTTP (in-process app from create_app): sign-in, sessions, CSRF, escaping,
authenticated page images, the audit trail and the reviewed-result endpoint."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api import create_app
from intake.commands.users import add_user as add_user_command
from intake.db.migrate import upgrade_to_head
from intake.review.accounts import SignInLimits, authenticate
from intake.db.session import session_scope
from intake.settings import Settings
from review_seed import PASSWORD, add_user, api_key, extracted_packet, seed_document, with_markup

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'data-packet-version="(\d+)"')


@pytest.fixture
def app(tmp_path):
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/15")
    upgrade_to_head(settings.database_url_resolved)
    app = create_app(settings)
    add_user(app.state.sessions, "rita")
    add_user(app.state.sessions, "ada", role="admin")
    yield app
    app.state.engine.dispose()


@pytest.fixture
def seeded(app):
    key_id, key = api_key(app.state.sessions)
    packet = extracted_packet()
    plain = seed_document(app.state.sessions, app.state.store, key_id, packet)
    hostile = seed_document(app.state.sessions, app.state.store, key_id, packet, with_markup(packet.result),
                            source="<b>fax</b>.pdf")
    return {"key": key, "plain": plain, "hostile": hostile}


def sign_in(client: TestClient, name: str = "rita", password: str = PASSWORD) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": password, "next": "/review",
                                           "csrf_token": CSRF.search(page.text).group(1)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


def form_of(client: TestClient, packet: str) -> dict[str, str]:
    """What every action form of the packet page carries: the CSRF token and the packet version."""
    html = client.get(packet).text
    return {"csrf_token": CSRF.search(html).group(1), "seen_version": VERSION.search(html).group(1)}


def test_pages_need_sign_in_and_resources_answer_401(app, seeded):
    client = TestClient(app)
    response = client.get(f"/review/packets/{seeded['plain']}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/review/packets/{seeded['plain']}"
    assert client.get(f"/review/packets/{seeded['plain']}/pages/1/image").status_code == 401
    assert client.get(f"/v1/documents/{seeded['plain']}/review").status_code == 401


def test_sign_in_sets_a_hardened_session_cookie_and_logout_ends_it(app, seeded):
    client = TestClient(app)
    bad = client.post("/login", data={"name": "rita", "password": "wrong password",
                                      "csrf_token": csrf_of(client, "/login")})
    assert bad.status_code == 401 and "wrong password" in bad.text
    page = client.get("/login")
    response = client.post("/login", data={"name": "rita", "password": PASSWORD, "next": "//evil.example",
                                           "csrf_token": CSRF.search(page.text).group(1)},
                           follow_redirects=False)
    assert response.headers["location"] == "/review"  # never off-site
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("intake_session="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    token = client.cookies["intake_session"]
    queue = client.get("/review")
    assert queue.status_code == 200 and "no-store" in queue.headers["cache-control"]
    assert "script-src 'self'" in queue.headers["content-security-policy"]
    client.post("/logout", data={"csrf_token": CSRF.search(queue.text).group(1)})
    replay = TestClient(app, cookies={"intake_session": token})
    assert replay.get("/review", follow_redirects=False).status_code == 303
    assert replay.get(f"/review/packets/{seeded['plain']}/pages/1/image").status_code == 401


def test_repeated_wrong_passwords_lock_sign_in_without_saying_so(app):
    client = TestClient(app)
    for _ in range(app.state.settings.sign_in_max_failures):
        assert client.post("/login", data={"name": "rita", "password": "guess guess guess",
                                           "csrf_token": csrf_of(client, "/login")}).status_code == 401
    locked = client.post("/login", data={"name": "rita", "password": PASSWORD,
                                         "csrf_token": csrf_of(client, "/login")}, follow_redirects=False)
    # The right password on a locked account gets the wrong-password answer: 429 would tell an
    # attacker that the name exists (tests/test_service_sign_in.py compares the answers in full).
    assert locked.status_code == 401 and "wrong password" in locked.text and "locked" not in locked.text
    assert "intake_session" not in locked.cookies


def test_login_form_needs_its_csrf_token(app):
    client = TestClient(app)
    client.get("/login")
    response = client.post("/login", data={"name": "rita", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403 and "intake_session" not in response.cookies


def test_every_post_needs_the_session_csrf_token(app, seeded):
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"
    for path, data in ((f"{packet}/fields/birth_date", {"action": "correct", "value": "1970-01-01"}),
                       (f"{packet}/criteria/diagnosis_b_all", {"action": "confirm"}),
                       (f"{packet}/determination", {"outcome": "meets_criteria"}),
                       ("/logout", {})):
        assert client.post(path, data=data).status_code == 403
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    other = TestClient(app)
    sign_in(other, "ada")
    foreign = csrf_of(other, "/review")  # a valid token, but of another session
    assert client.post(f"{packet}/determination", data={"outcome": "meets_criteria",
                                                        "csrf_token": foreign}).status_code == 403
    page = client.get(packet).text
    assert "criterion confirmed" not in page and "field corrected" not in page
    assert "status <b>ready for review</b>" in page


def test_packet_markup_is_shown_as_text(app, seeded):
    client = TestClient(app)
    sign_in(client)
    html = client.get(f"/review/packets/{seeded['hostile']}").text
    assert "<script>document.title" not in html and "<img src=x" not in html
    assert "&lt;script&gt;document.title=" in html
    assert "&lt;b&gt;fax&lt;/b&gt;.pdf" in client.get("/review").text


def test_correction_is_validated_audited_and_served_downstream(app, seeded):
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"
    invalid = client.post(f"{packet}/fields/birth_date", data={"action": "correct", "value": "1970-02-30",
                                                              **form_of(client, packet)})
    assert invalid.status_code == 422 and "no such date (check month and day); enter it as MM/DD/YYYY or YYYY-MM-DD" in invalid.text
    ok = client.post(f"{packet}/fields/birth_date", follow_redirects=False,
                     data={"action": "correct", "value": "1970-02-24", "reason": "form says 1970",
                           **form_of(client, packet)})
    assert ok.status_code == 303 and ok.headers["location"].startswith(packet + "#item-f")
    no_reason = client.post(f"{packet}/criteria/diagnosis_b_all",
                            data={"action": "override", "status": "not_met", **form_of(client, packet)})
    assert no_reason.status_code == 422 and "a reason is required" in no_reason.text
    deny = client.post(f"{packet}/determination", data={"outcome": "deny", **form_of(client, packet)})
    assert deny.status_code == 422
    client.post(f"{packet}/routine", data=form_of(client, packet))  # every other item, then the call
    done = client.post(f"{packet}/determination", follow_redirects=False,
                       data={"outcome": "request_more_information", "missing_other": "pathology report",
                             **form_of(client, packet)})
    assert done.status_code == 303
    page = client.get(packet).text
    assert "field corrected" in page and "form says 1970" in page and "Request more information" in page

    as_reviewer = client.get(f"/v1/documents/{seeded['plain']}/review").json()
    as_caller = TestClient(app).get(f"/v1/documents/{seeded['plain']}/review",
                                    headers={"X-API-Key": seeded["key"]}).json()
    assert as_reviewer == as_caller
    assert as_caller["status"] == "pended"  # not closed: waiting for the information
    assert as_caller["determination"]["outcome"] == "request_more_information"
    assert as_caller["fields"]["birth_date"]["value"] == "1970-02-24"
    assert as_caller["fields"]["birth_date"]["review"]["reviewer"] == "rita"
    stranger = TestClient(app).get(f"/v1/documents/{seeded['plain']}/review", headers={"X-API-Key": "ik_nope"})
    assert stranger.status_code == 401


def test_page_images_are_served_to_signed_in_reviewers(app, seeded):
    """Named by their content hash, so the signed-in browser may keep them (never a shared cache);
    signing out tells the browser to drop them."""
    client = TestClient(app)
    sign_in(client)
    packet = client.get(f"/review/packets/{seeded['plain']}").text
    src = re.search(r'<img src="([^"]+/pages/1/image\?v=([0-9a-f]{64}))"', packet)
    image = client.get(src.group(1))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert image.headers["etag"] == f'"{src.group(2)}"'
    again = client.get(src.group(1), headers={"If-None-Match": image.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert client.get(f"/review/packets/{seeded['plain']}/pages/99/image").status_code == 404
    assert "no-store" in client.get(f"/review/packets/{seeded['plain']}").headers["cache-control"]
    signed_out = client.post("/logout", data={"csrf_token": CSRF.search(packet).group(1)}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["clear-site-data"] == '"cache"'


def test_an_action_from_the_page_script_answers_the_review_panel(app, seeded):
    """review.js sends X-Review-Fragment: the answer is the panel alone (no page, no images), with
    the item to focus; a stale action gets 409 and the fresh panel, nothing saved."""
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"
    form = form_of(client, packet)
    answer = client.post(f"{packet}/fields/member_id", data={**form, "action": "confirm"},
                         headers={"X-Review-Fragment": "1"}, follow_redirects=False)
    assert answer.status_code == 200 and answer.headers["x-review-fragment"] == "1"
    assert answer.headers["x-review-focus"].startswith("item-f")
    assert answer.text.lstrip().startswith("<section class=\"review\"") and "<html" not in answer.text
    assert "<img" not in answer.text and "confirmed by rita" in answer.text
    assert f'data-packet-version="{answer.headers["x-packet-version"]}"' in answer.text
    assert "no-store" in answer.headers["cache-control"]
    stale = client.post(f"{packet}/fields/member_id", data={**form, "action": "confirm"},
                        headers={"X-Review-Fragment": "1"}, follow_redirects=False)
    assert stale.status_code == 409 and "nothing was saved" in stale.text and "<html" not in stale.text


def test_admin_pages_are_for_admins(app):
    reviewer, admin = TestClient(app), TestClient(app)
    sign_in(reviewer)
    sign_in(admin, "ada")
    assert reviewer.get("/admin/users").status_code == 403
    assert "rita" in admin.get("/admin/users").text


def test_users_add_command_reads_password_from_stdin(tmp_path, monkeypatch, capsys):
    import argparse
    import io

    monkeypatch.setenv("INTAKE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    args = argparse.Namespace(name="carol", role="admin", password_stdin=True)
    assert add_user_command(args) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert add_user_command(args) == 1
    assert "already exists" in capsys.readouterr().err
    settings = Settings(data_dir=tmp_path)
    from intake.db.session import make_engine, make_sessionmaker
    engine = make_engine(settings.database_url_resolved)
    with session_scope(make_sessionmaker(engine)) as db:
        limits = SignInLimits(settings.sign_in_max_failures, timedelta(minutes=1))
        assert authenticate(db, "carol", "a long enough password", limits).role == "admin"
    engine.dispose()


def test_openapi_lists_the_review_endpoint_not_the_html_pages(app):
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    assert "/v1/documents/{document_id}/review" in paths
    assert not any(p == "/review" or p.startswith(("/review/packets", "/login", "/logout", "/admin"))
                   for p in paths)


def test_the_packet_page_names_the_policy_that_judged_it(app, seeded):
    client = TestClient(app)
    sign_in(client)
    html = client.get(f"/review/packets/{seeded['hostile']}").text
    assert 'class="policy"' in html and "aucatzyl-2025-07, version 2025-07-01" in html


def test_a_reviewer_sends_the_packet_back_to_analysis_under_another_policy(app, seeded):
    from intake.db.models import Document
    from intake.db.review_models import AuditEntry
    from sqlalchemy import select
    client = TestClient(app)
    sign_in(client)
    path = f"/review/packets/{seeded['plain']}"
    refused = client.post(f"{path}/policy", data={"policy": "no-such-policy", **form_of(client, path)})
    assert refused.status_code == 422 and "unknown policy" in refused.text
    moved = client.post(f"{path}/policy", data={"policy": "aucatzyl-2025-07", "reason": "code misread",
                                                **form_of(client, path)}, follow_redirects=False)
    assert moved.status_code == 303
    with session_scope(app.state.sessions) as db:
        document = db.get(Document, seeded["plain"])
        assert document.status == "processing" and document.analysis_requested_at is not None
        assert (document.policy_requested, document.policy_requested_by) == ("aucatzyl-2025-07", "reviewer")
        actions = [e.action for e in db.scalars(select(AuditEntry).where(AuditEntry.document_id == document.id))]
        assert "policy_chosen" in actions
    again = client.post(f"{path}/policy", data={"policy": "aucatzyl-2025-07", **form_of(client, path)})
    assert again.status_code == 422  # no longer ready for review: nothing to re-evaluate twice


def test_page_images_and_the_review_api_are_audited_reads(app, seeded):
    from intake.db.review_models import AuditEntry
    from sqlalchemy import select
    client = TestClient(app)
    sign_in(client)
    assert client.get(f"/review/packets/{seeded['plain']}/pages/1/image").status_code == 200
    assert client.get(f"/v1/documents/{seeded['plain']}/review").status_code == 200
    with session_scope(app.state.sessions) as db:
        reads = [(e.actor, e.action, e.target) for e in db.scalars(
            select(AuditEntry).where(AuditEntry.document_id == seeded["plain"]))]
    assert ("rita", "page_image_viewed", "page 1") in reads and ("rita", "review_read", None) in reads


def test_a_determination_waits_for_every_item_and_one_against_the_evidence_needs_a_note(app, seeded):
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"
    before = client.get(packet).text
    assert "20 items are not reviewed yet</b>: review every item before the determination." in before
    refused = client.post(f"{packet}/determination", data={"outcome": "refer_to_medical_director",
                                                           "note": "physician review", **form_of(client, packet)})
    assert refused.status_code == 422  # whatever the outcome, and a note does not lift it
    assert re.search(r'class="error" role="alert">20 items are not reviewed yet \(0 of 20 reviewed\)\. '
                     r'Review every item before recording a determination', refused.text)
    assert 'value="refer_to_medical_director" required checked' in refused.text  # the choice survives
    as_json = client.post(f"{packet}/determination", headers={"Accept": "application/json"},
                          data={"outcome": "meets_criteria", **form_of(client, packet)})
    assert as_json.status_code == 422 and as_json.json()["error"]["code"] == "review_refused"
    assert as_json.json()["error"]["message"].startswith("20 items are not reviewed yet")

    client.post(f"{packet}/criteria/age_18_or_older", data={
        "action": "override", "status": "not_met", "reason": "born 2010", **form_of(client, packet)})
    client.post(f"{packet}/routine", data=form_of(client, packet))  # the fast path to a full review
    page = client.get(packet).text
    assert "Not met or insufficient: age 18 or older (not met); “meets criteria” needs a note." in page
    assert "not reviewed yet" not in page
    still = client.post(f"{packet}/determination", data={"outcome": "meets_criteria", "note": " ",
                                                          **form_of(client, packet)})
    assert still.status_code == 422 and "age 18 or older (not met)" in still.text
    done = client.post(f"{packet}/determination", follow_redirects=False, data={
        "outcome": "meets_criteria", "note": "pediatric exception approved", **form_of(client, packet)})
    assert done.status_code == 303
    trail = client.get(packet).text.split('id="audit"')[1]
    assert "determination override" in trail and "pediatric exception approved" in trail
    reviewed = client.get(f"/v1/documents/{seeded['plain']}/review").json()
    assert reviewed["determination"]["note"] == "pediatric exception approved"


def test_the_determination_bar_sums_up_the_review_before_submitting(app, seeded):
    """Items reviewed of all, corrections, overrides and what the rules recommend on the reviewed
    values, in the bar next to the outcome, before the reviewer submits."""
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"

    def summary() -> str:
        bar = client.get(packet).text.split('id="determination-check">')[1].split("</p>")[0]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", bar)).strip()

    assert summary() == ("Reviewed 0 of 20 items · 0 corrections · 0 overrides · on the reviewed values the "
                         "rules recommend meets criteria. 20 items are not reviewed yet: review every item "
                         "before the determination.")
    # One day younger: 17 on the treatment date, so the rules no longer recommend meets criteria.
    client.post(f"{packet}/fields/birth_date", data={"action": "correct", "value": "02/25/2008",
                                                     **form_of(client, packet)})
    client.post(f"{packet}/criteria/no_prior_car_t", data={
        "action": "override", "status": "insufficient_evidence", "reason": "history page missing",
        **form_of(client, packet)})
    client.post(f"{packet}/routine", data=form_of(client, packet))
    # The re-evaluated age criterion needs attention, so confirming the routine items left it.
    assert summary() == ("Reviewed 19 of 20 items · 1 correction · 1 override · on the reviewed values the "
                         "rules recommend does not meet criteria. 1 item is not reviewed yet: review every item "
                         "before the determination. Not met or insufficient: age 18 or older "
                         "(not met), no prior car t (insufficient evidence); “meets criteria” needs a note.")
    client.post(f"{packet}/criteria/age_18_or_older", data={"action": "confirm", **form_of(client, packet)})
    assert summary() == ("Reviewed 20 of 20 items · 1 correction · 1 override · on the reviewed values the "
                         "rules recommend does not meet criteria. Not met or insufficient: age 18 or older "
                         "(not met), no prior car t (insufficient evidence); “meets criteria” needs a note.")


def test_a_stale_tab_gets_409_and_the_fresh_values_not_an_overwrite(app, seeded):
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"
    first_tab, second_tab = form_of(client, packet), form_of(client, packet)  # both saw one version
    assert first_tab == second_tab
    saved = client.post(f"{packet}/fields/member_id", follow_redirects=False, data={
        "action": "correct", "value": "CPC743028596", "reason": "digit misread", **first_tab})
    assert saved.status_code == 303
    assert saved.headers["x-packet-version"] == str(int(first_tab["seen_version"]) + 1)
    stale = client.post(f"{packet}/fields/member_id", data={"action": "confirm", **second_tab})
    assert stale.status_code == 409
    assert 'class="error stale" role="alert"' in stale.text and "nothing was saved" in stale.text
    assert '<span class="value" data-role="value">CPC743028596</span>' in stale.text  # the fresh value
    assert f'data-packet-version="{saved.headers["x-packet-version"]}"' in stale.text
    for path, data in ((f"{packet}/criteria/age_18_or_older", {"action": "confirm"}),
                       (f"{packet}/determination", {"outcome": "refer_to_medical_director", "note": "x"}),
                       (f"{packet}/policy", {"policy": "aucatzyl-2025-07"}),
                       (f"{packet}/fields/member_id", {"action": "confirm", "seen_version": ""})):
        assert client.post(path, data={**second_tab, **data}).status_code == 409
    # The same through JSON (a fetch from the page, or any client of the session)
    as_json = {"Accept": "application/json"}
    fresh = client.get(f"/v1/documents/{seeded['plain']}/review")
    version = fresh.json()["version"]
    assert fresh.headers["x-packet-version"] == str(version) == saved.headers["x-packet-version"]
    tab = {"csrf_token": first_tab["csrf_token"], "seen_version": str(version)}
    ok = client.post(f"{packet}/criteria/age_18_or_older", data={"action": "confirm", **tab}, headers=as_json)
    assert ok.status_code == 200 and ok.json()["version"] == version + 1
    again = client.post(f"{packet}/fields/member_id", headers=as_json,
                        data={"action": "correct", "value": "CPC000000000", **tab})
    assert again.status_code == 409 and again.json()["error"]["code"] == "stale_version"
    current = again.json()["current"]
    assert current["version"] == version + 1 and current["fields"]["member_id"]["value"] == "CPC743028596"
    header_only = client.post(f"{packet}/fields/member_id", data={"action": "confirm", "csrf_token": tab["csrf_token"]},
                              headers={**as_json, "X-Packet-Version": str(version + 1)})
    assert header_only.status_code == 200
    with session_scope(app.state.sessions) as db:
        from intake.db.review_models import ReviewerDecision
        from sqlalchemy import select
        member = [(d.action, d.final_value) for d in db.scalars(
            select(ReviewerDecision).where(ReviewerDecision.name == "member_id").order_by(ReviewerDecision.id))]
    assert member == [("corrected", "CPC743028596"), ("corrected", "CPC743028596")]  # never CPC000000000


def test_typed_corrections_in_the_ui_re_run_the_rules(app, seeded):
    client = TestClient(app)
    sign_in(client)
    packet = f"/review/packets/{seeded['plain']}"
    as_json = {"Accept": "application/json"}
    bad = client.post(f"{packet}/fields/birth_date", data={"action": "correct", "value": "02/30/2008",
                                                           **form_of(client, packet)})
    assert bad.status_code == 422 and "no such date (check month and day)" in bad.text
    assert 'value="02/30/2008"' in bad.text  # what was typed stays in the form
    bad_json = client.post(f"{packet}/fields/prior_car_t", headers=as_json,
                           data={"action": "correct", "value": "maybe", **form_of(client, packet)})
    assert bad_json.status_code == 422 and bad_json.json()["error"] == {"code": "invalid_value",
                                                                        "message": "choose yes or no"}
    client.post(f"{packet}/fields/birth_date", data={"action": "correct", "value": "2/25/2008",
                                                     **form_of(client, packet)})
    client.post(f"{packet}/fields/outpatient_appropriate_attested",
                data={"action": "correct", "value": "yes", **form_of(client, packet)})
    page = client.get(packet).text
    assert "re-evaluated on the reviewed values: met → not met — review it again" in page
    assert "On the reviewed values the rules now recommend <b>does not meet criteria</b>" in page
    out = client.get(f"/v1/documents/{seeded['plain']}/review").json()
    assert out["fields"]["birth_date"]["value"] == "2008-02-25"
    assert out["fields"]["outpatient_appropriate_attested"]["value"] is True
    age = next(c for c in out["criteria"] if c["id"] == "age_18_or_older")
    assert (age["extracted_status"], age["status"]) == ("met", "not_met")


def test_a_packet_is_claimed_by_its_reviewer_and_taken_over_only_explicitly(app, seeded):
    """Two reviewers do not work one packet unknowingly: rita's view claims it; ada sees who holds
    it (queue and packet), her actions are refused with rita's name until she takes it over, which
    is audited; from then on rita's actions are refused. The determination ends the claim."""
    rita, ada = TestClient(app), TestClient(app)
    sign_in(rita)
    sign_in(ada, "ada")
    packet = f"/review/packets/{seeded['plain']}"
    rita.get(packet)
    assert "You are working on this packet" in rita.get(packet).text
    queue = ada.get("/review?status=all").text
    assert "claimed by rita" in queue

    ada_page = ada.get(packet).text
    assert "<b>rita</b> is working on this packet" in ada_page and "Take over from rita" in ada_page
    form = form_of(ada, packet)
    refused = ada.post(f"{packet}/fields/member_id", data={**form, "action": "confirm"}, follow_redirects=False)
    assert refused.status_code == 422 and "rita is working on this packet" in refused.text
    assert "field confirmed" not in ada.get(packet).text

    # Taking over names the holder the page showed: a stale name changes nothing.
    wrong = ada.post(f"{packet}/claim", data={"csrf_token": form["csrf_token"], "holder": "nobody"},
                     follow_redirects=False)
    assert wrong.status_code == 422 and "changed since your page was loaded" in wrong.text
    taken = ada.post(f"{packet}/claim", data={"csrf_token": form["csrf_token"], "holder": "rita"},
                     follow_redirects=False)
    assert taken.status_code == 303
    assert ada.post(f"{packet}/fields/member_id", data={**form, "action": "confirm"},
                    follow_redirects=False).status_code == 303
    rita_form = form_of(rita, packet)
    assert "<b>ada</b> is working on this packet" in rita.get(packet).text
    assert rita.post(f"{packet}/fields/patient_name", data={**rita_form, "action": "confirm"},
                     follow_redirects=False).status_code == 422

    with app.state.sessions() as db:
        from intake.review import audit
        trail = [(e.action, e.actor, e.old_value, e.new_value) for e in audit.trail(db, seeded["plain"])]
    assert ("claim taken over", "ada", "rita", "ada") in trail
    assert [a for a, actor, *_ in trail if a == "claimed"] == ["claimed"]  # rita's first view only

    ada.post(f"{packet}/routine", data=form_of(ada, packet))  # every item reviewed before the call
    decided = ada.post(f"{packet}/determination", data={**form_of(ada, packet), "outcome": "refer_to_medical_director",
                                                         "note": "physician review"}, follow_redirects=False)
    assert decided.status_code == 303
    assert "claimed by" not in ada.get("/review?status=all").text


def test_an_expired_claim_is_nobodys(app, seeded):
    from datetime import datetime, timezone

    from intake.db.models import Document
    from intake.review import claims

    now = datetime.now(timezone.utc)
    with app.state.sessions() as db:
        document = db.get(Document, seeded["plain"])
        assert claims.claim(db, document, "rita", now, 30).holder == "rita"
        assert claims.claim(db, document, "ada", now + timedelta(minutes=10), 30).holder == "rita"
        later = now + timedelta(minutes=31)
        assert claims.live_claim(document, later) is None
        assert claims.claim(db, document, "ada", later, 30).holder == "ada"
        db.commit()
