"""`intake export`'s work: write packets' FHIR bundles to files, one `<document id>.fhir.json` per
packet, each written to a temporary name and renamed (a reader never sees half a bundle). Every
export is audited as a PHI read (`fhir_export`), like an API read."""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from intake.db.models import Document
from intake.db.review_models import Determination
from intake.db.session import session_scope
from intake.fhir.bundle import packet_bundle
from intake.review import audit

EXPORTER = "intake export"  # the audit trail's actor


def decided_since(db: Session, since: datetime) -> list[str]:
    """Packets with a determination recorded at or after `since`, oldest decision first."""
    latest = func.max(Determination.at)
    return list(db.scalars(select(Determination.document_id).group_by(Determination.document_id)
                           .having(latest >= since).order_by(latest)))


def export_bundles(sessions: sessionmaker[Session], document_ids: list[str], folder: Path) -> Iterator[Path]:
    """Yields each file written; a document id that does not exist raises LookupError."""
    folder.mkdir(parents=True, exist_ok=True)
    for document_id in document_ids:
        with session_scope(sessions) as db:
            document = db.get(Document, document_id)
            if document is None:
                raise LookupError(f"no document {document_id}")
            text = packet_bundle(db, document).model_dump_json(exclude_none=True, indent=2)
            audit.append(db, document.id, EXPORTER, "fhir_export")
        target = folder / f"{document_id}.fhir.json"
        partial = target.with_suffix(".partial")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
        yield target
