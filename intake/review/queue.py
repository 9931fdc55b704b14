"""The work queue: packets ordered by when their determination is due, with counts and filters. A
pended packet (more information requested, pend.py) is listed by its own clock: when the
information is due."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assessment.record import AssessmentRecord
from intake.db.models import DECIDED_STATUSES, DOCUMENT_STATUSES, Document, DocumentStatus
from intake.db.review_models import Determination, ReviewerDecision
from intake.review.attention import page_problems, undecided
from intake.review.claims import live_claim
from intake.review.deadlines import ClockState, DecisionClock, describe_remaining
from intake.review.pend import pend_state
from intake.review.reevaluate import reviewed_value, standing
from intake.review.values import display_value

DEFAULT_STATUS = DocumentStatus.READY_FOR_REVIEW


@dataclass(frozen=True)
class QueueFilter:
    status: str = DEFAULT_STATUS  # a document status, or "all"
    recommendation: str = ""  # "" = any
    low_confidence_only: bool = False


@dataclass(frozen=True)
class QueueRow:
    id: str
    source: str
    received_at: datetime
    due_at: datetime  # due_at, clock, remaining: the pend's own clock while the packet is pended
    clock: ClockState
    remaining: str
    expedited: bool
    status: str
    recommendation: str | None
    lowest_confidence: float | None
    low_confidence: bool
    pages: int | None
    # What a UM nurse picks a packet by (PHI: shown to signed-in reviewers, never logged).
    member_name: str
    member_id: str
    product: str  # the policy's product name, "" when no policy judged the packet
    hcpcs: str
    attention: int  # items needing attention that no reviewer decided yet
    flagged_pages: int  # pages blank, unreadable, rotated or of another patient (attention.page_problems)
    claimed_by: str  # the reviewer working on it now (claims.py), "" when nobody is


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    status_counts: dict[str, int]
    clock_counts: dict[str, int]
    truncated: bool


def is_expedited(document: Document) -> bool:
    """Flagged at upload, or marked expedited/urgent on the request form itself (as the reviewer
    confirmed or corrected it, once they did: the clock follows the correction)."""
    return bool(document.expedited or reviewed_value(document, "expedited") is True)


def _product(document: Document, products: Mapping[str, str]) -> str:
    """The drug the packet's policy covers (`products`: policy id -> drug), else the policy's name."""
    policy = document.assessment.policy if document.assessment else None
    if policy is None:
        return ""
    return products.get(policy.id) or policy.name or policy.id


def lowest_confidence(assessment: AssessmentRecord | None) -> float | None:
    """The weakest finding a reviewer must check: criteria that apply, and fields that were found."""
    if assessment is None:
        return None
    scores = [c.confidence for c in assessment.criteria if c.status != "not_applicable"]
    scores += [f.confidence for f in assessment.fields.values() if f.value is not None]
    return min(scores) if scores else None


def _decisions_by_document(db: Session, ids: list[str]) -> dict[str, dict[tuple[str, str], ReviewerDecision]]:
    """Each listed document's newest decision per item, in one query."""
    newest: dict[str, dict[tuple[str, str], ReviewerDecision]] = {document_id: {} for document_id in ids}
    if ids:
        for row in db.scalars(select(ReviewerDecision).where(ReviewerDecision.document_id.in_(ids))
                              .order_by(ReviewerDecision.id)):
            newest[row.document_id][(row.kind, row.name)] = row
    return newest


def _pends(db: Session, documents: list[Document]) -> dict[str, Determination]:
    """The pended documents' newest determination (the pend), in one query."""
    ids = [document.id for document in documents if document.status == DocumentStatus.PENDED]
    newest: dict[str, Determination] = {}
    if ids:
        for row in db.scalars(select(Determination).where(Determination.document_id.in_(ids))
                              .order_by(Determination.id)):
            newest[row.document_id] = row
    return newest


def attention_waiting(document: Document, decided: dict[tuple[str, str], ReviewerDecision],
                      low_below: float) -> int:
    """Items needing attention (attention.py) without a standing reviewer decision."""
    return len(undecided(document, standing(document, decided), low_below, needing_attention=True))


def load_queue(db: Session, clock: DecisionClock, now: datetime, wanted: QueueFilter,
               low_confidence_below: float, limit: int, products: Mapping[str, str] | None = None) -> Queue:
    query = select(Document).order_by(Document.received_at).limit(limit + 1)
    if wanted.status != "all":
        query = query.where(Document.status == wanted.status)
    if wanted.recommendation:
        query = query.where(Document.recommendation == wanted.recommendation)
    documents = list(db.scalars(query))
    truncated = len(documents) > limit
    rows = []
    decided = _decisions_by_document(db, [document.id for document in documents[:limit]])
    pends = _pends(db, documents[:limit])
    for document in documents[:limit]:
        expedited = is_expedited(document)
        due_at = clock.due_at(document.received_at, expedited)
        pend = pend_state(document, pends.get(document.id), clock, now)
        lowest = lowest_confidence(document.assessment)
        low = lowest is not None and lowest < low_confidence_below
        if wanted.low_confidence_only and not low:
            continue
        rows.append(QueueRow(
            id=document.id, source=document.source or "", received_at=document.received_at,
            due_at=pend.due_at if pend else due_at,
            clock=pend.clock if pend else clock.state(due_at, now, document.status in DECIDED_STATUSES),
            remaining=pend.remaining if pend else describe_remaining(due_at, now), expedited=expedited,
            status=document.status,
            recommendation=document.recommendation, lowest_confidence=lowest, low_confidence=low,
            pages=document.page_count, member_name=display_value(reviewed_value(document, "patient_name")),
            member_id=display_value(reviewed_value(document, "member_id")), product=_product(document, products or {}),
            hcpcs=display_value(reviewed_value(document, "hcpcs_codes")),
            attention=attention_waiting(document, decided[document.id], low_confidence_below),
            flagged_pages=len(page_problems(document)),
            claimed_by=claim.holder if (claim := live_claim(document, now)) else ""))
    rows.sort(key=lambda r: r.due_at)
    status_counts = {status: 0 for status in DOCUMENT_STATUSES}
    status_counts.update(db.execute(select(Document.status, func.count()).group_by(Document.status)).all())
    return Queue(rows=rows, status_counts=status_counts,
                 clock_counts=dict(Counter(r.clock for r in rows)), truncated=truncated)


@dataclass(frozen=True)
class NextPacket:
    id: str
    source: str
    due_at: datetime


def next_open_packet(db: Session, clock: DecisionClock, now: datetime, reviewer: str, limit: int) -> NextPacket | None:
    """Where a reviewer goes after a determination: the first open packet in the queue's order
    (due time, then receipt) that no other reviewer holds a live claim on."""
    documents = db.scalars(select(Document).where(Document.status == DEFAULT_STATUS)
                           .order_by(Document.received_at).limit(limit))
    free = [document for document in documents
            if (claim := live_claim(document, now)) is None or claim.held_by(reviewer)]
    if not free:
        return None
    due = {document.id: clock.due_at(document.received_at, is_expedited(document)) for document in free}
    first = min(free, key=lambda document: due[document.id])  # the first of equals, as the queue's stable sort
    return NextPacket(id=first.id, source=first.source or "", due_at=due[first.id])
