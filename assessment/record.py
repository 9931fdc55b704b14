"""A packet's assessment as it is stored and served: the typed form of `ExtractionResult.to_dict()`.

The database keeps the JSON; every reader (review, metrics, API) turns it back into this type with
`AssessmentRecord.from_dict` and reads attributes, never keys. `from_dict(r.to_dict()) == r`:
nothing is lost on the way through the database.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from extraction.models import RECOMMENDATIONS, AppliedPolicy, CriterionResult, FieldValue, Recommendation


@dataclass(frozen=True)
class PageSummary:
    page: int
    method: str
    width: float
    height: float
    rotation: int
    skew: float
    mean_confidence: float
    seconds: float
    words: int
    checkboxes: int
    error: str | None = None


@dataclass
class AssessmentRecord:
    source: str
    pages: int
    fields: dict[str, FieldValue]
    criteria: list[CriterionResult]
    recommendation: Recommendation
    policy: AppliedPolicy | None
    notices: list[str] = field(default_factory=list)
    page_details: list[PageSummary] = field(default_factory=list)
    seconds: float = 0.0
    calibration: str | None = None
    other_patient_pages: list[int] = field(default_factory=list)  # misfiled pages (extraction/fields_people.py)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AssessmentRecord":
        if d["recommendation"] not in RECOMMENDATIONS:
            raise ValueError(f"unknown recommendation {d['recommendation']!r}")
        # Rows stored before a key existed (notices, calibration, page details, other patient's
        # pages) read as empty.
        return cls(
            source=d["source"], pages=d["pages"],
            fields={name: FieldValue.from_dict(name, found) for name, found in d["fields"].items()},
            criteria=[CriterionResult.from_dict(c) for c in d["criteria"]],
            recommendation=d["recommendation"], policy=AppliedPolicy.from_dict(d["policy"]), notices=list(d.get("notices", [])),
            page_details=[PageSummary(**p) for p in d.get("page_details", [])], seconds=d.get("seconds", 0.0),
            calibration=d.get("calibration"), other_patient_pages=list(d.get("other_patient_pages", [])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "pages": self.pages,
            "fields": {name: fv.to_dict() for name, fv in self.fields.items()},
            "criteria": [c.to_dict() for c in self.criteria],
            "recommendation": self.recommendation, "policy": self.policy.to_dict() if self.policy else None, "notices": list(self.notices),
            "page_details": [asdict(p) for p in self.page_details], "seconds": self.seconds,
            "calibration": self.calibration, "other_patient_pages": list(self.other_patient_pages),
            "blank_pages": self.blank_pages,
        }

    @property
    def blank_pages(self) -> list[int]:
        """Pages that gave no words: blank, or their reading failed (as ExtractionResult.blank_pages)."""
        return [p.page for p in self.page_details if p.method == "failed" or p.words == 0]

    def criterion(self, criterion_id: str) -> CriterionResult | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)
