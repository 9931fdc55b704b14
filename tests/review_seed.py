"""Packets for the review tests, seeded straight through the service's DB layer and blob store
(no workers): a synthetic digital packet read by the real Assessor, its upright page images
stored as PNG blobs, and its result in the extraction contract. Only synthetic patients."""
from __future__ import annotations

import copy
import functools
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from assessment.config import AssessmentConfig
from extraction.models import page_to_dict
from assessment.pipeline import Assessor
from intake.auth import create_key
from intake.db.models import Document, DocumentPage, utcnow
from intake.db.migrate import upgrade_to_head
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.review import decisions
from intake.review.accounts import create_user
from intake.review.reevaluate import system_criteria
from intake.settings import Settings
from intake.storage import BlobStore
from rules.registry import PolicyRegistry
from synthetic.packets import build_packet
from synthetic.render import render_pdf

PASSWORD = "synthetic-reviewer-pw"
# Markup an attacker could fax in; it must only ever show up as text.
SCRIPT_TEXT = "<script>document.title='pwned'</script>"
IMG_TEXT = '<img src=x onerror="document.title=\'pwned\'">'


@dataclass(frozen=True)
class ExtractedPacket:
    pdf: bytes
    result: dict[str, Any]
    pages: list[dict[str, Any]]  # page_to_dict per page
    images: list[bytes]  # upright page PNGs


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def extracted_packet() -> ExtractedPacket:
    """The first digital packet of the eval split, read once per test process."""
    packet = next(p for p in (build_packet("eval", 0, i) for i in range(50)) if p.damage is None)
    pdf = render_pdf(packet.pages, title="synthetic review packet")
    assessor = Assessor(AssessmentConfig())
    readings = list(assessor.read_pages(pdf))
    result = assessor.analyze([r.page for r in readings], "synthetic-review.pdf").to_dict()
    return ExtractedPacket(pdf, result, [page_to_dict(r.page) for r in readings],
                           [_png(r.image) for r in readings])


def with_markup(result: dict[str, Any]) -> dict[str, Any]:
    """The same result as if OCR had read HTML markup on the page."""
    hostile = copy.deepcopy(result)
    name = hostile["fields"]["patient_name"]
    name["value"] = SCRIPT_TEXT
    name["evidence"][0]["text"] = f"Patient: {SCRIPT_TEXT} {IMG_TEXT}"
    hostile["criteria"][0]["explanation"] = f"read {SCRIPT_TEXT}"
    return hostile


def api_key(sessions: sessionmaker[Session]) -> tuple[str, str]:
    """(key id, plaintext key) of a new API key."""
    with session_scope(sessions) as db:
        row, key = create_key(db, "review-tests")
        return row.id, key


def seed_document(sessions: sessionmaker[Session], store: BlobStore, key_id: str,
                  packet: ExtractedPacket, result: dict[str, Any] | None = None,
                  received_ago: timedelta = timedelta(hours=1), expedited: bool = False,
                  source: str = "synthetic-review.pdf", media_type: str = "application/pdf",
                  page_count: int | None = None) -> str:
    """`page_count`: when the packet carries no page readings (a sample seeded from its truth)."""
    result = packet.result if result is None else result
    now = utcnow()
    received_at: datetime = now - received_ago
    sha256 = store.put(packet.pdf)
    with session_scope(sessions) as db:
        document = Document(
            sha256=sha256, dedup_key=hashlib.sha256(f"{sha256}:{received_at}".encode()).hexdigest(),
            size=len(packet.pdf), media_type=media_type,
            page_count=len(packet.pages) if page_count is None else page_count,
            status="ready_for_review", source=source, api_key_id=key_id, expedited=expedited,
            received_at=received_at, finished_at=now, updated_at=now, attempts=1,
            recommendation=result["recommendation"], result=result)
        db.add(document)
        db.flush()
        for page, image in zip(packet.pages, packet.images):
            db.add(DocumentPage(document_id=document.id, number=page["number"], status="done",
                                method=page["method"], result=page, image_sha256=store.put(image),
                                seconds=page["seconds"], attempts=1, updated_at=now))
        return document.id


def add_user(sessions: sessionmaker[Session], name: str, role: str = "reviewer") -> None:
    with session_scope(sessions) as db:
        create_user(db, name, PASSWORD, role)


@contextmanager
def seedable_data_dir(data_dir: Path) -> Iterator[tuple[sessionmaker[Session], BlobStore, str]]:
    """The service's database (migrated) and blob store under data_dir, as `intake serve` with
    INTAKE_DATA_DIR=data_dir finds them: (sessions, blob store, id of an API key to seed with)."""
    settings = Settings(data_dir=data_dir)
    upgrade_to_head(settings.database_url_resolved)
    engine = make_engine(settings.database_url_resolved)
    try:
        sessions = make_sessionmaker(engine)
        key_id, _ = api_key(sessions)
        yield sessions, BlobStore(settings.blob_dir), key_id
    finally:
        engine.dispose()


@contextmanager
def migrated_sessions(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database at `url`, migrated to head."""
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        engine.dispose()


def seed_packet(sessions: sessionmaker[Session], blob_dir: Path) -> str:
    """The extracted packet, ready for review, under a new API key; its document id."""
    key_id, _ = api_key(sessions)
    return seed_document(sessions, BlobStore(blob_dir), key_id, extracted_packet())


def with_exceptions(result: dict[str, Any]) -> dict[str, Any]:
    """The same result with items a reviewer must look at: a low-confidence birth date, a member
    ID read two ways (on pages 3 and 4), a treatment date not found, a criterion without enough
    evidence, and a blank first page."""
    marked = copy.deepcopy(result)
    fields = marked["fields"]
    fields["birth_date"]["confidence"] = 0.42
    member = fields["member_id"]
    member["note"] = "2 different values found"
    member["evidence"] = [dict(member["evidence"][0], page=3, text="Member ID: CPC743028595"),
                          dict(member["evidence"][1], page=4, text="Member ID: CPC743028596")]
    fields["treatment_date"].update(value=None, confidence=0.7, evidence=[])
    criterion = next(c for c in marked["criteria"] if c["id"] == "no_prior_car_t")
    criterion["status"] = "insufficient_evidence"
    marked["page_details"][0].update(words=0, checkboxes=0)
    return marked


def with_misfiled_and_blank_pages(result: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """The same result as if the page carrying the patient's name were another patient's and
    another page were blank: (result, misfiled page, blank page)."""
    marked = copy.deepcopy(result)
    misfiled = marked["fields"]["patient_name"]["evidence"][0]["page"]
    blank = next(d for d in marked["page_details"] if d["page"] != misfiled)
    blank.update(words=0, checkboxes=0)
    marked["other_patient_pages"] = [misfiled]
    return marked, misfiled, blank["page"]


def review_every_item(db: Session, document: Document, reviewer: str,
                      policies: PolicyRegistry | None = None) -> None:
    """Confirm every item nobody reviewed yet, as the system states it now, so that a determination
    may be recorded (every item must be reviewed first). Fields go first: their confirmations may
    re-evaluate criteria, which are then confirmed on their new status."""
    for name in document.assessment.fields:
        if ("field", name) not in decisions.current_decisions(db, document):
            decisions.confirm_field(db, document, name, reviewer, policies=policies)
    for criterion in system_criteria(document):
        if ("criterion", criterion.id) not in decisions.current_decisions(db, document):
            decisions.confirm_criterion(db, document, criterion.id, reviewer)
