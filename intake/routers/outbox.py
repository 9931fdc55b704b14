"""/v1/documents/{id}/callbacks: delivery state of the packet's outbox events (processing ended,
determination, correction): ids, state, attempts, the receiver's last status; never the URL."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from intake.db.session import get_session
from intake.http_errors import error_responses
from intake.outbox import DeliveryState, deliveries
from intake.routers.packet_access import PacketReader, packet_reader

router = APIRouter(prefix="/v1/documents", tags=["callbacks"])


@router.get("/{document_id}/callbacks", response_model=list[DeliveryState],
            summary="Delivery state of the packet's callbacks (end of processing, determination)",
            responses=error_responses(401, 404))
def document_callbacks(document_id: str, reader: PacketReader = Depends(packet_reader),
                       db: Session = Depends(get_session)) -> list[DeliveryState]:
    document = reader.document(db, document_id)
    return deliveries(db, document.id)
