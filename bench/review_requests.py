"""Requests and bytes for one full review of a samples/ packet, in real headless Chromium.

A real `intake serve` (2 workers) reads the packet; a reviewer signs in, opens it, confirms every
item one by one (the issue's way of counting: one action per item) and records a determination.
The browser's own network log (Chrome DevTools Protocol) counts every request that reached the
network and the bytes it received, from opening the packet to the recorded determination.

Baseline in the same run, on the same server and packet: the page as it behaved before actions
were sent in place, i.e. review.js without its submit handler (every action posts the form and
reloads the page) and no HTTP cache (as with the old `no-store` page images). The target (issue
11) is at most a third of the baseline in both requests and bytes.

    .venv/bin/python bench/review_requests.py [samples/eval-001.pdf] [--chromium /usr/bin/chromium]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_process import running_service  # noqa: E402

from intake.db.models import DECIDED_STATUSES, DocumentStatus  # noqa: E402
from intake.db.session import make_engine, make_sessionmaker, session_scope  # noqa: E402
from intake.review.accounts import create_user  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "review_requests.json"
REVIEWER, PASSWORD = "bench-reviewer", "bench reviewer password"
READY_TIMEOUT_S = 300
UI_TIMEOUT_MS = 30_000
SUBMIT_HANDLER = 'document.addEventListener("submit", sendInPlace);'  # what the baseline leaves out
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class Traffic:
    requests: int = 0  # requests that went to the network (not answered from the browser's cache)
    bytes: int = 0  # bytes received for them, headers included (encodedDataLength)
    actions: int = 0  # reviewer actions sent
    seconds: float = 0.0


def _upload_and_wait(base: str, key: str, packet: Path, copy: str) -> str:
    """The service takes the same bytes twice as one document: each copy gets a trailing comment
    line (after %%EOF a PDF reader ignores it, as a TIFF reader ignores bytes after its IFDs)."""
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
        data = packet.read_bytes() + f"\n% {copy}\n".encode()
        answer = client.post("/v1/documents", files={"file": (packet.name, data)})
        answer.raise_for_status()
        document_id = answer.json()["id"]
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            status = client.get(f"/v1/documents/{document_id}").json()["status"]
            if status == DocumentStatus.READY_FOR_REVIEW:
                return document_id
            if status in DECIDED_STATUSES:
                raise RuntimeError(f"packet {packet.name} ended {status}")
            time.sleep(1)
    raise RuntimeError("packet not ready for review in time")


def _count_network(page, traffic: Traffic) -> None:
    """Counts from the browser's network log: a request answered from the HTTP cache is not one."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    from_cache: set[str] = set()
    cdp.on("Network.requestServedFromCache", lambda e: from_cache.add(e["requestId"]))

    def finished(event: dict) -> None:
        if event["requestId"] not in from_cache:
            traffic.requests += 1
            traffic.bytes += int(event["encodedDataLength"])
    cdp.on("Network.loadingFinished", finished)


def _version(page) -> int:
    return int(page.locator("#review").get_attribute("data-packet-version"))


def _act(page, traffic: Traffic, selector: str) -> None:
    """One reviewer action; done when the page shows the packet's next version (reloaded or
    swapped in place)."""
    seen = _version(page)
    page.locator(selector).click()
    # A refused action leaves the version as it was: stop with the page's reason, not a timeout.
    page.wait_for_function("v => Number(document.getElementById('review')?.dataset.packetVersion) > v"
                           " || document.querySelector('#review .error[role=alert]')", arg=seen)
    refused = page.locator("#review .error[role=alert]")
    if refused.count():
        raise RuntimeError(f"action refused: {refused.first.inner_text()}")
    traffic.actions += 1


def review_once(browser, base: str, document_id: str, in_place: bool) -> Traffic:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    if not in_place:  # routing a URL also turns the browser's HTTP cache off, as no-store did
        def without_submit_handler(route):
            script = route.fetch().text()
            assert SUBMIT_HANDLER in script
            route.fulfill(body=script.replace(SUBMIT_HANDLER, ""), content_type="text/javascript")
        page.route("**/static/review/review.js", without_submit_handler)
    page.goto(f"{base}/login")
    page.fill("input[name=name]", REVIEWER)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/review")

    traffic = Traffic()
    _count_network(page, traffic)
    started = time.monotonic()
    page.goto(f"{base}/review/packets/{document_id}")
    page.wait_for_load_state("load")
    for item_id in page.locator("article.review-item").evaluate_all("items => items.map(i => i.id)"):
        _act(page, traffic, f"#{item_id} form.confirm button")
    page.check("form.determination input[value=refer_to_medical_director]")
    page.fill("#determination-note", "bench: a full review")
    _act(page, traffic, "form.determination button[type=submit]")
    page.wait_for_selector(".determination-done")
    page.wait_for_load_state("networkidle")
    traffic.seconds = round(time.monotonic() - started, 2)
    context.close()
    return traffic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packet", nargs="?", default=str(REPO / "samples" / "eval-001.pdf"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    packet = Path(args.packet)
    with tempfile.TemporaryDirectory(prefix="intake-bench-review-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'intake.db'}"
        with running_service(2, database_url=url) as (base, key):
            with session_scope(make_sessionmaker(make_engine(url))) as db:
                create_user(db, REVIEWER, PASSWORD)
            # Two copies of the packet: each way reviews its own, from the same start.
            reload_id = _upload_and_wait(base, key, packet, "baseline copy")
            in_place_id = _upload_and_wait(base, key, packet, "in-place copy")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                baseline = review_once(browser, base, reload_id, in_place=False)
                in_place = review_once(browser, base, in_place_id, in_place=True)
                browser.close()
    result = {
        "packet": packet.name,
        "baseline_reloads_no_cache": asdict(baseline),
        "in_place_cached_images": asdict(in_place),
        "requests_ratio": round(in_place.requests / baseline.requests, 3),
        "bytes_ratio": round(in_place.bytes / baseline.bytes, 3),
        "target_ratio": round(1 / 3, 3),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
