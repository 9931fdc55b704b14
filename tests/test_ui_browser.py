"""A reviewer's session in real headless Chromium against a real uvicorn server process.

Packets are seeded through the service's DB layer and blob store (no workers). The screenshots in
docs/ come from scripts/screenshots.py, which runs the same way.
"""
from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from review_seed import (PASSWORD, SCRIPT_TEXT, add_user, extracted_packet, seed_document, seedable_data_dir,
                         with_markup, with_misfiled_and_blank_pages)
from review_server import CHROMIUM, CHROMIUM_ARGS, uvicorn_server

pytestmark = pytest.mark.browser

UI_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("review-ui")
    packet = extracted_packet()
    with seedable_data_dir(data_dir) as (sessions, store, key_id):
        oldest = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=30),
                               source="fax-0001-aucatzyl.pdf")
        newer = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=2),
                              source="fax-0002-aucatzyl.pdf")
        hostile = seed_document(sessions, store, key_id, packet, with_markup(packet.result),
                                received_ago=timedelta(hours=1), source="fax-0003-markup.pdf")
        two_tabs = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=1),
                                 source="fax-0004-two-tabs.pdf")
        routine = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=1),
                                source="fax-0005-routine.pdf")
        undecided = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=1),
                                  source="fax-0006-undecided.pdf")
        age = seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=1),
                            source="fax-0007-age.pdf")
        flagged, misfiled, blank = with_misfiled_and_blank_pages(packet.result)
        integrity = seed_document(sessions, store, key_id, packet, flagged, received_ago=timedelta(hours=1),
                                  source="fax-0008-misfiled.pdf")
        add_user(sessions, "rita")

    with uvicorn_server(data_dir) as base:
        yield {"base": base, "oldest": oldest, "newer": newer, "hostile": hostile, "two_tabs": two_tabs,
               "routine": routine, "undecided": undecided, "age": age, "integrity": integrity,
               "misfiled_page": misfiled, "blank_page": blank}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    yield page
    context.close()


def sign_in(page, base: str, target: str = "/review", name: str = "rita") -> None:
    page.goto(base + target)
    assert "/login" in page.url  # signed-out visitors are sent to sign in
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{target}")


def test_reviewer_corrects_overrides_and_decides(page, site):
    from playwright.sync_api import expect

    base = site["base"]
    sign_in(page, base)

    # The oldest packet (expedited on its form, received 30 h ago) is first and overdue.
    first = page.locator("tr.queue-row").first
    assert "fax-0001-aucatzyl.pdf" in first.inner_text()
    assert "overdue" in first.locator(".flag.overdue").inner_text().lower()
    assert first.locator(".flag.expedited").count() == 1
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/review/packets/{site['oldest']}")

    # Evidence for the birth date: clicking it highlights its box on the page image.
    birth = page.locator("article.field", has=page.locator(".name", has_text="birth date"))
    link = birth.locator("a.evidence").first
    key = link.get_attribute("data-ev")
    box = page.locator(f"#box-{key}")
    assert "active" not in (box.get_attribute("class") or "")
    link.click()
    assert "active" in box.get_attribute("class")
    box_area, image_area = box.bounding_box(), box.locator("xpath=..").locator("img").bounding_box()
    assert box_area["width"] > 5 and box_area["height"] > 3
    assert image_area["x"] <= box_area["x"] and box_area["x"] + box_area["width"] <= image_area["x"] + image_area["width"]
    assert page.evaluate("document.querySelector('.sheet img').naturalWidth") > 0  # image served
    # Every action below is sent in place: the page is never loaded again, nor are its images.
    page.evaluate("window.sameDocument = true")
    fetched = []
    page.on("request", lambda r: fetched.append(r) if r.resource_type in ("document", "image") else None)

    # Correct the birth date with the keyboard: focus the field, e, type, Enter.
    birth.focus()
    page.keyboard.press("e")
    date_input = birth.locator("input[name=value]")
    assert date_input.evaluate("el => el === document.activeElement")
    date_input.fill("1970-02-24")
    birth.locator("input[name=reason]").fill("date on the request form")
    date_input.press("Enter")
    birth = page.locator("article.field", has=page.locator(".name", has_text="birth date"))
    expect(birth.locator("[data-role=value]")).to_have_text("1970-02-24")
    assert "corrected by rita" in birth.inner_text()

    # Override a criterion; the reason is mandatory.
    criterion = page.locator("article.criterion").first
    criterion.locator("summary").click()
    current = criterion.locator("[data-role=status]").inner_text()
    new_status = "insufficient evidence" if current != "insufficient evidence" else "not met"
    criterion.locator("select[name=status]").select_option(label=new_status)
    criterion.locator("textarea[name=reason]").fill("pathology report is for a different date")
    criterion.locator("form.override button[type=submit]").click()
    criterion = page.locator("article.criterion").first
    expect(criterion.locator("[data-role=status]")).to_have_text(new_status)
    assert "overridden by rita" in criterion.inner_text()

    # Every item is reviewed before a determination: the rest are routine, confirmed at once.
    page.locator("form.routine button").click()
    expect(page.locator("#determination-check .summary")).to_contain_text("Reviewed 20 of 20 items · 1 correction · 1 override")

    # Determination: refer to the medical director (there is no denial to choose).
    assert page.locator("form.determination input[value=deny]").count() == 0
    page.check("form.determination input[value=refer_to_medical_director]")
    page.fill("form.determination textarea[name=note]", "age and prior therapy need a physician")
    page.click("form.determination button[type=submit]")
    assert "Refer to medical director" in page.locator(".determination-done").inner_text()
    assert "reviewed" in page.locator(".packet-head").inner_text()
    assert page.evaluate("window.sameDocument") and fetched == []

    trail = page.locator("#audit tbody").inner_text()
    assert "viewed" in trail
    assert "field corrected" in trail and "1970-02-24" in trail and "date on the request form" in trail
    assert "criterion overridden" in trail and "pathology report is for a different date" in trail
    assert "determination" in trail and "refer_to_medical_director" in trail


