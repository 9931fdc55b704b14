"""Everything the packet page shows, assembled from the stored result, the page rows and the
reviewer's decisions. Boxes become percentages of the page so they land on any rendering of the
upright page image (x / page.width is the same as x * image_width / page.width in pixels)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from extraction.models import Evidence
from intake.db.models import DECIDED_STATUSES, REVIEW_OPEN_STATUSES, Document
from intake.db.review_models import AuditEntry, Determination, ReviewerDecision
from intake.review import audit, reevaluate
from intake.review.attention import Attention, packet_attention, page_problems
from intake.review.deadlines import ClockState, DecisionClock, describe_remaining
from intake.review.decisions import current_decisions, latest_determination
from intake.review.determination_check import ReviewProgress, review_progress
from intake.review.pend import MissingItem, PendState, missing_choices, pend_state
from intake.review.queue import is_expedited
from intake.review.routine import routine_pending
from intake.review.values import FieldKind, display_value, field_kind, input_text


@dataclass(frozen=True)
class BoxView:
    key: str  # shared by the evidence link and its box, e.g. "f3-0"
    left: float  # percent of the page width / height
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class EvidenceView:
    key: str
    page: int
    text: str
    has_box: bool


@dataclass
class PageView:
    number: int
    width: float | None
    height: float | None
    # The stored image's content hash (sha256 hex) or None: it names the image's URL, so the
    # browser may cache an image for good and a new image is a new URL.
    image_version: str | None
    method: str | None
    error: str | None
    problem: str | None = None  # attention.page_problems: blank, unreadable, another patient's
    boxes: list[BoxView] = field(default_factory=list)


@dataclass(frozen=True)
class FieldView:
    key: str
    name: str
    kind: FieldKind
    extracted_text: str
    current_text: str
    input_text: str
    confidence: float
    low_confidence: bool
    note: str | None
    evidence: list[EvidenceView]
    decision: ReviewerDecision | None
    attention: Attention

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class CriterionView:
    key: str
    id: str
    extracted_status: str
    system_status: str  # re-evaluated on the reviewed field values, if any was corrected
    current_status: str
    confidence: float
    low_confidence: bool
    guideline_text: str
    explanation: str
    evidence: list[EvidenceView]
    decision: ReviewerDecision | None
    attention: Attention

    @property
    def label(self) -> str:
        return self.id


@dataclass(frozen=True)
class PacketView:
    document: Document
    expedited: bool
    due_at: datetime
    clock: ClockState
    remaining: str
    pages: list[PageView]
    fields: list[FieldView]
    criteria: list[CriterionView]
    determination: Determination | None
    trail: list[AuditEntry]
    progress: ReviewProgress  # also what the determination form warns about before submitting
    open: bool
    version: int  # what every action form sends back (versions.py)
    reevaluation: reevaluate.Reevaluation | None
    attention_open: int  # items needing attention that no reviewer decided yet
    routine_open: int  # what "confirm all routine items" would confirm
    first_attention: str | None  # the item key the page opens on (e.g. "f3"), if any needs attention
    pend: PendState | None  # set while the packet is pended for more information
    missing_choices: list[MissingItem]  # what "request more information" offers to tick

    @property
    def items(self) -> list[FieldView | CriterionView]:
        return [*self.fields, *self.criteria]

    @property
    def reviewed_recommendation(self) -> str | None:
        """What the rules recommend on the reviewed values: the extraction's word until a field
        decision re-ran them (reevaluate.py)."""
        return self.reevaluation.recommendation if self.reevaluation else self.document.recommendation


def _page_sizes(document: Document) -> dict[int, tuple[float, float]]:
    sizes = {p.number: (p.result["width"], p.result["height"])
             for p in document.pages if p.result and "width" in p.result}
    assessment = document.assessment
    for detail in assessment.page_details if assessment else []:
        sizes[detail.page] = (detail.width, detail.height)
    return sizes


def _evidence(key: str, items: list[Evidence], pages: dict[int, PageView]) -> list[EvidenceView]:
    views = []
    for i, item in enumerate(items):
        ev_key = f"{key}-{i}"
        page = pages.get(item.page)
        box = item.bbox
        drawable = bool(box and page and page.width and page.height)
        if drawable:
            page.boxes.append(BoxView(ev_key, 100 * box.x0 / page.width, 100 * box.y0 / page.height,
                                      100 * (box.x1 - box.x0) / page.width, 100 * (box.y1 - box.y0) / page.height))
        views.append(EvidenceView(ev_key, item.page, item.text, drawable))
    return views


def build_packet_view(db: Session, document: Document, clock: DecisionClock, now: datetime,
                      low_confidence_below: float) -> PacketView:
    assessment = document.assessment
    sizes = _page_sizes(document)
    numbers = sorted({p.number for p in document.pages} | set(sizes))
    rows = {p.number: p for p in document.pages}
    problems = page_problems(document)
    pages = {n: PageView(number=n, width=sizes.get(n, (None, None))[0],
                         height=sizes.get(n, (None, None))[1],
                         image_version=(rows[n].image_sha256 or None) if n in rows else None,
                         method=rows[n].method if n in rows else None,
                         error=rows[n].error if n in rows else None, problem=problems.get(n)) for n in numbers}
    decided = current_decisions(db, document)
    attention = packet_attention(document, low_confidence_below)

    fields = []
    for i, (name, found) in enumerate(assessment.fields.items() if assessment else []):
        decision = decided.get(("field", name))
        kind = field_kind(name)
        current = decision.final_value if decision else found.value
        fields.append(FieldView(
            key=f"f{i}", name=name, kind=kind, extracted_text=display_value(found.value),
            current_text=display_value(current), input_text=input_text(kind, current),
            confidence=found.confidence, low_confidence=found.confidence < low_confidence_below,
            note=found.note, evidence=_evidence(f"f{i}", found.evidence, pages), decision=decision,
            attention=attention[("field", name)]))

    criteria = []
    extracted = {c.id: c.status for c in assessment.criteria} if assessment else {}
    for i, found in enumerate(reevaluate.system_criteria(document)):
        decision = decided.get(("criterion", found.id))
        criteria.append(CriterionView(
            key=f"c{i}", id=found.id, extracted_status=extracted.get(found.id, found.status),
            system_status=found.status, current_status=decision.final_value if decision else found.status,
            confidence=found.confidence, low_confidence=found.confidence < low_confidence_below,
            guideline_text=found.guideline_text, explanation=found.explanation,
            evidence=_evidence(f"c{i}", found.evidence, pages), decision=decision,
            attention=attention[("criterion", found.id)]))

    waiting = [item for item in [*fields, *criteria] if item.attention.needed and item.decision is None]
    expedited = is_expedited(document)
    determination = latest_determination(db, document.id)
    pend = pend_state(document, determination, clock, now)
    due_at = clock.due_at(document.received_at, expedited)
    return PacketView(
        document=document, expedited=expedited, due_at=pend.due_at if pend else due_at,
        clock=pend.clock if pend else clock.state(due_at, now, document.status in DECIDED_STATUSES),
        remaining=pend.remaining if pend else describe_remaining(due_at, now), pages=[pages[n] for n in numbers],
        fields=fields, criteria=criteria, determination=determination,
        trail=audit.trail(db, document.id), progress=review_progress(document, decided),
        open=document.status in REVIEW_OPEN_STATUSES, version=document.review_version,
        reevaluation=reevaluate.stored(document), attention_open=len(waiting),
        routine_open=routine_pending(document, decided, low_confidence_below),
        first_attention=waiting[0].key if waiting else None, pend=pend,
        missing_choices=missing_choices(document, decided))
