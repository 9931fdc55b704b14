"""The packet as a FHIR R4 Bundle: the mapping for a met, a not-met, an insufficient-evidence and
a reviewer-corrected packet, a pended bundle before any determination, unknown values left out,
no A3 from any determination on any kind of packet (and no other determination accepted), a
decided packet closed to corrections, every bundle round-tripped through fhir.resources' parser; and the
/fhir route (uploading key or reviewer session, audited as a PHI read) with the outbox route."""
from __future__ import annotations

import copy
import itertools
import json

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from intake.db.models import Document
from intake.db.review_models import DETERMINATIONS, AuditEntry
from intake.db.session import session_scope
from intake.fhir.bundle import packet_bundle
from intake.db.outbox_models import OutboxEvent
from intake.fhir.claim_response import REVIEW_ACTION, REVIEW_ACTION_CODES, X12_306, review_action_code
from intake.review.decisions import ReviewRefused, correct_field, override_criterion, record_determination
from intake.review.pend import MissingItem
from intake.storage import BlobStore
from review_seed import (api_key, extracted_packet, migrated_sessions, review_every_item, seed_document,
                         with_exceptions)
from service_support import DATABASES, database_url_for, postgres_url  # noqa: F401 (a fixture)
from test_review_web import app, sign_in  # noqa: F401 (app: a fixture)

NOTE = "synthetic reviewer note"
EXT = "https://fhir.car-t-intake.example/fhir/StructureDefinition/"


@pytest.fixture(params=DATABASES)
def sessions(request, tmp_path):
    with migrated_sessions(database_url_for(request, tmp_path)) as made:
        yield made


def _seed(sessions, tmp_path, result: dict | None = None) -> str:
    key_id, _ = api_key(sessions)
    return seed_document(sessions, BlobStore(tmp_path / "blobs"), key_id, extracted_packet(), result)


def _not_met(result: dict) -> dict:
    changed = copy.deepcopy(result)
    changed["criteria"][0]["status"] = "not_met"
    changed["recommendation"] = "does_not_meet_criteria"
    return changed


def _bundle(sessions, document_id: str) -> dict:
    """The bundle as served, after a round trip through the library's parser (equal both ways)."""
    with session_scope(sessions) as db:
        built = packet_bundle(db, db.get(Document, document_id))
    text = built.model_dump_json(exclude_none=True)
    parsed = Bundle.model_validate_json(text)
    assert parsed.model_dump_json(exclude_none=True) == text
    return json.loads(text)


