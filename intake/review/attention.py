"""Exceptions first: which items (fields and criteria) of a packet need a reviewer's attention,
and which are routine.

An item needs attention when the system is unsure or the packet speaks against it:
- a field was not found (no value and no evidence);
- a field's sources gave conflicting values (the extraction's note says so; the values it kept are
  listed with their pages);
- its calibrated confidence is below the review threshold (INTAKE_REVIEW_LOW_CONFIDENCE, the one
  the queue's low-confidence flag uses);
- its evidence lies on a page that failed, was read with an error (degraded) or is blank, on a
  page of another patient (misfiled: the extraction read another name or birth date there), or on
  a page that had to be turned upright before it could be read (rotated);
- a criterion is not met or has insufficient evidence, or the rules re-evaluated it on reviewed
  values to another status than the extraction's.
Everything else is routine: a reviewer may confirm all routine items at once (routine.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from extraction.models import CriterionResult, Evidence, FieldValue
from intake.db.models import Document
from intake.review.determination_check import STATUSES_AGAINST_MEETING
from intake.review.reevaluate import system_criteria

# The extraction's notes that mean the packet gave more than one value for the field
# (extraction/fields_*.py, therapy_history.py); other notes are explanations, not conflicts.
CONFLICT_NOTE = re.compile(r"different (values|dates)|disagree|both .+ mentioned|more than one", re.IGNORECASE)


@dataclass(frozen=True)
class FoundValue:
    """One value the packet gave for a conflicting field, and the pages it stands on."""
    text: str
    pages: tuple[int, ...]


@dataclass(frozen=True)
class Attention:
    reasons: tuple[str, ...]  # empty: routine
    conflicting: tuple[FoundValue, ...] = ()

    @property
    def needed(self) -> bool:
        return bool(self.reasons)


def page_problems(document: Document) -> dict[int, str]:
    """Pages whose evidence cannot be taken at face value: page number -> what is wrong with it."""
    problems: dict[int, str] = {}
    assessment = document.assessment
    for detail in assessment.page_details if assessment else []:
        if detail.method == "failed":
            problems[detail.page] = "could not be read"
        elif detail.error:
            problems[detail.page] = "was read with errors"
        elif detail.words == 0 and detail.checkboxes == 0:
            problems[detail.page] = "is blank"
        elif detail.rotation % 360:  # read upright, but a sideways or upside-down fax is worth a look
            problems[detail.page] = f"was turned upright (rotated {detail.rotation % 360}°)"
    for row in document.pages:  # pages the analysis never saw (a page job that failed)
        if row.number not in problems and (row.method == "failed" or row.error):
            problems[row.number] = "could not be read"
    for page in assessment.other_patient_pages if assessment else []:
        problems[page] = "belongs to another patient"  # whatever else is wrong with it, this matters most
    return problems


def _page_reasons(evidence: Iterable[Evidence], problems: dict[int, str]) -> list[str]:
    pages = sorted({item.page for item in evidence if item.page in problems})
    return [f"evidence on page {page}, which {problems[page]}" for page in pages]


def _found_values(evidence: list[Evidence]) -> tuple[FoundValue, ...]:
    pages: dict[str, list[int]] = {}
    for item in evidence:
        on = pages.setdefault(item.text, [])
        if item.page not in on:
            on.append(item.page)
    return tuple(FoundValue(text, tuple(sorted(numbers))) for text, numbers in pages.items())


def field_attention(found: FieldValue, problems: dict[int, str], low_below: float) -> Attention:
    reasons = []
    if found.value is None and not found.evidence:
        reasons.append("not found in the packet")
    conflicting: tuple[FoundValue, ...] = ()
    if found.note and CONFLICT_NOTE.search(found.note):
        reasons.append("conflicting values")  # the note itself is shown next to the item
        conflicting = _found_values(found.evidence)
    elif found.confidence < low_below and found.value is not None:
        reasons.append(f"confidence {round(100 * found.confidence)}% is below {round(100 * low_below)}%")
    reasons += _page_reasons(found.evidence, problems)
    return Attention(tuple(reasons), conflicting)


def criterion_attention(current: CriterionResult, extracted_status: str, problems: dict[int, str],
                        low_below: float) -> Attention:
    """`current` is the system's word now (re-evaluated on reviewed values, if any)."""
    reasons = []
    if current.status in STATUSES_AGAINST_MEETING:
        reasons.append(current.status.replace("_", " "))
    if current.status != extracted_status:
        reasons.append("re-evaluated on the reviewed values")
    if current.confidence < low_below and current.status != "not_applicable":
        reasons.append(f"confidence {round(100 * current.confidence)}% is below {round(100 * low_below)}%")
    reasons += _page_reasons(current.evidence, problems)
    return Attention(tuple(reasons))


def packet_attention(document: Document, low_below: float) -> dict[tuple[str, str], Attention]:
    """Every item of the packet, keyed like reviewer decisions: ("field", name), ("criterion", id);
    fields first, in the order the packet page shows them."""
    assessment = document.assessment
    if assessment is None:
        return {}
    problems = page_problems(document)
    items = {("field", name): field_attention(found, problems, low_below)
             for name, found in assessment.fields.items()}
    extracted = {c.id: c.status for c in assessment.criteria}
    for current in system_criteria(document):
        items[("criterion", current.id)] = criterion_attention(
            current, extracted.get(current.id, current.status), problems, low_below)
    return items


def undecided(document: Document, decided: Mapping[tuple[str, str], object], low_below: float,
              needing_attention: bool) -> list[tuple[str, str]]:
    """Items nobody decided yet (`decided`: the standing reviewer decisions) that need attention,
    or (needing_attention False) that are routine; in packet order."""
    return [key for key, attention in packet_attention(document, low_below).items()
            if attention.needed == needing_attention and key not in decided]
