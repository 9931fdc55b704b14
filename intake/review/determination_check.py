"""Is a packet ready for a determination, and does the determination match the evidence?

Every item (field and criterion) must be reviewed before any determination, whatever the outcome
and whatever a note says (issue 11: a determination was accepted with 0 of 19 items reviewed);
"confirm all routine items" is the fast way there. Once every item is reviewed, a reviewer may
still decide against the evidence (the system recommends, a person decides), but only by writing
why: "meets criteria" while a criterion currently stands at not met or insufficient evidence
needs a note, and the note is audited as an override.
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
    """Where the review of one packet stands: items are its fields and its criteria. `corrected`
    and `overridden` count the reviewed items whose standing decision changed the system's word
    (what the determination bar sums up before the reviewer submits)."""
    reviewed: int
    total: int
    criteria_against: tuple[CriterionAgainst, ...]
    corrected: int = 0
    overridden: int = 0

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
    standing = [decided[item] for item in items if item in decided]
    return ReviewProgress(reviewed=len(standing), total=len(items), criteria_against=tuple(against),
                          corrected=sum(1 for d in standing if d.action == "corrected"),
                          overridden=sum(1 for d in standing if d.action == "overridden"))


def _words(name: str) -> str:
    return name.replace("_", " ")


def items_left(progress: ReviewProgress) -> str | None:
    """Why no determination can be recorded yet (items nobody reviewed), or None when every item
    is reviewed. A note does not lift it: a determination must rest on a full review."""
    if progress.unreviewed <= 0:
        return None
    left = "1 item is" if progress.unreviewed == 1 else f"{progress.unreviewed} items are"
    return (f"{left} not reviewed yet ({progress.reviewed} of {progress.total} reviewed). Review every "
            "item before recording a determination (“Confirm all routine items” confirms the routine "
            "ones in one action).")


def mismatches(outcome: str, progress: ReviewProgress) -> list[str]:
    """Why `outcome` does not match the evidence of a fully reviewed packet, one phrase each;
    empty when it matches (items_left is checked first)."""
    found = []
    if outcome == MEETS_CRITERIA and progress.criteria_against:
        found.append("criteria not met or without sufficient evidence: " + ", ".join(
            f"{_words(c.id)} ({_words(c.status)})" for c in progress.criteria_against))
    return found


def refusal_message(outcome: str, found: list[str]) -> str:
    """What the reviewer reads when a determination against the evidence comes without a note."""
    return (f"“{_words(outcome).capitalize()}” needs a note here: {'; '.join(found)}. Either refer the "
            "packet to the medical director, or write in the note why you decide this way (it is "
            "recorded in the audit trail as an override).")
