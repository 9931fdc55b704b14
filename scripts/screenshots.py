"""Render the README's screenshots (docs/queue.png, docs/packet.png, docs/dashboard.png) from a
seeded service in headless Chromium.

Synthetic packets are seeded straight into a fresh data folder (as the browser tests do, no
workers), a real uvicorn process serves it, and a reviewer works through it in Chromium at
1280x720: one packet reviewed and decided (so the dashboard and the team view have figures), then
the queue, a packet needing attention with an evidence box highlighted, and the dashboard.

    .venv/bin/python scripts/screenshots.py [--out docs] [--chromium /usr/bin/chromium]
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the seeding and server helpers the browser tests use

from sqlalchemy import select  # noqa: E402

from intake.db.models import Document  # noqa: E402
from intake.db.session import session_scope  # noqa: E402
from review_seed import (PASSWORD, add_user, extracted_packet, seed_document, seedable_data_dir,  # noqa: E402
                         with_exceptions)
from review_server import CHROMIUM, CHROMIUM_ARGS, uvicorn_server  # noqa: E402

VIEWPORT = {"width": 1280, "height": 720}  # the smallest screen the review layout is made for
REVIEWER = "rita"
UI_TIMEOUT_MS = 30_000
# (source file name, hours since receipt, expedited at upload, synthetic member name and ID)
PACKETS = [
    ("fax-0101-aucatzyl.pdf", 30, False, "Avery Quinlan", "CPC743028596"),
    ("fax-0102-aucatzyl.pdf", 20, True, "Morgan Ellery", "CPC512230871"),
    ("fax-0103-aucatzyl.pdf", 50, False, "Jordan Pike", "CPC908112346"),
    ("fax-0104-aucatzyl.pdf", 6, False, "Rowan Castellanos", "CPC330019275"),
    ("fax-0105-aucatzyl.pdf", 2, False, "Emery Sato", "CPC118872034"),
]
READ_MINUTES = [timedelta(minutes=m) for m in (3, 5, 4, 7, 6)]  # upload to ready for review


def _for_member(result: dict[str, Any], name: str, member_id: str) -> dict[str, Any]:
    """The seeded result as if read for another (synthetic) member: the values the queue lists,
    and the evidence quoting them (else the packet view shows "Ulrike Tanaka" next to quotes of
    "TANAKA, ULRIKE"), in the forms the page prints them: "Last, First" in capitals, the ID."""
    renamed = copy.deepcopy(result)
    fields = renamed["fields"]
    old_name, old_id = fields["patient_name"]["value"], fields["member_id"]["value"]
    (old_first, old_last), (first, last) = old_name.split(" ", 1), name.split(" ", 1)
    quoted = {f"{old_last}, {old_first}".upper(): f"{last}, {first}".upper(), old_name: name, old_id: member_id}
    for item in [*fields.values(), *renamed["criteria"]]:
        for evidence in item["evidence"]:
            for old, new in quoted.items():
                evidence["text"] = evidence["text"].replace(old, new)
    fields["patient_name"]["value"], fields["member_id"]["value"] = name, member_id
    return renamed


def seed(data_dir: Path) -> list[str]:
    """The packets of PACKETS (the first with items needing attention) and the reviewer; their ids."""
    packet = extracted_packet()
    ids = []
    with seedable_data_dir(data_dir) as (sessions, store, key_id):
        for position, (source, hours, expedited, name, member_id) in enumerate(PACKETS):
            result = _for_member(packet.result, name, member_id)
            if position == 0:
                result = with_exceptions(result)
            ids.append(seed_document(sessions, store, key_id, packet, result, received_ago=timedelta(hours=hours),
                                     expedited=expedited, source=source))
        with session_scope(sessions) as db:  # read in minutes, as workers would, not at seeding time
            for position, document in enumerate(db.scalars(select(Document).where(Document.id.in_(ids)))):
                document.finished_at = document.received_at + READ_MINUTES[position % len(READ_MINUTES)]
        add_user(sessions, REVIEWER)
    return ids


def render(base: str, ids: list[str], out: Path, chromium_path: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    attention, decided = ids[0], ids[2]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(base + "/login")
        page.fill("input[name=name]", REVIEWER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/review")

        # One packet reviewed and decided: a corrected birth date, the rest confirmed at once.
        page.goto(f"{base}/review/packets/{decided}")
        birth = page.locator("article.field", has=page.locator(".name", has_text="birth date"))
        birth.locator("summary").click()
        birth.locator("input[name=value]").fill("02/24/1970")
        birth.locator("input[name=reason]").fill("date on the request form")
        birth.locator("form.correct button[type=submit]").click()
        page.wait_for_selector("article.field .decided.corrected")
        page.locator("form.routine button").click()
        page.wait_for_url("**#outcome-meets_criteria")
        page.check("form.determination input[value=meets_criteria]")
        page.click("form.determination button[type=submit]")
        page.wait_for_selector("#next-packet")

        written = []
        page.goto(base + "/review")
        written.append(out / "queue.png")
        page.screenshot(path=str(written[-1]))

        page.goto(f"{base}/review/packets/{attention}")
        member = page.locator("article.field", has=page.locator(".name", has_text="member id"))
        member.focus()
        member.locator("a.evidence").first.click()
        page.wait_for_timeout(300)  # the page column's smooth scroll to the box
        written.append(out / "packet.png")
        page.screenshot(path=str(written[-1]))

        page.goto(base + "/review/metrics")
        written.append(out / "dashboard.png")
        page.screenshot(path=str(written[-1]), full_page=True)
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="folder for the PNGs (default docs/)")
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="intake-screenshots-") as folder:
        data_dir = Path(folder)
        ids = seed(data_dir)
        with uvicorn_server(data_dir) as base:
            for path in render(base, ids, args.out, args.chromium):
                print(path.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
