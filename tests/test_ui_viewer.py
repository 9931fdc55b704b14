"""The page viewer and the packet layout in real headless Chromium against a real uvicorn process:
zoom, fit to width, rotation and panning keep every evidence box on its words (its bounding box is
where the word is on the turned, scaled image, and the pixels inside it are ink); the active
highlight outlines its words without covering them; at 1280x720 the fields and the page sit side by
side with the determination always in view; after a determination, "next packet" leads to the next
open packet in the queue's order that no other reviewer holds.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from review_seed import add_user, extracted_packet, seed_document, seedable_data_dir
from test_ui_browser import browser, page, sign_in, uvicorn_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

SMALL_SCREEN = {"width": 1280, "height": 720}
ALIGNMENT_TOLERANCE_PX = 1.0
INK_SHARE_MIN = 0.03  # share of near-black pixels inside a word's box (none on blank paper)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Every seeded packet is expedited on its form, so the queue's order is the order of receipt:
    held (claimed by ada), next, viewer, decide."""
    data_dir = tmp_path_factory.mktemp("review-viewer")
    packet = extracted_packet()
    with seedable_data_dir(data_dir) as (sessions, store, key_id):
        ids = {name: seed_document(sessions, store, key_id, packet, received_ago=timedelta(hours=hours),
                                   source=f"fax-{name}.pdf")
               for name, hours in (("held", 40), ("next", 30), ("viewer", 3), ("decide", 2))}
        add_user(sessions, "rita")
        add_user(sessions, "ada")
    with uvicorn_server(data_dir) as base:
        yield {"base": base, **ids}


@pytest.fixture
def small_page(browser):  # noqa: F811 - the fixture imported above
    context = browser.new_context(viewport=SMALL_SCREEN)
    small = context.new_page()
    small.set_default_timeout(15_000)
    yield small
    context.close()


def expected_box(image: dict, fractions: dict, turn: int) -> dict:
    """Where a box given as fractions of the upright page must be, on the image as shown turned
    `turn` degrees clockwise (`image`: the turned image's bounding box on screen)."""
    left, top, width, height = fractions["left"], fractions["top"], fractions["width"], fractions["height"]
    if turn == 90:
        left, top, width, height = 1 - top - height, left, height, width
    elif turn == 180:
        left, top = 1 - left - width, 1 - top - height
    elif turn == 270:
        left, top, width, height = top, 1 - left - width, height, width
    return {"x": image["x"] + left * image["width"], "y": image["y"] + top * image["height"],
            "width": width * image["width"], "height": height * image["height"]}


def ink_share(page, area: dict) -> float:  # noqa: F811
    from PIL import Image

    grey = Image.open(io.BytesIO(page.screenshot(clip=area))).convert("L")
    counts = grey.histogram()
    return sum(counts[:100]) / sum(counts)  # near-black: printed text, not the blue box outlines


def assert_on_its_word(page, box, turn: int) -> None:  # noqa: F811
    box.scroll_into_view_if_needed()
    fractions = {name: float(box.get_attribute(f"data-{name}")) / 100 for name in ("left", "top", "width", "height")}
    image = box.locator("xpath=..").locator("img").bounding_box()
    shown, expected = box.bounding_box(), expected_box(image, fractions, turn)
    off = {side: round(abs(shown[side] - expected[side]), 2) for side in shown
           if abs(shown[side] - expected[side]) > ALIGNMENT_TOLERANCE_PX}
    assert off == {}, (turn, shown, expected)
    assert ink_share(page, shown) >= INK_SHARE_MIN  # the box is on printed words, not paper


