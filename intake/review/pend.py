""""Request more information": the packet is pended, not closed.

The reviewer says what is missing (at least one item: a field or criterion of the packet, usually
one not found, not met or without sufficient evidence, or free text); it is stored with the
determination (`determinations.missing`) and the packet moves to status `pended`. A pended
packet has its own clock, counted from the pend (INTAKE_PEND_DAYS): past it, the requested
information is overdue. A reviewer may still review its items and records the final
determination (meets criteria, or refer to the medical director), which closes it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from intake.db.models import Document, DocumentStatus
from intake.db.review_models import Determination, ReviewerDecision
from intake.review.deadlines import ClockState, DecisionClock, describe_remaining
from intake.review.determination_check import review_progress

REQUEST_MORE_INFORMATION = "request_more_information"
OTHER = "other"  # a MissingItem in the reviewer's own words
MISSING_KINDS = ("field", "criterion", OTHER)


@dataclass(frozen=True)
class MissingItem:
    kind: str  # MISSING_KINDS
    name: str  # field name, criterion id, or the reviewer's text for OTHER

    @property
    def form_value(self) -> str:
        """How the determination form names it (a checkbox value)."""
        return f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        return self.name if self.kind == OTHER else f"{self.kind} {self.name.replace('_', ' ')}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MissingItem":
        return cls(kind=d["kind"], name=d["name"])


def missing_from_form(picked: Iterable[str], other: str) -> tuple[MissingItem, ...]:
    """The form's checkboxes ("field:NAME", "criterion:ID") and free text, as items; whether they
    name items of the packet is decisions.record_determination's to check."""
    items = [MissingItem(*value.split(":", 1)) if ":" in value else MissingItem("", value)
             for value in dict.fromkeys(picked) if value]
    text = other.strip()
    if text:
        items.append(MissingItem(OTHER, text))
    return tuple(items)


def not_in_packet(document: Document, items: Iterable[MissingItem]) -> list[str]:
    """The items that name no field or criterion of the packet (free text is always fine)."""
    assessment = document.assessment
    fields = set(assessment.fields) if assessment else set()
    criteria = {c.id for c in assessment.criteria} if assessment else set()
    known = {"field": fields, "criterion": criteria}
    return [item.form_value for item in items
            if item.kind != OTHER and item.name not in known.get(item.kind, set())]


def missing_choices(document: Document,
                    decided: dict[tuple[str, str], ReviewerDecision]) -> list[MissingItem]:
    """What the form offers to tick: criteria standing at not met or insufficient evidence, and
    fields without a value (as reviewed); `decided` is decisions.current_decisions()."""
    choices = [MissingItem("criterion", c.id)
               for c in review_progress(document, decided).criteria_against]
    assessment = document.assessment
    for name, found in (assessment.fields.items() if assessment else []):
        decision = decided.get(("field", name))
        if (decision.final_value if decision else found.value) is None:
            choices.append(MissingItem("field", name))
    return choices


@dataclass(frozen=True)
class PendState:
    """A pended packet's clock and what it waits for."""
    pended_at: datetime
    due_at: datetime
    clock: ClockState
    remaining: str
    missing: tuple[MissingItem, ...]
    reviewer: str


def pend_state(document: Document, newest: Determination | None, clock: DecisionClock,
               now: datetime) -> PendState | None:
    """None unless the packet is pended (`newest`: its newest determination, the pend)."""
    if document.status != DocumentStatus.PENDED or newest is None or newest.outcome != REQUEST_MORE_INFORMATION:
        return None
    due_at = clock.pend_due_at(newest.at)
    return PendState(pended_at=newest.at, due_at=due_at, clock=clock.state(due_at, now, decided=False),
                     remaining=describe_remaining(due_at, now),
                     missing=tuple(MissingItem.from_dict(d) for d in newest.missing or []),
                     reviewer=newest.reviewer)
