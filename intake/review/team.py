"""What a UM supervisor watches: turnaround compliance against the decision clock, pended and
overdue packets, and each reviewer's outcomes and corrections.

- Turnaround compliance: of the packets with a determination, the share whose first
  determination was recorded by its due time (deadlines.py: 72 h standard, 24 h expedited, the
  settings' values), per class; a `quality.metrics.Ratio` like every other share on the dashboard.
- Pended: packets whose newest determination is "request more information" (status pended:
  waiting for the provider, not approved and not referred), and of those the ones past their own
  clock (pend.py: INTAKE_PEND_DAYS after the pend).
- Overdue / due soon: packets without a determination past (close to) their due time.
- Per reviewer: determinations by outcome (the newest per packet), and items (fields, criteria)
  the reviewer corrected or overrode at least once, next to all items they decided.
All of it is computed from the database at request time; names and counts only, never packet values.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.db.models import DECIDED_STATUSES, Document
from intake.db.review_models import DETERMINATIONS, Determination, ReviewerDecision
from intake.review.deadlines import DecisionClock, as_utc
from intake.review.pend import pend_state
from intake.review.queue import is_expedited
from quality.metrics import Ratio

CHANGING_ACTIONS = ("corrected", "overridden")


@dataclass(frozen=True)
class ReviewerFigures:
    reviewer: str
    outcomes: dict[str, int]  # DETERMINATIONS -> packets whose newest determination is theirs
    items_decided: int  # distinct (packet, field or criterion) the reviewer decided
    items_corrected: int  # ... of which they corrected or overrode at least once

    @property
    def determinations(self) -> int:
        return sum(self.outcomes.values())


@dataclass(frozen=True)
class TeamFigures:
    within_standard: Ratio  # decided by the standard due time / standard packets decided
    within_expedited: Ratio
    pended: int
    pended_overdue: int  # pended packets whose requested information is past its due time
    overdue: int
    due_soon: int
    open: int  # packets without a determination (any status before reviewed or failed)
    reviewers: list[ReviewerFigures]

    @property
    def within_all(self) -> Ratio:
        return Ratio(self.within_standard.hits + self.within_expedited.hits,
                     self.within_standard.total + self.within_expedited.total)


def _determinations(db: Session) -> tuple[dict[str, datetime], dict[str, Determination]]:
    """(first determination time, newest determination) per packet."""
    first: dict[str, datetime] = {}
    newest: dict[str, Determination] = {}
    for row in db.scalars(select(Determination).order_by(Determination.id)):
        first.setdefault(row.document_id, as_utc(row.at))
        newest[row.document_id] = row
    return first, newest


def _reviewer_items(db: Session) -> tuple[dict[str, set], dict[str, set]]:
    """Per reviewer: the items they decided, and those they changed."""
    decided: dict[str, set] = defaultdict(set)
    changed: dict[str, set] = defaultdict(set)
    rows = db.execute(select(ReviewerDecision.reviewer, ReviewerDecision.document_id,
                             ReviewerDecision.kind, ReviewerDecision.name, ReviewerDecision.action))
    for reviewer, document_id, kind, name, action in rows:
        decided[reviewer].add((document_id, kind, name))
        if action in CHANGING_ACTIONS:
            changed[reviewer].add((document_id, kind, name))
    return decided, changed


def team_figures(db: Session, clock: DecisionClock, now: datetime) -> TeamFigures:
    first, newest = _determinations(db)
    hits: Counter[bool] = Counter()
    totals: Counter[bool] = Counter()
    clock_states: Counter[str] = Counter()
    open_count = 0
    pend_states: Counter[str] = Counter()
    for document in db.scalars(select(Document)):
        expedited = is_expedited(document)
        due_at = clock.due_at(document.received_at, expedited)
        if (pend := pend_state(document, newest.get(document.id), clock, now)) is not None:
            pend_states[pend.clock] += 1
        if document.id in first:
            totals[expedited] += 1
            hits[expedited] += first[document.id] <= due_at
        elif document.status not in DECIDED_STATUSES:
            open_count += 1
            clock_states[clock.state(due_at, now, decided=False)] += 1
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for determination in newest.values():
        outcomes[determination.reviewer][determination.outcome] += 1
    decided, changed = _reviewer_items(db)
    reviewers = [ReviewerFigures(name, {o: outcomes[name][o] for o in DETERMINATIONS},
                                 len(decided[name]), len(changed[name]))
                 for name in sorted(set(outcomes) | set(decided))]
    return TeamFigures(
        within_standard=Ratio(hits[False], totals[False]), within_expedited=Ratio(hits[True], totals[True]),
        pended=sum(pend_states.values()),
        pended_overdue=pend_states["overdue"],
        overdue=clock_states["overdue"], due_soon=clock_states["due_soon"], open=open_count,
        reviewers=reviewers)