def test_zoom_and_rotation_keep_the_highlight_on_its_word(small_page, site):
    page = small_page
    sign_in(page, site["base"], f"/review/packets/{site['viewer']}")
    pages = page.locator("#pages")
    birth = page.locator("article.field", has=page.locator(".name", has_text="birth date"))
    link = birth.locator("a.evidence:not(.nobox)").first
    link.click()
    box = page.locator(f"#box-{link.get_attribute('data-ev')}")
    assert "active" in box.get_attribute("class")
    # The highlight outlines its words: nothing is painted over them.
    style = box.evaluate("el => { const s = getComputedStyle(el); return [s.backgroundColor, s.outlineStyle, "
                         "parseFloat(s.outlineWidth), parseFloat(s.outlineOffset), parseFloat(s.borderTopWidth)]; }")
    assert style[0] == "rgba(0, 0, 0, 0)" and style[1] == "solid" and style[2] >= 2 and style[3] > 0 and style[4] == 0
    assert_on_its_word(page, box, 0)
    column = pages.bounding_box()["width"]

    # Buttons: zoom in twice (125%, 150%), turn right; keyboard: turn right again, zoom, turn left.
    page.click("button[data-view=zoom-in]")
    page.click("button[data-view=zoom-in]")
    assert pages.get_attribute("data-zoom") == "1.5"
    assert page.locator("#zoom-level").inner_text() == "150%"
    assert_on_its_word(page, box, 0)
    sheet = box.locator("xpath=..")
    assert sheet.bounding_box()["width"] > column * 1.3  # wider than the column: pannable
    page.click("button[data-view=rotate-right]")
    assert pages.get_attribute("data-turn") == "90"
    assert_on_its_word(page, box, 90)
    pages.focus()
    page.keyboard.press("]")
    assert pages.get_attribute("data-turn") == "180"
    assert_on_its_word(page, box, 180)
    page.keyboard.press("+")
    assert pages.get_attribute("data-zoom") == "2"
    page.keyboard.press("[")
    page.keyboard.press("[")
    page.keyboard.press("[")
    assert pages.get_attribute("data-turn") == "270"
    assert_on_its_word(page, box, 270)
    page.keyboard.press("-")
    assert pages.get_attribute("data-zoom") == "1.5"
    assert_on_its_word(page, box, 270)

    # Fit to width: the turned page is as wide as the column again, and still aligned.
    page.keyboard.press("0")
    assert pages.get_attribute("data-zoom") == "1"
    image = sheet.locator("img").bounding_box()
    room = pages.evaluate("el => el.clientWidth - parseFloat(getComputedStyle(el).paddingRight)")
    assert abs(image["width"] - room) < 1.5
    assert_on_its_word(page, box, 270)
    page.click("button[data-view=rotate-left]")
    page.click("button[data-view=rotate-right]")
    page.click("button[data-view=fit]")
    assert pages.get_attribute("data-turn") == "270"


def test_a_zoomed_page_pans_by_dragging_and_scrolling(small_page, site):
    page = small_page
    sign_in(page, site["base"], f"/review/packets/{site['viewer']}")
    pages = page.locator("#pages")
    page.click("button[data-view=zoom-in]")
    page.click("button[data-view=zoom-in]")
    page.click("button[data-view=zoom-in]")
    assert pages.evaluate("el => el.scrollWidth > el.clientWidth")
    start = pages.evaluate("el => [el.scrollLeft, el.scrollTop]")
    area = pages.bounding_box()
    x, y = area["x"] + area["width"] / 2, area["y"] + area["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 120, y - 80, steps=6)
    page.mouse.up()
    moved = pages.evaluate("el => [el.scrollLeft, el.scrollTop]")
    assert moved[0] > start[0] + 100 and moved[1] > start[1] + 60  # the page followed the mouse
    assert page.locator(".box.active").count() == 0  # a drag is not a click on a box
    page.mouse.wheel(-200, 0)  # scrolling pans too
    page.wait_for_function("([el, left]) => el.scrollLeft < left", arg=[pages.element_handle(), moved[0]])


def test_at_1280x720_fields_and_page_sit_side_by_side_with_the_determination_in_view(small_page, site):
    page = small_page
    sign_in(page, site["base"], f"/review/packets/{site['viewer']}")
    pages, review = page.locator("#pages").bounding_box(), page.locator("#review").bounding_box()
    assert pages["x"] + pages["width"] <= review["x"] and abs(pages["y"] - review["y"]) < 60
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_SCREEN["width"]
    footer_top = page.locator("footer.keys").bounding_box()["y"]
    bar = page.locator("#determination")
    record = page.locator("form.determination button[type=submit]")
    for _ in range(6):  # wherever the reviewer is in the items, the determination stays in view
        bar_area, record_area = bar.bounding_box(), record.bounding_box()
        assert bar_area["y"] >= review["y"] and record_area["y"] + record_area["height"] <= footer_top
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("j")
    focused = page.evaluate("document.activeElement.getBoundingClientRect().bottom")
    assert focused <= bar.bounding_box()["y"] + 1  # the focused item is not hidden under the bar


def test_after_a_determination_next_packet_leads_on_in_queue_order(browser, small_page, site):  # noqa: F811
    base = site["base"]
    other = browser.new_context(viewport=SMALL_SCREEN).new_page()
    sign_in(other, base, f"/review/packets/{site['held']}", name="ada")  # ada holds the most urgent one
    other.context.close()

    page = small_page
    sign_in(page, base, f"/review/packets/{site['decide']}")
    page.keyboard.press("r")
    page.wait_for_url("**#outcome-meets_criteria")
    page.keyboard.press("Space")
    page.keyboard.press("d")
    page.locator("form.determination button[type=submit]").click()
    nxt = page.locator("#next-packet")
    nxt.wait_for()
    assert nxt.evaluate("el => el === document.activeElement")  # where the keyboard goes on from
    assert nxt.get_attribute("href") == f"/review/packets/{site['next']}"  # not ada's, not itself
    assert "fax-next.pdf" in nxt.inner_text()
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/review/packets/{site['next']}")