def test_packet_markup_renders_as_text(page, site):
    sign_in(page, site["base"], f"/review/packets/{site['hostile']}")
    name = page.locator("article.field", has=page.locator(".name", has_text="patient name"))
    assert SCRIPT_TEXT in name.locator("[data-role=value]").inner_text()
    assert SCRIPT_TEXT in name.locator("a.evidence").first.inner_text()
    assert page.title() != "pwned"
    assert page.locator("script:not([src])").count() == 0
    assert page.locator("img[src=x]").count() == 0


def test_form_without_csrf_token_is_refused(page, site):
    base = site["base"]
    sign_in(page, base, f"/review/packets/{site['newer']}")
    birth = page.locator("article.field", has=page.locator(".name", has_text="birth date"))
    birth.locator("form.correct input[name=csrf_token]").evaluate("el => el.remove()")
    birth.locator("summary").click()
    birth.locator("input[name=value]").fill("1999-01-01")
    # The in-place send is refused, so the page falls back to an ordinary form submission; wait for
    # that navigation to land before leaving the page, or the next goto aborts it (or is aborted).
    with page.expect_response(
            lambda r: r.request.method == "POST" and r.request.is_navigation_request()) as answer:
        birth.locator("form.correct button[type=submit]").click()
    assert answer.value.status == 403
    # The response is in before the navigation commits: wait for the refusal page itself to load.
    page.wait_for_url(answer.value.url)
    page.goto(f"{base}/review/packets/{site['newer']}")
    assert "field corrected" not in page.locator("#audit").inner_text()


def test_signed_out_page_image_is_refused(site):
    response = httpx.get(f"{site['base']}/review/packets/{site['oldest']}/pages/1/image")
    assert response.status_code == 401
    assert not response.content.startswith(b"\x89PNG")


def test_keyboard_moves_between_items_and_confirms(page, site):
    sign_in(page, site["base"], f"/review/packets/{site['newer']}")
    assert "j" in page.locator("footer.keys").inner_text()  # hints are visible
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator("article.review-item").nth(1)
    assert second.evaluate("el => el === document.activeElement")
    page.keyboard.press("k")
    first = page.locator("article.review-item").first
    assert first.evaluate("el => el === document.activeElement")
    page.keyboard.press("c")
    page.wait_for_url("**#item-f0")
    first = page.locator("article.review-item").first
    assert "confirmed by rita" in first.inner_text()
    assert first.evaluate("el => el === document.activeElement")  # focus comes back to the item
    page.keyboard.press("v")
    key = first.locator("a.evidence").first.get_attribute("data-ev")
    assert "active" in page.locator(f"#box-{key}").get_attribute("class")


def test_a_stale_second_tab_gets_409_and_the_fresh_value(page, site):
    path = f"{site['base']}/review/packets/{site['two_tabs']}"
    sign_in(page, site["base"], path.removeprefix(site["base"]))
    second = page.context.new_page()
    second.goto(path)  # both tabs show the same version of the packet

    def member_id(tab):
        return tab.locator("article.field", has=tab.locator(".name", has_text="member id"))

    member_id(page).locator("summary").click()
    member_id(page).locator("input[name=value]").fill("CPC743028596")
    with page.expect_response(lambda r: r.request.method == "POST") as saved:
        member_id(page).locator("form.correct button[type=submit]").click()
    assert saved.value.status == 200  # the review panel, swapped in place
    with second.expect_response(lambda r: r.request.method == "POST") as stale:
        member_id(second).locator("form.confirm button[type=submit]").click()
    assert stale.value.status == 409
    assert "nothing was saved" in second.locator("#stale").inner_text()
    assert member_id(second).locator("[data-role=value]").inner_text() == "CPC743028596"
    assert "confirmed by" not in member_id(second).inner_text()


