"""Accuracy measured from reviewer decisions, with the definitions of `quality.metrics`.

Every reviewed field and criterion is a label: the extracted value is the prediction, the
reviewer's final value the truth (a confirmation says they agree, a correction or override says
what it should have been). Only the newest decision per document and (kind, name) counts.
Labels carry the page the first evidence came from, so accuracy can be split by how that page
was read (text layer or OCR) and by its mean OCR word confidence.

Pure functions over plain values: the service loads decisions and results from its database
(`intake.metrics_data`) and hands them here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from quality import metrics
from quality.calibration import Calibration

NO_EVIDENCE = "none"
# How a determination maps onto the recommendation it agrees with. A reviewer never denies:
# a packet that does not meet criteria is referred to the medical director.
DETERMINATION_FOR_RECOMMENDATION = {
    "meets_criteria": "meets_criteria",
    "does_not_meet_criteria": "refer_to_medical_director",
    "needs_more_information": "request_more_information",
}


@dataclass(frozen=True)
class ReviewLabel:
    document_id: str
    kind: str  # "field" or "criterion"
    name: str
    extracted: Any  # a field's value or a criterion's status, as extracted
    final: Any  # the reviewer's value or status
    action: str  # confirmed, corrected, overridden
    confidence: float | None  # as served to the reviewer (calibrated when a map was in use)
    raw_confidence: float | None  # before any calibration map
    reviewed_on: dt.date
    page_method: str  # text_layer, ocr, failed, or "none" without evidence
    ocr_confidence: float | None  # mean OCR word confidence of that page (OCR pages only)

    @property
    def correct(self) -> bool:
        return metrics.values_equal(self.extracted, self.final)


@dataclass(frozen=True)
class ReviewedDecision:
    """One reviewer decision on a field or criterion, as stored."""
    document_id: str
    kind: str  # "field" or "criterion"
    name: str
    extracted_value: Any
    extracted_confidence: float | None
    final_value: Any
    action: str
    at: dt.datetime


@dataclass(frozen=True)
class EvidenceSource:
    """Where the decided item's first evidence came from, read off the document's stored result."""
    raw_confidence: float | None  # the item's confidence before any calibration map
    page_method: str = NO_EVIDENCE  # text_layer, ocr, failed, or "none" without evidence
    page_mean_confidence: float | None = None


def label_from_decision(decision: ReviewedDecision, source: EvidenceSource) -> ReviewLabel:
    return ReviewLabel(
        document_id=decision.document_id, kind=decision.kind, name=decision.name,
        extracted=decision.extracted_value, final=decision.final_value, action=decision.action,
        confidence=decision.extracted_confidence,
        raw_confidence=source.raw_confidence if source.raw_confidence is not None else decision.extracted_confidence,
        reviewed_on=decision.at.date(), page_method=source.page_method,
        ocr_confidence=source.page_mean_confidence if source.page_method == "ocr" else None)


def latest_only(decisions: Iterable[ReviewedDecision]) -> list[ReviewedDecision]:
    """The newest decision per (document, kind, name); `decisions` in the order they were made."""
    newest: dict[tuple[str, str, str], ReviewedDecision] = {}
    for decision in decisions:
        newest[(decision.document_id, decision.kind, decision.name)] = decision
    return list(newest.values())


def fields_of(labels: Iterable[ReviewLabel]) -> list[ReviewLabel]:
    return [label for label in labels if label.kind == "field"]


def field_accuracy(labels: Iterable[ReviewLabel]) -> dict[str, metrics.Ratio]:
    """Per field: extracted value equals the reviewer's final value (metrics.field_accuracy)."""
    per_document: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for label in fields_of(labels):
        predicted, expected = per_document.setdefault(label.document_id, ({}, {}))
        predicted[label.name], expected[label.name] = label.extracted, label.final
    return metrics.field_accuracy(per_document.values())


def actions(labels: Iterable[ReviewLabel], kind: str) -> dict[str, dict[str, int]]:
    """{name: {action: count}}: how often a field was accepted as extracted or corrected."""
    counts: dict[str, dict[str, int]] = {}
    for label in labels:
        if label.kind == kind:
            per_name = counts.setdefault(label.name, {})
            per_name[label.action] = per_name.get(label.action, 0) + 1
    return {name: counts[name] for name in sorted(counts)}


