"""Every packet in samples/ as a FHIR Bundle, before and after a reviewer's determination, each
round-tripped through fhir.resources' parser and checked against the packet's truth.

No OCR: each packet is seeded from its truth row (samples/truth.jsonl) through the same typed
objects the service stores (FieldValue -> the policy chosen by the requested code -> the rules'
CriterionResults -> AssessmentRecord), with the sample's own bytes as the stored blob, so the
bundle is built by the same code as for a packet the workers read."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assessment.policy_choice import choose_policy
from assessment.record import AssessmentRecord
from extraction.models import FieldValue
from intake.db.models import Document
from intake.db.session import session_scope
from intake.review.decisions import record_determination
from intake.storage import BlobStore
from review_seed import ExtractedPacket, api_key, migrated_sessions, review_every_item, seed_document
from rules.evaluator import evaluate
from rules.registry import PolicyRegistry
from service_support import DATABASES, database_url_for, postgres_url  # noqa: F401 (a fixture)
from test_fhir import MISSING, _answers, _bundle, _ext, _resources, _review_action

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TRUTH = [json.loads(line) for line in (SAMPLES / "truth.jsonl").read_text().splitlines() if line.strip()]
# What a reviewer records for each recommendation: a packet that does not meet criteria goes to a
# medical director (this system never denies).
DETERMINATION_FOR = {"meets_criteria": "meets_criteria", "needs_more_information": "request_more_information",
                     "does_not_meet_criteria": "refer_to_medical_director"}


@pytest.fixture(scope="module")
def registry() -> PolicyRegistry:
    return PolicyRegistry.load()


@pytest.fixture(params=DATABASES)
def sessions(request, tmp_path):
    with migrated_sessions(database_url_for(request, tmp_path)) as made:
        yield made


def _record(truth: dict, registry: PolicyRegistry) -> AssessmentRecord:
    """The packet's assessment had every field been read as its truth says, confidence 1."""
    fields = {name: FieldValue(name, value, 1.0) for name, value in truth["fields"].items()}
    choice = choose_policy(registry, truth["fields"]["hcpcs_codes"])
    decision = evaluate(choice.policy, fields)
    return AssessmentRecord(source=truth["file"], pages=truth["pages"], fields=fields, criteria=decision.criteria,
                            recommendation=decision.recommendation, policy=choice.applied)


def _seed(sessions, store: BlobStore, key_id: str, truth: dict, record: AssessmentRecord) -> str:
    packet = ExtractedPacket(pdf=(SAMPLES / truth["file"]).read_bytes(), result=record.to_dict(), pages=[], images=[])
    return seed_document(sessions, store, key_id, packet, source=truth["file"], media_type=truth["media_type"],
                         page_count=truth["pages"])


def test_every_sample_gives_a_bundle_that_round_trips_and_maps_its_truth(sessions, tmp_path, registry):
    assert len(TRUTH) == len([p for p in SAMPLES.iterdir() if p.suffix in (".pdf", ".tif")])
    store, (key_id, _) = BlobStore(tmp_path / "blobs"), api_key(sessions)
    codes_seen = set()
    for truth in TRUTH:
        record = _record(truth, registry)
        assert {c.id: c.status for c in record.criteria} == truth["criteria"], truth["file"]
        document_id = _seed(sessions, store, key_id, truth, record)

        pended = _resources(_bundle(sessions, document_id))  # before a reviewer decided
        assert _review_action(pended["ClaimResponse"][0]) == "A4", truth["file"]
        assert _ext(pended["ClaimResponse"][0], "system-recommendation")[0]["valueCode"] == truth["recommendation"]

        outcome = DETERMINATION_FOR[truth["recommendation"]]
        with session_scope(sessions) as db:
            review_every_item(db, db.get(Document, document_id), "nurse-a")  # required before a determination
            record_determination(db, db.get(Document, document_id), outcome, "synthetic reviewer note", "nurse-a",
                                 missing=MISSING)
        bundle = _bundle(sessions, document_id)
        found = _resources(bundle)
        fields = truth["fields"]
        (patient,), (coverage,), (claim,) = found["Patient"], found["Coverage"], found["ClaimResponse"]
        (questionnaire,), (reference,) = found["QuestionnaireResponse"], found["DocumentReference"]
        assert patient["name"] == [{"text": fields["patient_name"]}]
        assert patient["birthDate"] == fields["birth_date"]
        assert patient["identifier"][0]["value"] == coverage["subscriberId"] == fields["member_id"]
        assert _answers(questionnaire) == truth["criteria"] and questionnaire["status"] == "completed"
        assert questionnaire["questionnaire"].split("/")[-1].split("|")[0] == record.policy.id
        assert _review_action(claim) == ("A1" if outcome == "meets_criteria" else "A4"), truth["file"]
        assert '"A3"' not in json.dumps(bundle)
        against = sorted(c for c, status in truth["criteria"].items() if status in ("not_met", "insufficient_evidence"))
        assert sorted(n["text"].split(":")[0] for n in claim.get("processNote", [])) == against
        (requested,) = [e["valueCodeableConcept"]["coding"][0]["code"] for e in _ext(claim["item"][0], "requested-service")]
        assert record.policy.chosen_by == f"hcpcs {requested}" and requested in fields["hcpcs_codes"]
        codes_seen.add(requested)
        attachment = reference["content"][0]["attachment"]
        assert attachment["contentType"] == truth["media_type"]
        assert _ext(attachment, "page-count")[0]["valueInteger"] == truth["pages"]
        assert attachment["size"] == (SAMPLES / truth["file"]).stat().st_size
    assert codes_seen == {"Q2058", "Q2042", "Q2053"}  # Aucatzyl, Kymriah and Tecartus packets
