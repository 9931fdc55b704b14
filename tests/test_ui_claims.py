"""Claims in real headless Chromium against a real uvicorn process: two reviewers never work one
packet unknowingly. Rita opens a packet and holds it; Ada sees "claimed by rita" in the queue and
on the packet, her action is refused with rita's name and nothing is saved, and she takes the
packet over only by pressing "Take over from rita" (audited); then rita is the one refused. The
claimed-by-another page passes axe-core with no critical or serious violation.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from review_seed import add_user, extracted_packet, seed_document, seedable_data_dir
from test_ui_browser import browser, sign_in, uvicorn_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("review-claims")
    with seedable_data_dir(data_dir) as (sessions, store, key_id):
        packet = seed_document(sessions, store, key_id, extracted_packet(), received_ago=timedelta(hours=2),
                               source="fax-claimed.pdf")
        add_user(sessions, "rita")
        add_user(sessions, "ada")
    with uvicorn_server(data_dir) as base:
        yield {"base": base, "packet": packet}


@pytest.fixture
def reviewers(browser):  # noqa: F811 - the fixture imported above
    """One browser context (own cookies) per reviewer."""
    contexts = [browser.new_context(viewport={"width": 1280, "height": 720}) for _ in range(2)]
    tabs = [context.new_page() for context in contexts]
    for tab in tabs:
        tab.set_default_timeout(15_000)
    yield tabs
    for context in contexts:
        context.close()


def first_field(tab):
    return tab.locator("article.field").first


def confirm_first_field(tab):
    with tab.expect_response(lambda r: r.request.method == "POST") as answer:
        first_field(tab).locator("form.confirm button").click()
    return answer.value


def test_reviewer_b_sees_the_claim_is_refused_and_takes_over_explicitly(reviewers, site):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    base, path = site["base"], f"/review/packets/{site['packet']}"
    rita, ada = reviewers
    sign_in(rita, base, path)  # opening the packet claims it
    assert "You are working on this packet" in rita.locator("#claim").inner_text()

    sign_in(ada, base, "/review", name="ada")
    row = ada.locator("tr.queue-row", has_text="fax-claimed.pdf")
    assert "claimed by rita" in row.inner_text()
    ada.goto(base + path)
    claim = ada.locator("#claim")
    assert "rita is working on this packet" in claim.inner_text()
    take_over = claim.locator("form.take-over button")
    assert take_over.inner_text() == "Take over from rita"

    # The claimed-by-another state passes axe-core (edit forms open as well).
    ada.evaluate("document.querySelectorAll('details.edit').forEach(d => { d.open = true; })")
    serious = [(v["id"], v["impact"]) for v in Axe().run(ada).response["violations"]
               if v["impact"] in ("critical", "serious")]
    assert serious == []

    # Ada's action is refused with rita's name; nothing is saved.
    refused = confirm_first_field(ada)
    assert refused.status == 422
    alert = first_field(ada).locator("p.error[role=alert]")
    expect(alert).to_contain_text("rita is working on this packet")
    assert "nothing was saved" in alert.inner_text()
    assert "confirmed by" not in first_field(ada).inner_text()

    # Only the explicit take-over moves the claim; it is audited.
    take_over.click()
    expect(ada.locator("#claim")).to_contain_text("You are working on this packet")
    assert "claim taken over" in ada.locator("#audit").inner_text()
    saved = confirm_first_field(ada)
    assert saved.status == 200
    expect(first_field(ada)).to_contain_text("confirmed by ada")

    # Rita's page still shows her old claim; her next action is refused, naming ada.
    refused = confirm_first_field(rita)
    assert refused.status == 422  # the claim is checked before the version
    expect(rita.locator("#claim")).to_contain_text("ada is working on this packet")
    assert rita.locator("#claim form.take-over button").inner_text() == "Take over from ada"
