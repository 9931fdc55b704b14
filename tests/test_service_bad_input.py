"""Every class of bad input ends with a clear JSON reason and its stable code: what the upload
can know cheaply (size, empty body, unknown type by its first bytes) is refused at upload with
nothing stored as a document; what needs the file opened (structure, encryption, pages, pixels)
is accepted and fails in the worker's first step. A damaged page degrades without failing its
packet, and the workers keep serving."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from fax_fixtures import faxed, with_undecodable_last_page
from intake.db.models import Document
from intake.db.session import session_scope
from service_support import (postgres_url, redis_server, service_fixture,  # noqa: F401
                             tagged_pdf)

pytestmark = pytest.mark.slow

MAX_BYTES = 400_000
MAX_PAGES = 5
MAX_PIXELS = 20_000_000


service = service_fixture("bad", workers=1, INTAKE_MAX_BYTES=str(MAX_BYTES), INTAKE_MAX_PAGES=str(MAX_PAGES),
                          INTAKE_MAX_PIXELS=str(MAX_PIXELS))


def _encrypted_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, encrypt="synthetic-secret")
    c.drawString(72, 720, "Patient name: Jane Testperson")
    c.showPage()
    c.save()
    return buf.getvalue()


def _huge_png() -> bytes:
    buf = io.BytesIO()
    # 5000 px at 60 dpi: an 83-inch page, 25 Mpx at its own resolution
    Image.new("L", (5000, 5000), 255).save(buf, format="PNG", dpi=(60, 60))
    return buf.getvalue()


REFUSED_AT_UPLOAD = {
    "empty": (lambda: b"", 422, "empty_document"),
    "random_bytes": (lambda: bytes(range(256)) * 40, 415, "unsupported_format"),
    "too_large": (lambda: b"%PDF-1.4\n" + bytes(MAX_BYTES + 10), 413, "file_too_large"),
}
FAILED_BY_WORKER = {
    "truncated_pdf": (lambda: tagged_pdf("truncated", pages=2)[:-700], "corrupt_document"),
    "encrypted_pdf": (_encrypted_pdf, "encrypted_document"),
    "too_many_pages": (lambda: tagged_pdf("long", pages=MAX_PAGES + 1), "too_many_pages"),
    "too_many_pixels": (_huge_png, "too_many_pixels"),
}


def _document_count(service) -> int:
    with session_scope(service.sessions) as s:
        return s.scalar(select(func.count()).select_from(Document))


@pytest.mark.parametrize("case", list(REFUSED_AT_UPLOAD))
def test_bad_input_is_refused_with_a_reason(service, case):
    make, status, code = REFUSED_AT_UPLOAD[case]
    before = _document_count(service)
    response = service.upload(make())
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert _document_count(service) == before


def test_files_judged_by_opening_them_fail_in_the_worker_with_a_reason(service):
    """The upload only stores and queues them; the worker's first step opens each with the
    limits and records the failure, with no page read and no page count."""
    service.assert_failed_in_worker(FAILED_BY_WORKER)


def test_damaged_page_degrades_and_workers_keep_serving(service, tmp_path):
    damaged = service.upload(with_undecodable_last_page(faxed(tmp_path, "damaged.tif", pages=2)))
    good = service.upload(tagged_pdf("after-bad-inputs", pages=2))
    assert damaged.status_code == 202 and good.status_code == 202
    ids = [damaged.json()["id"], good.json()["id"]]
    assert service.wait_final(ids, timeout=180) == {i: "ready_for_review" for i in ids}
    service.assert_processed_exactly_once(ids)
    with service.client() as client:
        details = client.get(damaged.json()["status_url"]).json()["result"]["page_details"]
    assert [p["method"] for p in details] == ["ocr", "failed"]
    assert details[-1]["error"] == "corrupt_document"


def test_nul_characters_are_refused_not_a_server_error(service):
    before = _document_count(service)
    response = service.upload(tagged_pdf("nul-field"), fax_from="+1555\x000100")
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_upload"
    assert _document_count(service) == before
    with service.client() as client:
        path = client.get("/v1/documents/abc%00def")
        assert path.status_code == 400 and path.json()["error"]["code"] == "malformed_request"
        login_page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
        sign_in = client.post("/login", data={"name": "rita\x00", "password": "x", "csrf_token": csrf, "next": "/review"})
        assert sign_in.status_code == 401
