"""Typed objects that move between the extraction stages.

stored bytes -> Page (words with boxes and confidences) -> PacketText (one string with
offsets back to words) -> FieldValue (value + evidence) -> CriterionResult -> ExtractionResult.

Coordinates: every box, for text-layer and OCR pages alike, is in PDF points (1/72 inch)
with the origin at the top-left corner of the upright page, so a UI draws it on any
rendering of the page by scaling with (image_width / page.width).
spaCy spans never leave `extraction.fields`; only these objects cross a process or JSON
boundary.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PageMethod = Literal["text_layer", "ocr", "failed"]
CriterionStatus = Literal["met", "not_met", "insufficient_evidence", "not_applicable"]
Recommendation = Literal["meets_criteria", "does_not_meet_criteria", "needs_more_information"]

CRITERION_STATUSES: tuple[str, ...] = ("met", "not_met", "insufficient_evidence", "not_applicable")
RECOMMENDATIONS: tuple[str, ...] = ("meets_criteria", "does_not_meet_criteria", "needs_more_information")


@dataclass(frozen=True)
class BBox:
    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        if not (self.x0 <= self.x1 and self.y0 <= self.y1):
            raise ValueError(f"invalid box {self.as_list()}: corners out of order")
        if min(self.x0, self.y0) < -1e-6:
            raise ValueError(f"invalid box {self.as_list()}: negative coordinate")

    def as_list(self) -> list[float]:
        return [round(self.x0, 1), round(self.y0, 1), round(self.x1, 1), round(self.y1, 1)]

    @staticmethod
    def from_list(corners: list[float]) -> "BBox":
        x0, y0, x1, y1 = corners
        return BBox(x0, y0, x1, y1)

    @staticmethod
    def union(boxes: list["BBox"]) -> "BBox | None":
        if not boxes:
            return None
        return BBox(
            min(b.x0 for b in boxes), min(b.y0 for b in boxes),
            max(b.x1 for b in boxes), max(b.y1 for b in boxes),
        )


@dataclass(frozen=True)
class Word:
    text: str
    bbox: BBox
    confidence: float  # 0..1; 1.0 for a real text layer
    line: int = 0  # reading-order line index within the page (0 when the source gave none)
    circled: bool = False  # a hand-drawn ring around it: an answer circled on a form

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"word confidence {self.confidence} outside 0..1")


@dataclass(frozen=True)
class Checkbox:
    """A form checkbox found on the page, decided from its pixels (or a text-layer glyph)."""
    bbox: BBox
    checked: bool
    fill_ratio: float  # dark-pixel share inside the box, 0..1
    confidence: float  # 0..1: how far the fill is from the decision threshold


@dataclass
class Page:
    number: int  # 1-based
    width: float  # points
    height: float  # points
    method: PageMethod
    words: list[Word] = field(default_factory=list)
    checkboxes: list[Checkbox] = field(default_factory=list)
    rotation: int = 0  # degrees clockwise applied to make the page upright
    skew: float = 0.0  # degrees of small skew corrected
    mean_confidence: float = 0.0
    seconds: float = 0.0
    error: str | None = None  # a page that could not be read degrades to this

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class Evidence:
    page: int
    text: str
    bbox: BBox | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"page": self.page, "text": self.text,
                "bbox": self.bbox.as_list() if self.bbox else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Evidence":
        return cls(d["page"], d["text"], BBox.from_list(d["bbox"]) if d["bbox"] else None)


@dataclass
class FieldValue:
    name: str
    value: Any
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    note: str | None = None  # e.g. "form checkbox and clinical note disagree"
    raw_confidence: float | None = None  # before the calibration map; None when none was applied

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.note:
            out["note"] = self.note
        if self.raw_confidence is not None:  # refitting a calibration needs the raw scores
            out["raw_confidence"] = round(self.raw_confidence, 3)
        return out

    @classmethod
    def from_dict(cls, name: str, d: dict[str, Any]) -> "FieldValue":
        return cls(name, d["value"], d["confidence"], [Evidence.from_dict(e) for e in d["evidence"]],
                   d.get("note"), d.get("raw_confidence"))


@dataclass
class CriterionResult:
    id: str
    status: CriterionStatus
    confidence: float
    explanation: str
    evidence: list[Evidence] = field(default_factory=list)
    guideline_text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "confidence": round(self.confidence, 3),
            "evidence": [e.to_dict() for e in self.evidence],
            "explanation": self.explanation,
            "guideline_text": self.guideline_text,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CriterionResult":
        if d["status"] not in CRITERION_STATUSES:
            raise ValueError(f"criterion {d['id']!r}: unknown status {d['status']!r}")
        return cls(d["id"], d["status"], d["confidence"], d["explanation"],
                   [Evidence.from_dict(e) for e in d["evidence"]], d["guideline_text"])


@dataclass(frozen=True)
class AppliedPolicy:
    """Which rulebook a packet was judged by, and why that one (a label; the rules live in rules/)."""
    id: str
    version: str
    name: str
    chosen_by: str  # "upload", "reviewer", "hcpcs Q2058", "default (no governed code read)"
    basis: str = ""  # "payer guideline" or "FDA-approved indication"

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "name": self.name, "chosen_by": self.chosen_by,
                "basis": self.basis}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | str | None) -> "AppliedPolicy | None":
        if d is None:
            return None
        if isinstance(d, str):  # results stored before the policy was recorded as an object
            return cls(id=d, version="", name="", chosen_by="")
        return cls(id=d["id"], version=d["version"], name=d["name"], chosen_by=d["chosen_by"],
                   basis=d.get("basis", ""))


@dataclass
class ExtractionResult:
    source: str
    pages: list[Page]
    fields: dict[str, FieldValue]
    criteria: list[CriterionResult]
    recommendation: Recommendation
    policy: AppliedPolicy | None = None  # None: no policy could be chosen; a reviewer picks one
    seconds: float = 0.0
    notices: list[str] = field(default_factory=list)  # informational policy notes, not criteria
    calibration: str | None = None  # name of the calibration map applied to field confidences
    # Pages about another patient (a misfiled page: its labelled name or birth date is not the
    # packet's); the extraction already leaves them out of the fields.
    other_patient_pages: list[int] = field(default_factory=list)

    @property
    def blank_pages(self) -> list[int]:
        """Pages that gave no words: blank, or their reading failed."""
        return [page.number for page in self.pages if page.method == "failed" or not page.words]

    def to_dict(self) -> dict[str, Any]:
        """The output contract of `intake extract --json` (and of the service's results)."""
        return {
            "source": self.source,
            "pages": len(self.pages),
            "fields": {name: fv.to_dict() for name, fv in self.fields.items()},
            "criteria": [c.to_dict() for c in self.criteria],
            "recommendation": self.recommendation,
            "policy": self.policy.to_dict() if self.policy else None,
            "notices": list(self.notices),
            "page_details": [page_summary(p) for p in self.pages],
            "seconds": round(self.seconds, 3),
            "calibration": self.calibration,
            "other_patient_pages": list(self.other_patient_pages),
            "blank_pages": self.blank_pages,
        }


def page_summary(page: Page) -> dict[str, Any]:
    return {
        "page": page.number, "method": page.method, "width": page.width, "height": page.height,
        "rotation": page.rotation, "skew": round(page.skew, 2),
        "mean_confidence": round(page.mean_confidence, 3), "seconds": round(page.seconds, 3),
        "words": len(page.words), "checkboxes": len(page.checkboxes), "error": page.error,
    }


def page_to_dict(page: Page) -> dict[str, Any]:
    """Full page, words included: how pages cross the queue between page and packet jobs."""
    d = asdict(page)
    return d


def page_from_dict(d: dict[str, Any]) -> Page:
    words = [Word(w["text"], BBox(**w["bbox"]), w["confidence"], w.get("line", 0), w.get("circled", False))
             for w in d.get("words", [])]
    boxes = [Checkbox(BBox(**c["bbox"]), c["checked"], c["fill_ratio"], c["confidence"])
             for c in d.get("checkboxes", [])]
    return Page(
        number=d["number"], width=d["width"], height=d["height"], method=d["method"],
        words=words, checkboxes=boxes, rotation=d.get("rotation", 0), skew=d.get("skew", 0.0),
        mean_confidence=d.get("mean_confidence", 0.0), seconds=d.get("seconds", 0.0),
        error=d.get("error"),
    )
