"""The metrics dashboard in real headless Chromium against a real uvicorn server: the reliability
diagram, the per-day field accuracy and the latency histogram render as inline SVG (nothing is
fetched from elsewhere), and the page is reachable from the UI's navigation.

Set METRICS_SCREENSHOT=<path> to save the screenshot used as docs/dashboard.png.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
from datetime import timedelta

import pytest
from sqlalchemy import update

from intake.db.migrate import upgrade_to_head
from intake.db.models import Document, utcnow
from intake.db.review_models import ReviewerDecision
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.review import decisions
from intake.settings import Settings
from intake.storage import BlobStore
from quality.calibration import fit_platt, save_version
from review_seed import add_user, api_key, extracted_packet, seed_document
from test_ui_browser import browser, page, sign_in, uvicorn_server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

PACKETS = 8
# What a reviewer typed for a field they corrected, by the field's kind.
CORRECTIONS = {"birth_date": "1970-01-01", "treatment_date": "2026-12-01", "request_date": "2026-10-01",
               "patient_name": "Corrected Name", "member_id": "CPC000000000", "prior_car_t": "yes",
               "setting": "outpatient"}


def _seed(settings: Settings) -> None:
    """Reviewed packets over five days, some read by OCR, with corrections; one failed upload."""
    engine = make_engine(settings.database_url_resolved)
    sessions, store = make_sessionmaker(engine), BlobStore(settings.blob_dir)
    key_id, _ = api_key(sessions)
    packet = extracted_packet()
    add_user(sessions, "rita")
    raw_pairs = []
    for i in range(PACKETS):
        result = copy.deepcopy(packet.result)
        if i % 2:  # as if faxed: every page read by OCR
            for detail in result["page_details"]:
                detail.update(method="ocr", mean_confidence=0.55 + 0.05 * i)
        document_id = seed_document(sessions, store, key_id, packet, result,
                                    received_ago=timedelta(minutes=1 + 3 * i * i), source=f"fax-{i:04d}.pdf")
        with session_scope(sessions) as db:
            document = db.get(Document, document_id)
            for n, (name, extracted) in enumerate(sorted(result["fields"].items())):
                wrong = name in CORRECTIONS and (i + n) % 4 == 0
                if wrong:
                    decisions.correct_field(db, document, name, CORRECTIONS[name], None, "rita")
                else:
                    decisions.confirm_field(db, document, name, "rita")
                raw_pairs.append((extracted["confidence"], not wrong))
            for criterion in result["criteria"]:
                decisions.confirm_criterion(db, document, criterion["id"], "rita")
        with session_scope(sessions) as db:
            db.execute(update(ReviewerDecision).where(ReviewerDecision.document_id == document_id)
                       .values(at=utcnow() - timedelta(days=i % 5)))
    calibration = fit_platt([c for c, _ in raw_pairs], [ok for _, ok in raw_pairs])
    save_version(dataclasses.replace(calibration, source="these reviews", ocr_engine=settings.ocr_engine),
                 settings.calibration_dir_resolved)
    with session_scope(sessions) as db:
        now = utcnow()
        db.add(Document(sha256="0" * 64, dedup_key=hashlib.sha256(b"failed").hexdigest(), size=10,
                        media_type="application/pdf", status="failed", error_code="corrupt_document",
                        api_key_id=key_id, received_at=now - timedelta(minutes=3), finished_at=now,
                        updated_at=now))
    engine.dispose()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("metrics-ui")
    settings = Settings(data_dir=data_dir)
    upgrade_to_head(settings.database_url_resolved)
    _seed(settings)
    with uvicorn_server(data_dir) as base:
        yield base


def test_dashboard_draws_its_charts_from_our_server_only(page, site):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, site)
    page.click("nav >> text=Metrics")
    page.wait_for_url(f"{site}/review/metrics")

    charts = {caption.inner_text(): caption.locator("xpath=..")
              for caption in page.locator("figure.chart figcaption").all()}
    assert set(charts) == {"Reliability diagram (reviewed fields)", "Upload to ready for review",
                           "Field accuracy per review day"}
    reliability = charts["Reliability diagram (reviewed fields)"]
    assert reliability.locator("svg circle").count() >= 2  # one dot per non-empty bin and series
    assert "through the newest map: ECE" in reliability.inner_text()
    assert charts["Upload to ready for review"].locator("svg rect").count() == 10  # 9 buckets + overflow
    heatmap = charts["Field accuracy per review day"]
    assert heatmap.locator("svg rect").count() >= 5 * 10  # five days by the reviewed fields
    box = reliability.locator("svg").bounding_box()
    assert box["width"] > 300 and box["height"] > 150  # actually laid out, not collapsed

    summary = page.locator("section.tiles").inner_text()
    assert "field values accepted as extracted" in summary and "packets / pages per hour" in summary
    assert "corrupt_document" in page.locator("main").inner_text()
    assert all(url.startswith(site) for url in requested), requested  # no CDN, nothing external

    screenshot = os.environ.get("METRICS_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)
