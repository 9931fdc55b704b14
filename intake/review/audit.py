"""The per-packet audit trail. Append-only: this module is the only writer and it only inserts
(the migration adds database triggers refusing UPDATE/DELETE on the table as well)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import utcnow
from intake.db.review_models import AuditEntry


def append(db: Session, document_id: str, actor: str, action: str, target: str | None = None,
           old_value: Any = None, new_value: Any = None, reason: str | None = None,
           client: str | None = None) -> None:
    """`client`: the requesting client's address, where a request is at hand (every PHI read)."""
    db.add(AuditEntry(document_id=document_id, actor=actor, at=utcnow(), action=action,
                      target=target, old_value=old_value, new_value=new_value, reason=reason, client=client))


def trail(db: Session, document_id: str) -> list[AuditEntry]:
    """Newest first, as a reviewer reads it."""
    return list(db.scalars(select(AuditEntry).where(AuditEntry.document_id == document_id)
                           .order_by(AuditEntry.id.desc())))