def _resources(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


MISSING = (MissingItem("other", "pathology report"),)  # what "request more information" asks for


def _decide(sessions, document_id: str, outcome: str) -> None:
    with session_scope(sessions) as db:
        review_every_item(db, db.get(Document, document_id), "nurse-a")  # required before a determination
        record_determination(db, db.get(Document, document_id), outcome, NOTE, "nurse-a", missing=MISSING)


def _review_action(claim: dict) -> str:
    (adjudication,) = claim["item"][0]["adjudication"]
    (action,) = [e for e in adjudication["extension"] if e["url"] == REVIEW_ACTION]
    (coding,) = action["extension"][0]["valueCodeableConcept"]["coding"]
    assert coding["system"] == X12_306
    return coding["code"]


def _ext(element: dict, name: str) -> list[dict]:
    return [e for e in element.get("extension", []) if e["url"] == EXT + name]


def _answers(questionnaire: dict) -> dict[str, str]:
    return {item["linkId"]: item["answer"][0]["valueCoding"]["code"] for item in questionnaire["item"]}


def test_a_met_packet_is_certified_a1_with_every_criterion_as_an_item(sessions, tmp_path):
    document_id = _seed(sessions, tmp_path)
    _decide(sessions, document_id, "meets_criteria")
    found = _resources(_bundle(sessions, document_id))
    assert sorted(found) == ["ClaimResponse", "Coverage", "DocumentReference", "Patient", "Provenance",
                             "QuestionnaireResponse"]
    result = extracted_packet().result
    fields = result["fields"]
    (patient,), (coverage,), (claim,) = found["Patient"], found["Coverage"], found["ClaimResponse"]
    assert patient["name"] == [{"text": fields["patient_name"]["value"]}]
    assert patient["birthDate"] == fields["birth_date"]["value"]
    assert patient["identifier"][0]["value"] == coverage["subscriberId"] == fields["member_id"]["value"]
    assert coverage["beneficiary"]["reference"] == f"urn:uuid:{patient['id']}"
    (questionnaire,) = found["QuestionnaireResponse"]
    assert questionnaire["status"] == "completed"
    assert _answers(questionnaire) == {c["id"]: c["status"] for c in result["criteria"]}
    first = questionnaire["item"][0]
    assert first["text"] == result["criteria"][0]["guideline_text"]
    assert _ext(first, "criterion-confidence")[0]["valueDecimal"] == result["criteria"][0]["confidence"]
    evidence = _ext(first, "criterion-evidence")[0]["extension"]
    assert {e["url"] for e in evidence} == {"page", "snippet", "box"}
    assert claim["use"] == "preauthorization" and claim["outcome"] == "complete"
    assert _review_action(claim) == "A1" and "processNote" not in claim
    assert [e["valueCodeableConcept"]["coding"][0]["code"] for e in _ext(claim["item"][0], "requested-service")] \
        == fields["hcpcs_codes"]["value"]
    (document,) = found["DocumentReference"]
    assert document["content"][0]["attachment"]["contentType"] == "application/pdf"
    assert _ext(document["content"][0]["attachment"], "page-count")[0]["valueInteger"] == len(extracted_packet().pages)
    assert len(document["masterIdentifier"]["value"]) == 64  # the SHA-256 of the packet
    activities = [p["activity"]["coding"][0]["code"] for p in found["Provenance"]]
    assert activities[-1] == "determination" and found["Provenance"][-1]["agent"][0]["who"]["display"] == "nurse-a"


def test_a_not_met_packet_referred_to_a_medical_director_is_pended_a4_with_the_reason(sessions, tmp_path):
    document_id = _seed(sessions, tmp_path, _not_met(extracted_packet().result))
    _decide(sessions, document_id, "refer_to_medical_director")
    found = _resources(_bundle(sessions, document_id))
    (claim,), (questionnaire,) = found["ClaimResponse"], found["QuestionnaireResponse"]
    criterion = extracted_packet().result["criteria"][0]["id"]
    assert _review_action(claim) == "A4" and claim["outcome"] == "queued"
    assert "medical director" in claim["disposition"]
    assert [n["text"].split(":")[0] for n in claim["processNote"]] == [criterion]
    assert _answers(questionnaire)[criterion] == "not_met"


def test_an_insufficient_evidence_packet_asking_for_more_information_is_a4(sessions, tmp_path):
    document_id = _seed(sessions, tmp_path, with_exceptions(extracted_packet().result))
    _decide(sessions, document_id, "request_more_information")
    found = _resources(_bundle(sessions, document_id))
    (claim,), (questionnaire,) = found["ClaimResponse"], found["QuestionnaireResponse"]
    assert _review_action(claim) == "A4" and "more information" in claim["disposition"]
    assert _answers(questionnaire)["no_prior_car_t"] == "insufficient_evidence"
    assert "no_prior_car_t: insufficient evidence" in " ".join(n["text"] for n in claim["processNote"])
    (patient,) = found["Patient"]
    assert "birthDate" in patient  # low confidence is not absence: the value as read


def test_a_reviewer_corrected_packet_carries_both_values_and_who_changed_them(sessions, tmp_path):
    document_id = _seed(sessions, tmp_path)
    criterion = extracted_packet().result["criteria"][0]["id"]
    with session_scope(sessions) as db:
        document = db.get(Document, document_id)
        correct_field(db, document, "member_id", "CPC000000001", "typo on the fax", "nurse-b")
        override_criterion(db, document, criterion, "not_met", "the note says otherwise", "nurse-b")
    _decide(sessions, document_id, "refer_to_medical_director")
    found = _resources(_bundle(sessions, document_id))
    (patient,), (coverage,), (questionnaire,) = found["Patient"], found["Coverage"], found["QuestionnaireResponse"]
    assert coverage["subscriberId"] == patient["identifier"][0]["value"] == "CPC000000001"
    (correction,) = _ext(coverage, "field-correction")
    assert {e["url"]: e["valueString"] for e in correction["extension"]} == {
        "field": "member_id", "reviewer": "nurse-b",
        "extracted-value": extracted_packet().result["fields"]["member_id"]["value"]}
    item = next(i for i in questionnaire["item"] if i["linkId"] == criterion)
    assert item["answer"][0]["valueCoding"]["code"] == "not_met"
    assert _ext(item, "criterion-system-status")[0]["valueCode"] == "met"
    assert _ext(item, "criterion-reviewer-decision")[0]["valueCode"] == "not_met"
    assert _ext(item, "criterion-reviewer-reason")[0]["valueString"] == "the note says otherwise"
    activities = [p["activity"]["coding"][0]["code"] for p in found["Provenance"]]
    assert activities[:2] == ["field_corrected", "criterion_overridden"] and activities[-1] == "determination"
    assert found["Provenance"][0]["reason"][0]["text"] == "typo on the fax"


def test_before_a_determination_the_response_is_pended_and_says_so(sessions, tmp_path):
    document_id = _seed(sessions, tmp_path)
    found = _resources(_bundle(sessions, document_id))
    (claim,), (questionnaire,) = found["ClaimResponse"], found["QuestionnaireResponse"]
    assert _review_action(claim) == "A4" and claim["outcome"] == "queued"
    assert claim["disposition"].startswith("Pended: no reviewer determination yet")
    assert _ext(claim, "system-recommendation")[0]["valueCode"] == extracted_packet().result["recommendation"]
    assert questionnaire["status"] == "in-progress" and "Provenance" not in found


def test_unknown_values_are_absent_not_invented(sessions, tmp_path):
    result = copy.deepcopy(extracted_packet().result)
    for name in ("birth_date", "member_id", "patient_name", "hcpcs_codes"):
        result["fields"][name].update(value=None, evidence=[])
    result["policy"]["chosen_by"] = "upload"  # no code chose it: the product code is not known either
    found = _resources(_bundle(sessions, _seed(sessions, tmp_path, result)))
    (patient,), (coverage,), (claim,) = found["Patient"], found["Coverage"], found["ClaimResponse"]
    assert set(patient) == {"resourceType", "id"}
    assert "subscriberId" not in coverage
    absent = {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                             "valueCode": "unknown"}]}
    assert coverage["payor"] == [absent] and claim["insurer"] == absent  # the fax names no payer
    assert "extension" not in claim["item"][0]  # no requested service code invented


