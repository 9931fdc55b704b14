"""Does a determination match the evidence the reviewer has in front of them?

A reviewer may still decide against the evidence (the system recommends, a person decides), but
only by writing why: a determination recorded over a mismatch needs a note, and the note is
audited as an override. The mismatches:
- any determination with no item reviewed at all (nobody looked at the packet);
- "meets criteria" while a criterion currently stands at not met or insufficient evidence;
- "meets criteria" while some fields or criteria are still unreviewed.
"""
from __future__ import annotations

from dataclasses import dataclass

from intake.db.models import Document
from intake.db.review_models import ReviewerDecision
from intake.review.reevaluate import system_criteria

MEETS_CRITERIA = "meets_criteria"
# Criterion statuses that speak against "meets criteria" (not_applicable does not).
STATUSES_AGAINST_MEETING = ("not_met", "insufficient_evidence")


@dataclass(frozen=True)
class CriterionAgainst:
    id: str
    status: str  # one of STATUSES_AGAINST_MEETING, the reviewer's word if they gave one


@dataclass(frozen=True)
class ReviewProgress:
    """Where the review of one packet stands: items are its fields and its criteria."""
    reviewed: int
    total: int
    criteria_against: tuple[CriterionAgainst, ...]

    @property
    def unreviewed(self) -> int:
        return self.total - self.reviewed


def review_progress(document: Document,
                    decided: dict[tuple[str, str], ReviewerDecision]) -> ReviewProgress:
    """`decided` is decisions.current_decisions(); decisions on items the current assessment no
    longer has (e.g. from before a policy change) do not count as reviewed. Criteria stand as the
    system says now (re-evaluated after a correction) unless a reviewer said otherwise."""
    assessment = document.assessment
    criteria = system_criteria(document)
    items = [("field", name) for name in (assessment.fields if assessment else {})]
    items += [("criterion", c.id) for c in criteria]
    against = []
    for criterion in criteria:
        decision = decided.get(("criterion", criterion.id))
        status = decision.final_value if decision else criterion.status
        if status in STATUSES_AGAINST_MEETING:
            against.append(CriterionAgainst(criterion.id, status))
    return ReviewProgress(reviewed=sum(1 for item in items if item in decided), total=len(items),
                          criteria_against=tuple(against))


def _words(name: str) -> str:
    return name.replace("_", " ")


def mismatches(outcome: str, progress: ReviewProgress) -> list[str]:
    """Why `outcome` does not match the evidence, one phrase each; empty when it matches."""
    found = []
    if progress.reviewed == 0:
        found.append(f"no item has been reviewed (0 of {progress.total})")
    if outcome == MEETS_CRITERIA:
        if progress.criteria_against:
            found.append("criteria not met or without sufficient evidence: " + ", ".join(
                f"{_words(c.id)} ({_words(c.status)})" for c in progress.criteria_against))
        if 0 < progress.reviewed < progress.total:
            found.append(f"{progress.unreviewed} of {progress.total} items not reviewed yet")
    return found


def refusal_message(outcome: str, found: list[str]) -> str:
    """What the reviewer reads when a determination against the evidence comes without a note."""
    way_out = "review the items"
    if outcome == MEETS_CRITERIA:
        way_out += ", refer the packet to the medical director"
    return (f"“{_words(outcome).capitalize()}” needs a note here: {'; '.join(found)}. Either {way_out}, "
            "or write in the note why you decide this way (it is recorded in the audit trail as "
            "an override).")