def accuracy_by_page_method(labels: Iterable[ReviewLabel]) -> dict[str, metrics.Ratio]:
    groups: dict[str, list[bool]] = {}
    for label in fields_of(labels):
        groups.setdefault(label.page_method, []).append(label.correct)
    return {method: metrics.Ratio(sum(oks), len(oks)) for method, oks in sorted(groups.items())}


def accuracy_by_ocr_confidence(labels: Iterable[ReviewLabel],
                               bins: int = 5) -> list[metrics.ReliabilityBin]:
    """Field accuracy against the evidence page's mean OCR confidence, in equal-width bins."""
    ocr = [label for label in fields_of(labels) if label.ocr_confidence is not None]
    return metrics.reliability_table([label.ocr_confidence for label in ocr],
                                     [label.correct for label in ocr], bins)


def criterion_agreement(labels: Iterable[ReviewLabel]) -> dict[str, dict[str, dict[str, int]]]:
    """Per criterion: {reviewer's status: {extracted status: count}} (metrics.criterion_confusion)."""
    per_document: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    for label in labels:
        if label.kind == "criterion":
            predicted, expected = per_document.setdefault(label.document_id, ({}, {}))
            predicted[label.name], expected[label.name] = label.extracted, label.final
    return metrics.criterion_confusion(per_document.values())


def recommendation_agreement(pairs: Iterable[tuple[str, str]]) -> metrics.Ratio:
    """pairs: (recommendation, the reviewer's determination) per reviewed packet."""
    return metrics.recommendation_accuracy(
        (DETERMINATION_FOR_RECOMMENDATION.get(recommendation, recommendation), determination)
        for recommendation, determination in pairs)


def scored(labels: Iterable[ReviewLabel], raw: bool = False) -> list[tuple[str, float, bool]]:
    """(field, confidence, correct) for calibration figures; labels without a confidence skip."""
    out = []
    for label in fields_of(labels):
        confidence = label.raw_confidence if raw else label.confidence
        if confidence is not None:
            out.append((label.name, float(confidence), label.correct))
    return out


def field_accuracy_per_day(labels: Iterable[ReviewLabel]) -> dict[str, dict[str, metrics.Ratio]]:
    """{ISO day the decision was made: {field: accuracy of that day's labels}}."""
    days: dict[dt.date, list[ReviewLabel]] = {}
    for label in fields_of(labels):
        days.setdefault(label.reviewed_on, []).append(label)
    return {day.isoformat(): field_accuracy(day_labels) for day, day_labels in sorted(days.items())}


def review_report(labels: Sequence[ReviewLabel], determinations: Iterable[tuple[str, str]],
                  calibration: Calibration | None = None, bins: int = 10) -> dict[str, Any]:
    """Every review figure as JSON-ready values. Calibration is reported three ways: the raw
    extractor confidences, the confidences as served (whatever map was in use then), and the
    raw confidences through `calibration` (the newest map) - before and after, on the same labels."""
    field_acc = field_accuracy(labels)
    agreement = criterion_agreement(labels)
    raw = scored(labels, raw=True)
    calibration_figures = {"raw": metrics.calibration_summary(raw, bins),
                           "served": metrics.calibration_summary(scored(labels), bins)}
    if calibration is not None:
        calibration_figures["newest_map"] = metrics.calibration_summary(
            [(name, calibration.apply(c), ok) for name, c, ok in raw], bins)
    return {
        "labels": {"fields": len(fields_of(labels)), "criteria": len(labels) - len(fields_of(labels)),
                   "documents": len({label.document_id for label in labels})},
        "field_accuracy": {name: r.to_dict() for name, r in field_acc.items()},
        "field_accuracy_overall": metrics.overall(field_acc.values()).to_dict(),
        "field_actions": actions(labels, "field"),
        "criterion_actions": actions(labels, "criterion"),
        "accuracy_by_page_method": {m: r.to_dict() for m, r in accuracy_by_page_method(labels).items()},
        "accuracy_by_ocr_confidence": [asdict(b) for b in accuracy_by_ocr_confidence(labels)],
        "criterion_confusion": agreement,
        "criterion_agreement": {c: metrics.confusion_accuracy(t).to_dict() for c, t in agreement.items()},
        "recommendation_agreement": recommendation_agreement(determinations).to_dict(),
        "calibration": calibration_figures,
        "field_accuracy_per_day": {day: {n: r.to_dict() for n, r in per_field.items()}
                                   for day, per_field in field_accuracy_per_day(labels).items()},
    }
