"""Accuracy from reviewer decisions: known reviews give the figures computed by hand, through the
review domain (the real decision path), the service database (SQLite and PostgreSQL), the JSON
endpoint and the Prometheus exposition."""
from __future__ import annotations

import copy
import dataclasses
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text, update

from api import create_app
from intake.db.migrate import upgrade_to_head
from intake.db.models import Document
from intake.db.review_models import ReviewerDecision
from intake.db.session import session_scope
from intake.review import decisions
from intake.review.pend import MissingItem
from intake.settings import Settings
from quality.calibration import Calibration, default_calibration_path, save_version
from review_seed import PASSWORD, add_user, api_key, extracted_packet, seed_document
from service_support import DATABASES, database_url_for, postgres_url  # noqa: F401 - fixture
from test_review_web import sign_in


def _field(value, confidence, page=None, raw=None):
    out = {"value": value, "confidence": confidence,
           "evidence": [{"page": page, "text": "synthetic", "bbox": None}] if page else []}
    if raw is not None:
        out["raw_confidence"] = raw
    return out


def _criterion(criterion_id, status, confidence=0.9):
    return {"id": criterion_id, "status": status, "confidence": confidence, "evidence": [],
            "explanation": "synthetic", "guideline_text": ""}


def _page(number, method, mean_confidence):
    return {"page": number, "method": method, "width": 612.0, "height": 792.0, "rotation": 0, "skew": 0.0,
            "mean_confidence": mean_confidence, "seconds": 1.0, "words": 200, "checkboxes": 0, "error": None}


def _result(base, fields, criteria, pages, recommendation):
    result = copy.deepcopy(base)
    result.update(fields=fields, criteria=criteria, page_details=pages, recommendation=recommendation)
    return result


# Packet A: page 1 text layer, page 2 OCR at mean confidence 0.9; served confidences come from a
# calibration map, the raw ones were 0.99. Packet B: one OCR page at 0.55, no map in use.
PACKET_A = dict(
    fields={"patient_name": _field("Ann Lee", 0.9, 1, raw=0.99),
            "birth_date": _field("1980-01-02", 0.8, 2, raw=0.99),
            "prior_car_t": _field(False, 0.6, 1, raw=0.99)},
    criteria=[_criterion("age_18_or_older", "met"), _criterion("no_prior_car_t", "met")],
    pages=[_page(1, "text_layer", 1.0), _page(2, "ocr", 0.9)], recommendation="meets_criteria")
PACKET_B = dict(
    fields={"patient_name": _field("Bo Chan", 0.7, 1), "birth_date": _field("1990-03-04", 0.95, 1),
            "prior_car_t": _field(None, 0.3)},
    criteria=[_criterion("age_18_or_older", "met")],
    pages=[_page(1, "ocr", 0.55)], recommendation="needs_more_information")


@pytest.fixture(params=DATABASES)
def app(request, tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=database_url_for(request, tmp_path),
                        redis_url="redis://127.0.0.1:6379/15")
    upgrade_to_head(settings.database_url_resolved)
    app = create_app(settings)
    add_user(app.state.sessions, "rita")
    yield app
    if app.state.engine.dialect.name == "postgresql":  # the database is per module: empty it
        with app.state.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    app.state.engine.dispose()


@pytest.fixture
def reviewed(app):
    """Two packets reviewed by hand, on two different days."""
    sessions = app.state.sessions
    key_id, key = api_key(sessions)
    packet = extracted_packet()
    ids = {name: seed_document(sessions, app.state.store, key_id, packet,
                               _result(packet.result, **spec), source=f"{name}.pdf")
           for name, spec in (("a", PACKET_A), ("b", PACKET_B))}
    with session_scope(sessions) as db:
        a, b = db.get(Document, ids["a"]), db.get(Document, ids["b"])
        decisions.confirm_field(db, a, "patient_name", "rita")
        decisions.correct_field(db, a, "birth_date", "1980-01-03", None, "rita")
        decisions.confirm_field(db, a, "prior_car_t", "rita")
        decisions.confirm_criterion(db, a, "age_18_or_older", "rita")
        decisions.override_criterion(db, a, "no_prior_car_t", "not_met", "CAR-T in 2019", "rita")
        decisions.correct_field(db, b, "patient_name", "Bo Chen", None, "rita")
        decisions.confirm_field(db, b, "patient_name", "rita")  # newest decision: still the correction
        decisions.confirm_field(db, b, "birth_date", "rita")
        decisions.confirm_field(db, b, "prior_car_t", "rita")
        decisions.confirm_criterion(db, b, "age_18_or_older", "rita")
        decisions.record_determination(db, a, "refer_to_medical_director", None, "rita")
        decisions.record_determination(db, b, "request_more_information", None, "rita",
                                       missing=(MissingItem("field", "birth_date"),))
    with session_scope(sessions) as db:
        for name, day in (("a", 1), ("b", 2)):
            db.execute(update(ReviewerDecision).where(ReviewerDecision.document_id == ids[name])
                       .values(at=datetime(2026, 11, day, 15, tzinfo=timezone.utc)))
    return {"key": key, **ids}


