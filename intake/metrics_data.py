"""What the metrics read from the service database, as the plain values `quality` computes on.

Everything is read at request (or scrape) time from the shared database, so every API process
and worker reports the same figures. Review labels hold packet values (PHI): they are computed
on, never logged.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from assessment.record import AssessmentRecord
from extraction.models import FieldValue
from intake.db.models import ApiKey, Document, DocumentPage
from intake.db.review_models import Determination, ReviewerDecision
from intake.settings import Settings
from quality.calibration import load_calibration
from quality.operations import DocumentTiming, operations_report
from quality.reviews import (EvidenceSource, ReviewedDecision, ReviewLabel, label_from_decision, latest_only,
                             review_report)


@dataclass(frozen=True)
class MetricsScope:
    """Whose documents the figures cover: one API key's uploads, or (api_key_id None) all."""
    api_key_id: str | None = None
    api_key_name: str | None = None

    @classmethod
    def everything(cls) -> "MetricsScope":
        return cls()

    @classmethod
    def of_key(cls, key: ApiKey) -> "MetricsScope":
        return cls(key.id, key.name)

    def restrict(self, query: Select, document_id_column: Any = Document.id) -> Select:
        """`query` limited to rows of this scope's documents (joined through `document_id_column`)."""
        if self.api_key_id is None:
            return query
        return query.where(document_id_column.in_(select(Document.id)
                                                 .where(Document.api_key_id == self.api_key_id)))

    def describe(self) -> dict[str, str | None]:
        return {"documents": "all" if self.api_key_id is None else "api_key", "api_key": self.api_key_name}


ALL_DOCUMENTS = MetricsScope.everything()


def load_review_labels(db: Session, scope: MetricsScope = ALL_DOCUMENTS) -> list[ReviewLabel]:
    """The newest decision per document and field/criterion, with the document's stored result."""
    query = scope.restrict(select(ReviewerDecision).order_by(ReviewerDecision.id), ReviewerDecision.document_id)
    decisions = latest_only(
        ReviewedDecision(d.document_id, d.kind, d.name, d.extracted_value, d.extracted_confidence,
                         d.final_value, d.action, d.at)
        for d in db.scalars(query))
    ids = sorted({d.document_id for d in decisions})
    results = dict(db.execute(select(Document.id, Document.result).where(Document.id.in_(ids))).all()) if ids else {}
    records = {doc_id: AssessmentRecord.from_dict(result) for doc_id, result in results.items() if result}
    return [label_from_decision(d, _evidence_source(records.get(d.document_id), d)) for d in decisions]


def _evidence_source(record: AssessmentRecord | None, decision: ReviewedDecision) -> EvidenceSource:
    if record is None:
        return EvidenceSource(raw_confidence=None)
    item = record.fields.get(decision.name) if decision.kind == "field" else record.criterion(decision.name)
    if item is None:
        return EvidenceSource(raw_confidence=None)
    raw = item.raw_confidence if isinstance(item, FieldValue) else None  # criteria are not calibrated
    page = (next((p for p in record.page_details if p.page == item.evidence[0].page), None)
            if item.evidence else None)
    if page is None:
        return EvidenceSource(raw_confidence=raw)
    return EvidenceSource(raw_confidence=raw, page_method=page.method, page_mean_confidence=page.mean_confidence)


def load_determination_pairs(db: Session, scope: MetricsScope = ALL_DOCUMENTS) -> list[tuple[str, str]]:
    """(recommendation, newest determination) per reviewed document."""
    newest: dict[str, tuple[str, str]] = {}
    rows = db.execute(scope.restrict(select(Determination.document_id, Document.recommendation, Determination.outcome)
                                     .join(Document, Document.id == Determination.document_id)
                                     .order_by(Determination.id)))
    for document_id, recommendation, outcome in rows:
        newest[document_id] = (recommendation or "", outcome)
    return list(newest.values())


def load_document_timings(db: Session, scope: MetricsScope = ALL_DOCUMENTS) -> list[DocumentTiming]:
    rows = db.execute(scope.restrict(select(Document.status, Document.received_at, Document.finished_at,
                                            Document.page_count, Document.error_code)))
    return [DocumentTiming(*row) for row in rows]


def pages_by_method(db: Session, since: dt.datetime | None = None,
                    scope: MetricsScope = ALL_DOCUMENTS) -> dict[str, int]:
    """Pages read (status done), by reading method; only pages finished since `since` if given."""
    query = scope.restrict(select(DocumentPage.method, func.count()).where(DocumentPage.status == "done")
                           .group_by(DocumentPage.method), DocumentPage.document_id)
    if since is not None:
        query = query.where(DocumentPage.updated_at >= since)
    return {method or "unknown": count for method, count in db.execute(query)}


def calibration_in_use(settings: Settings) -> dict[str, Any] | None:
    """The map new results get, with the held-out figures measured when it was fitted."""
    path = settings.calibration_path()
    if path is None:
        return None
    calibration = load_calibration(path)
    return {"name": path.name, "kind": calibration.kind, "fitted_at": calibration.fitted_at,
            "samples": calibration.samples, "source": calibration.source,
            "held_out": calibration.evaluation}


def accuracy_figures(db: Session, settings: Settings, scope: MetricsScope = ALL_DOCUMENTS,
                     bins: int = 10) -> dict[str, Any]:
    """Everything `/v1/metrics/accuracy` and the dashboard show about review accuracy."""
    path = settings.calibration_path()
    report = review_report(load_review_labels(db, scope), load_determination_pairs(db, scope),
                           load_calibration(path) if path else None, bins)
    report["calibration_in_use"] = calibration_in_use(settings)
    report["scope"] = scope.describe()
    return report


def operations_figures(db: Session, now: dt.datetime, window: dt.timedelta,
                       scope: MetricsScope = ALL_DOCUMENTS) -> dict[str, Any]:
    report = operations_report(load_document_timings(db, scope), pages_by_method(db, since=now - window, scope=scope),
                               now, window)
    report["scope"] = scope.describe()
    return report
