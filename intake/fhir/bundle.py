"""The FHIR Bundle (type collection) for one packet: Patient, Coverage, QuestionnaireResponse,
ClaimResponse, DocumentReference and one Provenance per recorded change, each entry's fullUrl the
`urn:uuid:` its references use. Entirely built from fhir.resources models (validated as built)."""
from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.resource import Resource
from sqlalchemy.orm import Session

from intake.db.models import Document, utcnow
from intake.fhir.claim_response import claim_response
from intake.fhir.common import CODE_SYSTEM, full_url, resource_id
from intake.fhir.documents import document_reference, provenances
from intake.fhir.packet import FhirPacket, load_packet
from intake.fhir.patient import coverage, patient
from intake.fhir.questionnaire import questionnaire_response


def packet_bundle(db: Session, document: Document) -> Bundle:
    return build_bundle(load_packet(db, document))


def build_bundle(packet: FhirPacket) -> Bundle:
    resources: list[Resource] = [patient(packet), coverage(packet), questionnaire_response(packet),
                                 claim_response(packet), document_reference(packet), *provenances(packet)]
    return Bundle(id=resource_id(packet.document.id, "Bundle"), type="collection",
                  identifier=Identifier(system=f"{CODE_SYSTEM}/document-id", value=packet.document.id),
                  timestamp=utcnow().isoformat(),
                  entry=[BundleEntry(fullUrl=full_url(r.id), resource=r) for r in resources])