def _ratio(hits, total):
    return {"hits": hits, "total": total, "value": hits / total}


def test_accuracy_json_matches_figures_computed_by_hand(app, reviewed):
    client = TestClient(app)
    figures = client.get("/v1/metrics/accuracy", headers={"X-API-Key": reviewed["key"]}).json()

    assert figures["labels"] == {"fields": 6, "criteria": 3, "documents": 2}
    assert figures["field_accuracy"] == {"birth_date": _ratio(1, 2), "patient_name": _ratio(1, 2),
                                         "prior_car_t": _ratio(2, 2)}
    assert figures["field_accuracy_overall"] == _ratio(4, 6)
    assert figures["field_actions"] == {"birth_date": {"corrected": 1, "confirmed": 1},
                                        "patient_name": {"confirmed": 1, "corrected": 1},
                                        "prior_car_t": {"confirmed": 2}}
    # Evidence pages: A's name and prior CAR-T on the text layer, A's birth date and all of B's
    # evidence on OCR pages, B's prior CAR-T without evidence.
    assert figures["accuracy_by_page_method"] == {"none": _ratio(1, 1), "ocr": _ratio(1, 3),
                                                  "text_layer": _ratio(2, 2)}
    ocr_bins = {(b["lower"], b["count"], b["accuracy"]) for b in figures["accuracy_by_ocr_confidence"] if b["count"]}
    assert ocr_bins == {(0.4, 2, 0.5), (0.8, 1, 0.0)}
    assert figures["criterion_agreement"] == {"age_18_or_older": _ratio(2, 2), "no_prior_car_t": _ratio(0, 1)}
    assert figures["criterion_confusion"]["no_prior_car_t"]["not_met"]["met"] == 1
    assert figures["criterion_actions"]["no_prior_car_t"] == {"overridden": 1}
    assert figures["recommendation_agreement"] == _ratio(1, 2)

    # Served confidences 0.9 ok, 0.8 wrong, 0.6 ok, 0.7 wrong, 0.95 ok, 0.3 ok in ten bins:
    # (|1-.3| + |1-.6| + |0-.7| + |0-.8| + 2 * |1-.925|) / 6
    served = figures["calibration"]["served"]
    assert served["ece"] == pytest.approx(2.75 / 6)
    assert served["ece_per_field"]["prior_car_t"] == pytest.approx((0.4 + 0.7) / 2)
    top = served["reliability"][9]
    assert top["count"] == 2 and top["mean_confidence"] == pytest.approx(0.925) and top["accuracy"] == 1
    # Raw: A's three fields were 0.99 before the map; B had no map, so raw is what was served.
    # (4/6 * |3/4 - 0.98| + 1/6 * 0.7 + 1/6 * 0.7)
    assert figures["calibration"]["raw"]["ece"] == pytest.approx((4 * 0.23 + 0.7 + 0.7) / 6)
    # Until `intake calibrate` writes a version, new results use the map committed with the repo.
    assert figures["calibration_in_use"]["name"] == default_calibration_path(app.state.settings.ocr_engine).name
    assert "newest_map" in figures["calibration"]

    assert figures["field_accuracy_per_day"] == {
        "2026-11-01": {"birth_date": _ratio(0, 1), "patient_name": _ratio(1, 1), "prior_car_t": _ratio(1, 1)},
        "2026-11-02": {"birth_date": _ratio(1, 1), "patient_name": _ratio(0, 1), "prior_car_t": _ratio(1, 1)},
    }


def test_the_newest_calibration_version_is_reported_before_and_after(app, reviewed, tmp_path):
    directory = app.state.settings.calibration_dir_resolved
    flat = Calibration(kind="isotonic", thresholds=((0.0, 0.5), (1.0, 0.5)), fitted_at="2026-11-01T00:00:00+00:00",
                       samples=6, source="hand-made", evaluation={"packets": 1, "samples": 3,
                                                                 "ece_before": 0.4, "ece_after": 0.2},
                       ocr_engine=app.state.settings.ocr_engine)
    save_version(dataclasses.replace(flat, thresholds=((0.0, 0.9), (1.0, 0.9))), directory)
    newest = save_version(flat, directory)
    figures = TestClient(app).get("/v1/metrics/accuracy", headers={"X-API-Key": reviewed["key"]}).json()
    assert figures["calibration_in_use"]["name"] == newest.name == "field-calibration-v0002.json"
    assert figures["calibration_in_use"]["held_out"]["ece_after"] == 0.2
    # Every raw confidence maps to 0.5; four of six are right.
    assert figures["calibration"]["newest_map"]["ece"] == pytest.approx(4 / 6 - 0.5)


