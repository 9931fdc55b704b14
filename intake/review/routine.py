""""Confirm all routine items": one reviewer action that confirms every item not yet reviewed and
not needing attention (attention.py), with one version check for the whole batch.

Each item is recorded exactly as if confirmed by hand: a reviewer_decisions row and a
`field_confirmed` / `criterion_confirmed` audit entry per item, and a field confirmation re-runs
the rules on the reviewed values (reevaluate.py). Fields go first; criteria are judged routine
on the system's word after those re-evaluations, so a criterion they changed is left for the
reviewer instead of being confirmed unseen.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from intake.db.models import Document
from intake.db.review_models import ReviewerDecision
from intake.review import versions
from intake.review.attention import packet_attention, undecided
from intake.review.decisions import (ReviewRefused, current_decisions, record_criterion_confirmation,
                                     record_field_confirmation, require_open)
from rules.registry import PolicyRegistry


def _routine_unreviewed(db: Session, document: Document, kind: str, low_below: float) -> list[str]:
    return [name for item_kind, name in undecided(document, current_decisions(db, document), low_below,
                                                  needing_attention=False) if item_kind == kind]


def routine_pending(document: Document, decided: dict[tuple[str, str], ReviewerDecision],
                    low_below: float) -> int:
    """How many items "confirm all routine items" would confirm now (fields and criteria)."""
    return len(undecided(document, decided, low_below, needing_attention=False))


def confirm_routine(db: Session, document: Document, reviewer: str, low_below: float, *,
                    seen_version: int | None = None,
                    policies: PolicyRegistry | None = None) -> list[ReviewerDecision]:
    """The decisions recorded, fields first; refused when no routine item is left."""
    versions.advance(db, document, seen_version)
    require_open(document)
    recorded = [record_field_confirmation(db, document, name, reviewer, policies)
                for name in _routine_unreviewed(db, document, "field", low_below)]
    recorded += [record_criterion_confirmation(db, document, criterion_id, reviewer)
                 for criterion_id in _routine_unreviewed(db, document, "criterion", low_below)]
    if not recorded:
        raise ReviewRefused("no routine item is left to confirm; review the items that need attention")
    return recorded


def first_waiting(document: Document, decided: dict[tuple[str, str], ReviewerDecision],
                  low_below: float) -> tuple[str, int] | None:
    """(kind, position among the packet's items of that kind) of the first item needing attention
    that no reviewer decided yet: where the packet page opens after a batch confirmation."""
    positions: dict[str, int] = {}
    for key, attention in packet_attention(document, low_below).items():
        position = positions[key[0]] = positions.get(key[0], -1) + 1
        if attention.needed and key not in decided:
            return key[0], position
    return None
