"""ClaimResponse in the Da Vinci PAS shape: use = preauthorization, one item for the requested
product (its HCPCS code, as a `requested-service` extension), and on the item's adjudication the PAS reviewAction extension with the
X12 306 code from the REVIEWER's determination only:

  meets_criteria                      A1 certified in total
  request_more_information            A4 pended
  refer_to_medical_director           A4 pended
  no determination yet                A4 pended (and the disposition says it awaits a reviewer)

A3 (not certified) is never produced: this system does not deny, a medical director does.
Criteria not met or without enough evidence are the decision reasons (processNote).
"""
from __future__ import annotations

from fhir.resources.R4B.claimresponse import (ClaimResponse, ClaimResponseItem, ClaimResponseItemAdjudication,
                                               ClaimResponseProcessNote)
from fhir.resources.R4B.extension import Extension

from intake.db.review_models import DETERMINATIONS
from intake.fhir.common import concept, extension, part, reference, resource_id, unknown_reference
from intake.fhir.packet import FhirPacket

CHOSEN_BY_HCPCS = "hcpcs "  # AppliedPolicy.chosen_by when a code read from the packet chose it
X12_306 = "https://codesystem.x12.org/005010/306"
REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
REVIEW_ACTION_CODES = {"meets_criteria": "A1", "request_more_information": "A4",
                       "refer_to_medical_director": "A4"}
_DISPLAY = {"A1": "Certified in total", "A4": "Pended"}
_DISPOSITION = {"meets_criteria": "Meets the policy's criteria (reviewer determination)",
                "request_more_information": "Pended: more information requested (reviewer determination)",
                "refer_to_medical_director": "Pended: referred to a medical director (reviewer determination)"}
AGAINST = ("not_met", "insufficient_evidence")  # the statuses a decision reason names
PENDING_DISPOSITION = "Pended: no reviewer determination yet; the system's recommendation is not a decision"
assert set(REVIEW_ACTION_CODES) == set(DETERMINATIONS), "every determination needs a review action code"


def review_action_code(outcome: str | None) -> str:
    """A1 or A4; None (not decided yet) is pended. An unknown outcome is an error, never A3."""
    if outcome is None:
        return "A4"
    return REVIEW_ACTION_CODES[outcome]


def claim_response(packet: FhirPacket) -> ClaimResponse:
    document = packet.document
    outcome = packet.determination.outcome if packet.determination else None
    code = review_action_code(outcome)
    created = packet.decided_at or document.finished_at or document.received_at
    return ClaimResponse(
        id=resource_id(document.id, "ClaimResponse"),
        status="active",
        # CAR-T is given in a facility (inpatient or hospital outpatient): an institutional claim.
        type=concept(CLAIM_TYPE, "institutional"),
        use="preauthorization",
        patient=reference(document.id, "Patient"),
        created=created.isoformat(),
        insurer=unknown_reference(),
        outcome="complete" if code == "A1" else "queued",
        disposition=_DISPOSITION[outcome] if outcome else PENDING_DISPOSITION,
        item=[_item(packet, code)],
        processNote=_reasons(packet) or None,
        extension=_recommendation(document.recommendation) if outcome is None else None)


def _recommendation(recommendation: str | None) -> list[Extension] | None:
    """Before a determination: what the system recommends, labelled as such (not a decision)."""
    return [extension("system-recommendation", valueCode=recommendation)] if recommendation else None


def _item(packet: FhirPacket, code: str) -> ClaimResponseItem:
    action = Extension(url=REVIEW_ACTION, extension=[
        part("code", valueCodeableConcept=concept(X12_306, code, _DISPLAY[code]))])
    adjudication = ClaimResponseItemAdjudication(category=concept(ADJUDICATION, "submitted"), extension=[action])
    requested = [extension("requested-service", valueCodeableConcept=concept(HCPCS, c)) for c in _product_codes(packet)]
    return ClaimResponseItem(itemSequence=1, adjudication=[adjudication], extension=requested or None)


def _product_codes(packet: FhirPacket) -> list[str]:
    """The requested product's HCPCS code: the one that chose the policy ("hcpcs Q2058"); when the
    policy was chosen otherwise (upload, reviewer, default), the codes read from the packet."""
    policy = packet.assessment.policy if packet.assessment else None
    if policy is not None and policy.chosen_by.startswith(CHOSEN_BY_HCPCS):
        return [policy.chosen_by.removeprefix(CHOSEN_BY_HCPCS)]
    return [str(code) for code in packet.value("hcpcs_codes") or []]


def _reasons(packet: FhirPacket) -> list[ClaimResponseProcessNote]:
    notes = []
    for criterion in packet.criteria:
        if criterion.status not in AGAINST:
            continue
        words = criterion.guideline_text or criterion.id
        notes.append(ClaimResponseProcessNote(number=len(notes) + 1, type="display",
                                              text=f"{criterion.id}: {criterion.status.replace('_', ' ')} ({words})"))
    return notes