def test_a_packet_whose_items_are_all_routine_takes_three_reviewer_actions(page, site):
    """Exceptions first: nothing in this packet needs attention, so a reviewer confirms all routine
    items at once, chooses the determination and records it; every action is counted."""
    from playwright.sync_api import expect

    base, packet = site["base"], site["routine"]
    sign_in(page, base, f"/review/packets/{packet}")
    assert "No item is waiting for attention" in page.locator("#exceptions").inner_text()
    routine = page.locator("form.routine button")
    expect(routine).to_be_focused()  # the page opens on it
    actions = 0

    def act(locator, how: str = "click") -> None:
        nonlocal actions
        actions += 1
        getattr(locator, how)()

    act(routine)
    page.wait_for_url(f"**/review/packets/{packet}#outcome-meets_criteria")
    expect(page.locator("form.determination input[value=meets_criteria]")).to_be_focused()
    assert "Reviewed 20 of 20 items" in page.locator("#determination-check").inner_text()
    act(page.locator("form.determination input[value=meets_criteria]"), "check")
    act(page.locator("form.determination button[type=submit]"))
    page.wait_for_selector(".determination-done")
    assert actions == 3
    assert "Meets criteria" in page.locator(".determination-done").inner_text()
    trail = page.locator("#audit tbody").inner_text()
    assert trail.count("field confirmed") == 15 and trail.count("criterion confirmed") == 5
    assert "determination override" not in trail  # it matched the evidence: no note needed


def test_a_determination_with_items_undecided_is_refused(page, site):
    from playwright.sync_api import expect

    base, packet = site["base"], site["undecided"]
    sign_in(page, base, f"/review/packets/{packet}")
    page.locator("article.field").first.locator("form.confirm button").click()
    expect(page.locator("article.field").first).to_contain_text("confirmed by rita")
    check = page.locator("#determination-check")
    assert "19 items are not reviewed yet" in check.inner_text()  # said before submitting
    page.check("form.determination input[value=refer_to_medical_director]")
    page.fill("#determination-note", "a note does not stand in for the review")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("form.determination button[type=submit]")
    assert answer.value.status == 422
    alert = page.locator("#determination p.error[role=alert]")
    expect(alert).to_contain_text("19 items are not reviewed yet (1 of 20 reviewed)")
    assert page.locator(".determination-done").count() == 0
    assert page.locator("form.determination input[value=refer_to_medical_director]").is_checked()
    assert page.locator("#determination-note").input_value() == "a note does not stand in for the review"
    assert "determination" not in page.locator("#audit tbody").inner_text()
    assert "ready for review" in page.locator(".packet-head").inner_text()


def test_a_misfiled_page_and_a_blank_page_are_flagged_on_the_page_and_in_the_queue(page, site):
    base, packet = site["base"], site["integrity"]
    misfiled, blank = site["misfiled_page"], site["blank_page"]
    sign_in(page, base)
    row = page.locator(f"tr.queue-row[data-href='/review/packets/{packet}']")
    assert row.locator(".flag.page-problem").inner_text() == "2 flagged pages"
    row.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/review/packets/{packet}")
    captions = {n: page.locator(f"#page-{n} figcaption").inner_text() for n in (misfiled, blank)}
    assert "this page belongs to another patient" in captions[misfiled]
    assert "this page is blank" in captions[blank]
    flagged = page.locator("figure.page", has=page.locator(".flag.page-problem"))
    assert sorted(flagged.evaluate_all("pages => pages.map(p => p.id)")) == sorted(
        [f"page-{misfiled}", f"page-{blank}"])
    name = page.locator("article.field", has=page.locator(".name", has_text="patient name"))
    assert name.locator(".flag.attention").count() == 1
    assert f"evidence on page {misfiled}, which belongs to another patient" in name.inner_text()


def test_a_corrected_birth_date_re_evaluates_the_age_criterion(page, site):
    from playwright.sync_api import expect

    base, packet = site["base"], site["age"]
    sign_in(page, base, f"/review/packets/{packet}")
    age = page.locator("article.criterion", has=page.locator(".name", has_text="age 18 or older"))
    expect(age.locator("[data-role=status]")).to_have_text("met")
    birth = page.locator("article.field", has=page.locator(".name", has_text="birth date"))
    birth.locator("summary").click()
    birth.locator("input[name=value]").fill("02/25/2008")  # one day younger: 17 on the treatment date
    birth.locator("form.correct button[type=submit]").click()
    expect(birth.locator("[data-role=value]")).to_have_text("2008-02-25")
    # No page is read again: the rules re-run on the reviewed values, in place.
    expect(age.locator("[data-role=status]")).to_have_text("not met")
    expect(age.locator("p.reevaluated")).to_have_text("re-evaluated on the reviewed values: met → not met"
                                                       " — review it again")
    assert age.locator(".flag.attention").count() == 1
    expect(page.locator("#determination-check .summary")).to_contain_text(
        "on the reviewed values the rules recommend does not meet criteria")
    assert "criterion reevaluated" in page.locator("#audit tbody").inner_text()