def test_accuracy_needs_an_api_key_or_a_signed_in_reviewer(app, reviewed):
    client = TestClient(app)
    assert client.get("/v1/metrics/accuracy").status_code == 401
    assert client.get("/v1/metrics/accuracy", headers={"X-API-Key": "ik_wrong"}).status_code == 401
    sign_in(client, "rita", PASSWORD)
    assert client.get("/v1/metrics/accuracy").json()["field_accuracy_overall"] == _ratio(4, 6)
    assert client.get("/v1/metrics/operations").status_code == 200


def test_prometheus_exposition_parses_and_carries_the_review_figures(app, reviewed):
    response = TestClient(app).get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in families.values() for s in family.samples}
    assert samples[("intake_review_field_accuracy", (("field", "patient_name"),))] == 0.5
    assert samples[("intake_review_labels", (("kind", "criterion"),))] == 3
    assert samples[("intake_review_ece", (("confidence", "served"),))] == pytest.approx(2.75 / 6)
    assert samples[("intake_documents", (("status", "reviewed"),))] == 1
    assert samples[("intake_documents", (("status", "pended"),))] == 1  # more information requested
    assert samples[("intake_documents_ready_total", ())] == 2
    assert families["intake_upload_to_ready_seconds"].type == "histogram"
    assert samples[("intake_upload_to_ready_seconds_count", ())] == 2
    assert families["intake_pages_read"].type == "counter"
    assert samples[("intake_redis_up", ())] == 1


def test_calibrate_from_reviews_uses_raw_confidences_per_packet(app, reviewed):
    from intake.commands.calibrate import review_pairs

    pairs = review_pairs(app.state.settings.database_url_resolved)
    assert sorted(pairs[reviewed["a"]]) == [("birth_date", 0.99, False), ("patient_name", 0.99, True),
                                            ("prior_car_t", 0.99, True)]
    assert sorted(pairs[reviewed["b"]]) == [("birth_date", 0.95, True), ("patient_name", 0.7, False),
                                            ("prior_car_t", 0.3, True)]


def test_an_api_key_sees_only_its_own_documents_figures(app, reviewed):
    """Key A's two reviewed packets stay out of key B's figures and the reverse; a reviewer, who
    sees every packet in the queue, sees the figures of all."""
    sessions = app.state.sessions
    other_id, other_key = api_key(sessions)
    packet = extracted_packet()
    other_doc = seed_document(sessions, app.state.store, other_id, packet,
                              _result(packet.result, **PACKET_B), source="other.pdf")
    with session_scope(sessions) as db:
        decisions.confirm_field(db, db.get(Document, other_doc), "patient_name", "rita")
    client = TestClient(app)

    mine = client.get("/v1/metrics/accuracy", headers={"X-API-Key": reviewed["key"]}).json()
    theirs = client.get("/v1/metrics/accuracy", headers={"X-API-Key": other_key}).json()
    assert mine["labels"] == {"fields": 6, "criteria": 3, "documents": 2}
    assert theirs["labels"] == {"fields": 1, "criteria": 0, "documents": 1}
    assert theirs["recommendation_agreement"]["total"] == 0
    assert theirs["scope"] == {"documents": "api_key", "api_key": "review-tests"}
    operations = client.get("/v1/metrics/operations", headers={"X-API-Key": other_key}).json()
    assert operations["packets_per_hour"] == pytest.approx(1 / operations["window_hours"])
    assert sum(operations["pages_by_method"].values()) == len(packet.pages)

    sign_in(client, "rita", PASSWORD)
    everything = client.get("/v1/metrics/accuracy").json()
    assert everything["labels"]["documents"] == 3 and everything["scope"]["documents"] == "all"


def test_prometheus_needs_the_metrics_token_when_one_is_set(app, reviewed):
    settings = app.state.settings.model_copy(update={"metrics_token": SecretStr("scrape-token-0123456789")})
    client = TestClient(create_app(settings))
    assert client.get("/metrics").status_code == 401
    refused = client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert scraped.status_code == 200 and "intake_documents" in scraped.text