def test_no_determination_produces_a3(sessions, tmp_path):
    assert {outcome: review_action_code(outcome) for outcome in (*DETERMINATIONS, None)} == {
        "meets_criteria": "A1", "request_more_information": "A4", "refer_to_medical_director": "A4", None: "A4"}
    assert set(REVIEW_ACTION_CODES.values()) == {"A1", "A4"}  # the only codes the builder knows
    with pytest.raises(KeyError):
        review_action_code("deny")  # an outcome nobody mapped fails loudly, never falls to A3
    packets = {"met": extracted_packet().result, "not_met": _not_met(extracted_packet().result),
               "insufficient_evidence": with_exceptions(extracted_packet().result)}
    for (kind, result), outcome in itertools.product(packets.items(), DETERMINATIONS):
        document_id = _seed(sessions, tmp_path, result)
        _decide(sessions, document_id, outcome)
        bundle = _bundle(sessions, document_id)
        assert _review_action(_resources(bundle)["ClaimResponse"][0]) == REVIEW_ACTION_CODES[outcome], kind
        assert '"A3"' not in json.dumps(bundle)


@pytest.mark.parametrize("outcome", ["does_not_meet_criteria", "deny", "denied", "not_certified", "A3", "", None])
def test_a_determination_outside_the_three_is_refused_and_leaves_the_packet_pended(sessions, tmp_path, outcome):
    document_id = _seed(sessions, tmp_path, _not_met(extracted_packet().result))
    with pytest.raises(ReviewRefused), session_scope(sessions) as db:
        record_determination(db, db.get(Document, document_id), outcome, NOTE, "nurse-a")
    with session_scope(sessions) as db:
        assert db.get(Document, document_id).status == "ready_for_review"
        assert db.scalars(select(OutboxEvent).where(OutboxEvent.document_id == document_id)).all() == []
    assert _review_action(_resources(_bundle(sessions, document_id))["ClaimResponse"][0]) == "A4"


def test_a_decided_packet_refuses_changes_so_its_determination_is_its_last_event(sessions, tmp_path):
    """A reviewed packet is closed: a correction after the determination is refused, in the same
    transaction nothing is written, and the outbox holds the one determination event."""
    document_id = _seed(sessions, tmp_path)
    _decide(sessions, document_id, "meets_criteria")
    criterion = extracted_packet().result["criteria"][0]["id"]
    changes = (lambda db, d: correct_field(db, d, "member_id", "CPC000000001", "typo", "nurse-b"),
               lambda db, d: override_criterion(db, d, criterion, "not_met", "on second look", "nurse-b"))
    for change in changes:
        with pytest.raises(ReviewRefused, match="only packets ready for review"), session_scope(sessions) as db:
            change(db, db.get(Document, document_id))
    with session_scope(sessions) as db:
        events = [(e.kind, e.payload["outcome"])
                  for e in db.scalars(select(OutboxEvent).where(OutboxEvent.document_id == document_id))]
    assert events == [("determination", "meets_criteria")]


def test_the_fhir_route_serves_the_uploader_and_reviewers_and_audits_the_read(app):
    key_id, key = api_key(app.state.sessions)
    _, other_key = api_key(app.state.sessions)
    document_id = seed_document(app.state.sessions, app.state.store, key_id, extracted_packet())
    _decide(app.state.sessions, document_id, "meets_criteria")
    with TestClient(app) as client:
        assert client.get(f"/v1/documents/{document_id}/fhir").status_code == 401
        assert client.get(f"/v1/documents/{document_id}/fhir", headers={"X-API-Key": other_key}).status_code == 404
        response = client.get(f"/v1/documents/{document_id}/fhir", headers={"X-API-Key": key})
        assert response.status_code == 200 and response.headers["content-type"] == "application/fhir+json"
        Bundle.model_validate_json(response.text)
        callbacks = client.get(f"/v1/documents/{document_id}/callbacks", headers={"X-API-Key": key}).json()
        assert [(c["event"], c["state"]) for c in callbacks] == [("determination", "no_callback")]
        sign_in(client)
        assert client.get(f"/v1/documents/{document_id}/fhir").status_code == 200
        metrics = client.get("/metrics").text
    assert 'intake_outbox_events{state="no_callback"} 1.0' in metrics
    with session_scope(app.state.sessions) as db:
        readers = db.scalars(select(AuditEntry.actor).where(AuditEntry.document_id == document_id,
                                                            AuditEntry.action == "fhir_read")).all()
    assert readers == [f"api key {key_id}", "rita"]
