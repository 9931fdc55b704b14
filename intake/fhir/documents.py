"""DocumentReference for the faxed packet as received, and Provenance for who decided what and
when, from the audit trail (one Provenance per recorded change; reads are not included).

The packet's hash is its SHA-256, as an identifier: FHIR's Attachment.hash is defined as SHA-1,
which the service does not keep, so it stays absent rather than holding the wrong digest.
"""
from __future__ import annotations

from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent
from fhir.resources.R4B.reference import Reference

from intake.db.review_models import AuditEntry
from intake.fhir.common import CODE_SYSTEM, concept, extension, reference, resource_id
from intake.fhir.packet import FhirPacket

PACKET_ID_SYSTEM = f"{CODE_SYSTEM}/document-id"
AUDIT_ACTION_SYSTEM = f"{CODE_SYSTEM}/audit-action"
SHA256_SYSTEM = f"{CODE_SYSTEM}/sha256"  # hex SHA-256 of the bytes as received
PROVENANCE_AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# Which resource an audited change is about.
_TARGET = {"field": ("Patient", "Coverage", "QuestionnaireResponse"), "criterion": ("QuestionnaireResponse",),
           "determination": ("ClaimResponse", "QuestionnaireResponse")}


def document_reference(packet: FhirPacket) -> DocumentReference:
    document = packet.document
    pages = document.page_count
    return DocumentReference(
        id=resource_id(document.id, "DocumentReference"),
        status="current",
        identifier=[Identifier(system=PACKET_ID_SYSTEM, value=document.id)],
        masterIdentifier=Identifier(system=SHA256_SYSTEM, value=document.sha256),
        subject=reference(document.id, "Patient"),
        date=document.received_at.isoformat(),
        description="Prior-authorization packet as received",
        content=[DocumentReferenceContent(attachment=Attachment(
            contentType=document.media_type, size=document.size,
            extension=[extension("page-count", valueInteger=pages)] if pages else None))])


def provenances(packet: FhirPacket) -> list[Provenance]:
    return [_provenance(packet.document.id, number, entry) for number, entry in enumerate(packet.changes, 1)]


def _provenance(document_id: str, number: int, entry: AuditEntry) -> Provenance:
    kind = entry.action.split("_", 1)[0]
    return Provenance(
        id=resource_id(document_id, f"Provenance/{number}"),
        target=[reference(document_id, target) for target in _TARGET[kind]],
        recorded=entry.at.isoformat(),
        activity=concept(AUDIT_ACTION_SYSTEM, entry.action),
        reason=[CodeableConcept(text=entry.reason)] if entry.reason else None,  # the reviewer's words
        agent=[ProvenanceAgent(type=concept(PROVENANCE_AGENT_TYPE, "author"),
                               who=Reference(display=entry.actor))],
        extension=[extension("audit-target", valueString=entry.target)] if entry.target else None)
