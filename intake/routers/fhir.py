"""/v1/documents/{id}/fhir: the packet as a FHIR R4 Bundle (intake/fhir/, docs/fhir.md).

Readable with the uploading API key or a signed-in reviewer session, and audited as a PHI read
(`fhir_read`) like every other read of the packet's content.
"""
from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from intake.db.session import get_session
from intake.fhir.bundle import packet_bundle
from intake.http_errors import error_responses
from intake.review import audit
from intake.routers.packet_access import PacketReader, packet_reader

router = APIRouter(prefix="/v1/documents", tags=["fhir"])
FHIR_JSON = "application/fhir+json"


@router.get("/{document_id}/fhir", summary="The packet as a FHIR R4 Bundle (Da Vinci PAS / DTR shapes)",
            description="Patient, Coverage, QuestionnaireResponse (one item per criterion), ClaimResponse "
                        "(use preauthorization; X12 306 review action A1 or A4 from the reviewer's "
                        "determination, A4 pended before one), DocumentReference and Provenance. See docs/fhir.md.",
            response_class=Response, responses={200: {"content": {FHIR_JSON: {}}}, **error_responses(401, 404)})
def document_fhir(document_id: str, reader: PacketReader = Depends(packet_reader),
                  db: Session = Depends(get_session)) -> Response:
    document = reader.document(db, document_id)
    audit.append(db, document.id, reader.name, "fhir_read", client=reader.client)  # a PHI read
    db.commit()
    return Response(packet_bundle(db, document).model_dump_json(exclude_none=True), media_type=FHIR_JSON)
