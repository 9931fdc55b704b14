"""/v1/documents/{id}/review: the reviewed result, for downstream systems.

Readable with the API key that uploaded the document, or by a signed-in reviewer (the UI's
session cookie). The determination is null until a reviewer records one. `version` (also the
`X-Packet-Version` header) is the packet version a reviewer action must name to be accepted.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from intake.db.session import get_session
from intake.http_errors import error_responses
from intake.review import audit
from intake.review.reviewed import reviewed_result
from intake.routers.packet_access import PacketReader, packet_reader

router = APIRouter(prefix="/v1/documents", tags=["review"])


@router.get("/{document_id}/review", summary="The reviewed result: final values and determination",
            description="Each field and criterion carries the extracted value, the final value and how the "
                        "reviewer got there (confirmed, corrected, overridden; reason; who; when); each "
                        "criterion also its `system_status`, the rules re-run on the reviewed field values. "
                        "`version` (also the `X-Packet-Version` header) changes with every reviewer action.",
            responses=error_responses(401, 404))
def document_review(response: Response, document_id: str,
                    reader: PacketReader = Depends(packet_reader),
                    db: Session = Depends(get_session)) -> dict[str, Any]:
    document = reader.document(db, document_id)
    # a PHI read, like every packet view
    audit.append(db, document.id, reader.name, "review_read", client=reader.client)
    db.commit()
    response.headers["X-Packet-Version"] = str(document.review_version)
    return reviewed_result(db, document)
