"""Transient faults are retried with backoff and then recorded: with an OCR time limit no page
can meet, every OCR attempt fails as a transient engine error; after RQ's retries the page
degrades to method "failed" with the engine's code, and the packet still completes once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from intake.db.models import DocumentPage
from intake.db.session import session_scope
from service_support import (postgres_url, redis_server, service_fixture,  # noqa: F401
                             tagged_fax, tagged_pdf)

pytestmark = pytest.mark.slow

service = service_fixture("transient", workers=1, INTAKE_OCR_TIMEOUT="0.001", INTAKE_RETRY_MAX="2",
                          INTAKE_RETRY_INTERVALS="[1, 2]")


def test_transient_ocr_failure_is_retried_then_degrades_the_page(service, tmp_path):
    faxed = service.upload(tagged_fax(tmp_path, "transient", pages=1)).json()["id"]
    digital = service.upload(tagged_pdf("no-ocr-needed")).json()["id"]
    assert service.wait_final([faxed, digital], timeout=180) == {faxed: "ready_for_review",
                                                                 digital: "ready_for_review"}
    service.assert_processed_exactly_once([faxed, digital])
    with session_scope(service.sessions) as s:
        page = s.scalars(select(DocumentPage).where(DocumentPage.document_id == faxed)).one()
        assert (page.method, page.error) == ("failed", "ocr_engine_error")
        assert page.attempts == 3  # the first try and two retries
    with service.client() as client:
        details = client.get(f"/v1/documents/{faxed}").json()["result"]["page_details"]
    assert details[0]["method"] == "failed" and details[0]["error"] == "ocr_engine_error"
