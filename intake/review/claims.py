"""A reviewer's claim on a packet, so two reviewers do not work one packet unknowingly.

Opening an open packet claims it for `minutes` when nobody else holds a live claim; each view or
action by the holder extends it. While another reviewer's claim is live, a second reviewer sees
who holds it and until when (queue and packet page), their actions are refused with that name,
and they may take the packet over explicitly: that is audited (`claim taken over`, old holder →
new). A claim that expired is nobody's. Every change of holder is one conditional UPDATE, so two
reviewers opening a packet at the same moment cannot both get it. The determination ends the claim.

Claims do not move the packet version: a claim is not a change to what a reviewer decides on, and
taking one over must not make the new holder's own page stale.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from intake.db.models import REVIEW_OPEN_STATUSES, Document
from intake.review import audit
from intake.review.decisions import ReviewRefused


CLAIM_CHANGED = "the claim on this packet changed since your page was loaded; look again"


@dataclass(frozen=True)
class Claim:
    holder: str
    until: datetime

    def held_by(self, reviewer: str) -> bool:
        return self.holder == reviewer


class HeldByAnother(ReviewRefused):
    """Another reviewer's live claim: the action is refused until this reviewer takes over."""

    def __init__(self, claim: Claim) -> None:
        super().__init__(f"{claim.holder} is working on this packet (claimed until "
                         f"{claim.until:%Y-%m-%d %H:%M} UTC), so nothing was saved. "
                         "Take it over first if you are to review it.")
        self.claim = claim


def live_claim(document: Document, now: datetime) -> Claim | None:
    if document.claimed_by and document.claimed_until and document.claimed_until > now:
        return Claim(document.claimed_by, document.claimed_until)
    return None


def _set(db: Session, document: Document, reviewer: str | None, until: datetime | None, *conditions) -> bool:
    moved = db.execute(update(Document).where(Document.id == document.id, *conditions)
                       .values(claimed_by=reviewer, claimed_until=until)
                       .execution_options(synchronize_session=False))
    if moved.rowcount == 1:  # changed behind the ORM's back, as versions.advance does
        set_committed_value(document, "claimed_by", reviewer)
        set_committed_value(document, "claimed_until", until)
        return True
    db.refresh(document, ["claimed_by", "claimed_until"])
    return False


def claim(db: Session, document: Document, reviewer: str, now: datetime, minutes: float) -> Claim | None:
    """Claims (or extends) an open packet for `reviewer` unless another reviewer's claim is live;
    the claim that stands afterwards (None for a packet no longer open)."""
    if document.status not in REVIEW_OPEN_STATUSES:
        return None
    until = now + timedelta(minutes=minutes)
    free = or_(Document.claimed_by.is_(None), Document.claimed_by == reviewer,
               Document.claimed_until.is_(None), Document.claimed_until <= now)
    before = live_claim(document, now)
    if _set(db, document, reviewer, until, free) and not (before and before.held_by(reviewer)):
        audit.append(db, document.id, reviewer, "claimed", new_value=f"until {until:%Y-%m-%d %H:%M} UTC")
    return live_claim(document, now)


def require(db: Session, document: Document, reviewer: str, now: datetime, minutes: float) -> None:
    """Before an action: refused while another reviewer holds the packet, else claimed/extended."""
    held = claim(db, document, reviewer, now, minutes)
    if held is not None and not held.held_by(reviewer):
        raise HeldByAnother(held)


def take_over(db: Session, document: Document, reviewer: str, now: datetime, minutes: float,
              seen_holder: str) -> Claim:
    """Explicitly takes the packet from the holder the reviewer was shown (`seen_holder`); if the
    claim changed hands since, refused, so nobody takes a packet from someone they were not shown
    (a claim that expired meanwhile is simply claimed)."""
    if document.status not in REVIEW_OPEN_STATUSES:
        raise ReviewRefused("this packet is not open for review")
    before = live_claim(document, now)
    if before is not None and before.holder != seen_holder:
        raise ReviewRefused(CLAIM_CHANGED)
    if before is None:  # it expired meanwhile: an ordinary claim
        held = claim(db, document, reviewer, now, minutes)
        if held is None or not held.held_by(reviewer):
            raise ReviewRefused(CLAIM_CHANGED)
        return held
    until = now + timedelta(minutes=minutes)
    if not _set(db, document, reviewer, until, Document.claimed_by == before.holder, Document.claimed_until > now):
        raise ReviewRefused(CLAIM_CHANGED)
    audit.append(db, document.id, reviewer, "claim taken over", old_value=before.holder, new_value=reviewer)
    return Claim(reviewer, until)


def release(db: Session, document: Document) -> None:
    """The determination is recorded: nobody needs to hold the packet any more."""
    _set(db, document, None, None)

