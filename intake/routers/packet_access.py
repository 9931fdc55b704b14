"""Who may read a packet through the API: the API key that uploaded it, or a signed-in reviewer
(the UI's session cookie). Shared by the routes that serve a packet's reviewed content."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request, Security
from sqlalchemy.orm import Session

from intake.auth import api_key_header, require_api_key
from intake.db.models import Document
from intake.db.session import get_session
from intake.http_errors import ApiError
from intake.review.accounts import SignedIn
from intake.web.auth import optional_user
from intake.web.context import client_address


@dataclass(frozen=True)
class PacketReader:
    """The caller, named as the audit trail names it, and where it reads from."""
    name: str
    api_key_id: str | None  # None for a signed-in reviewer, who may read every packet
    client: str | None  # the request's client address (the audit's "from where")

    @classmethod
    def for_key(cls, key_id: str, request: Request) -> PacketReader:
        """A caller by API key, for the routes only an API key may read."""
        return cls(f"api key {key_id}", key_id, client_address(request))

    def document(self, db: Session, document_id: str) -> Document:
        document = db.get(Document, document_id)
        if document is None or (self.api_key_id is not None and document.api_key_id != self.api_key_id):
            raise ApiError(404, "not_found", "no such document for this caller")
        return document


def packet_reader(request: Request, key: str | None = Security(api_key_header),
                  user: SignedIn | None = Depends(optional_user),
                  db: Session = Depends(get_session)) -> PacketReader:
    """FastAPI dependency: a signed-in reviewer, else the API key (401 without a valid one)."""
    if user is not None:
        return PacketReader(user.name, None, client_address(request))
    return PacketReader.for_key(require_api_key(request=request, key=key).id, request)
