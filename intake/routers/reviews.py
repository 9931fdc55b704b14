"""/v1/documents/{id}/review: the reviewed result, for downstream systems.

Readable with the API key that uploaded the document, or by a signed-in reviewer (the UI's
session cookie). The determination is null until a reviewer records one. `version` (also the
`X-Packet-Version` header) is the packet version a reviewer action must name to be accepted.
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, Security
from sqlalchemy.orm import Session

from intake.auth import api_key_header, require_api_key
from intake.db.models import Document
from intake.db.session import get_session
from intake.http_errors import ApiError, error_responses
from intake.review import audit
from intake.review.accounts import SignedIn
from intake.review.reviewed import reviewed_result
from intake.web.auth import optional_user

router = APIRouter(prefix="/v1/documents", tags=["review"])


@router.get("/{document_id}/review", summary="The reviewed result: final values and determination",
            description="Each field and criterion carries the extracted value, the final value and how the "
                        "reviewer got there (confirmed, corrected, overridden; reason; who; when); each "
                        "criterion also its `system_status`, the rules re-run on the reviewed field values. "
                        "`version` (also the `X-Packet-Version` header) changes with every reviewer action.",
            responses=error_responses(401, 404))
def document_review(request: Request, response: Response, document_id: str,
                    key: str | None = Security(api_key_header),
                    user: SignedIn | None = Depends(optional_user),
                    db: Session = Depends(get_session)) -> dict[str, Any]:
    caller_key_id = None if user is not None else require_api_key(request=request, key=key).id
    document = db.get(Document, document_id)
    if document is None or (caller_key_id is not None and document.api_key_id != caller_key_id):
        raise ApiError(404, "not_found", "no such document for this caller")
    reader = user.name if user is not None else f"api key {caller_key_id}"
    audit.append(db, document.id, reader, "review_read")  # a PHI read, like every packet view
    db.commit()
    response.headers["X-Packet-Version"] = str(document.review_version)
    return reviewed_result(db, document)
