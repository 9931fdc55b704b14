"""Adding a policy is one TOML file and no code: a folder named in INTAKE_POLICY_DIRS, a real
`intake serve` started on it, an upload requesting that product, results under the new policy."""
from __future__ import annotations

import io
import json

import pytest
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from policy_folders import policy_folder
from service_support import (DATABASES, database_url_for, postgres_url, redis_server,  # noqa: F401
                             start_service)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=DATABASES)
def service(request, tmp_path_factory, redis_server):  # noqa: F811 - fixture by name
    tmp = tmp_path_factory.mktemp(f"new-policy-{request.param}")
    folder = policy_folder(tmp, "yescarta-plan-2026-01", "Q2041", "axicabtagene ciloleucel")
    svc = start_service(tmp, database_url_for(request, tmp), redis_server.url, workers=1,
                        INTAKE_POLICY_DIRS=json.dumps([str(folder)]))
    yield svc
    svc.stop()


def _yescarta_request() -> bytes:
    """A digital request for Yescarta (synthetic patient)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for y, line in zip(range(720, 500, -24), [
            "Prior Authorization Request - Cellular Therapy",
            "Patient name: Jane Testperson   Date of birth: 03/14/1971",
            "Requested product: Yescarta (axicabtagene ciloleucel)   HCPCS Q2041",
            "Diagnosis: relapsed B-cell precursor acute lymphoblastic leukemia",
            "She has never received CAR-T cell therapy.",
            "Setting: inpatient admission for the infusion."]):
        c.drawString(72, y, line)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_a_policy_added_as_a_file_judges_the_packets_requesting_its_product(service):
    response = service.upload(_yescarta_request())
    assert response.status_code == 202
    doc_id = response.json()["id"]
    assert service.wait_final([doc_id], timeout=180) == {doc_id: "ready_for_review"}
    with service.client() as client:
        result = client.get(response.json()["status_url"]).json()["result"]
    assert result["policy"]["id"] == "yescarta-plan-2026-01" and result["policy"]["chosen_by"] == "hcpcs Q2041"
    criteria = {c["id"]: c["status"] for c in result["criteria"]}
    # The requested product is the request, not prior therapy.
    assert criteria["no_prior_car_t"] == "met"
