"""The Assessor: every stage composed, built once per process from an AssessmentConfig.

Building is the expensive part (spaCy pipeline, NER model, policy, calibration), so a worker or
CLI run builds one and reuses it for every document. The service reads pages in page jobs
(`read_page`) and analyzes the packet once all pages are in (`analyze`); the CLI does both at
once (`extract`). This module only composes stages; each stage lives in its own module.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path

from assessment.config import AssessmentConfig
from extraction.documents import SourceDocument, open_document
from extraction.fields import extract_fields
from extraction.models import ExtractionResult, FieldValue, Page
from extraction.nlp import NlpConfig, build_pipeline
from extraction.ocr import TesseractEngine
from extraction.pages import PageReading, read_page, read_pages
from quality.calibration import load_calibration
from rules.evaluator import evaluate
from rules.policy import load_policy

log = logging.getLogger(__name__)


class Assessor:
    def __init__(self, config: AssessmentConfig | None = None) -> None:
        self.config = config or AssessmentConfig()
        self.policy = load_policy(self.config.policy_path)
        self.calibration = (load_calibration(self.config.calibration_path)
                            if self.config.calibration_path else None)
        self.engine = TesseractEngine(lang=self.config.ocr_lang,
                                      timeout_seconds=self.config.ocr_timeout_seconds)
        self.nlp = build_pipeline(NlpConfig(
            scispacy_model=self.config.scispacy_model,
            ner_model=str(self.config.ner_model) if self.config.ner_model else None))

    def open(self, data: bytes) -> SourceDocument:
        """Open with the configured limits; the caller closes it (it is a context manager)."""
        return open_document(data, self.config.limits)

    def page_count(self, data: bytes) -> int:
        with self.open(data) as doc:
            return doc.page_count

    def read_page(self, data_or_doc: bytes | SourceDocument, index: int) -> PageReading:
        if isinstance(data_or_doc, SourceDocument):
            return read_page(data_or_doc, index, self.engine, cleanup=self.config.ocr_cleanup)
        with self.open(data_or_doc) as doc:
            return read_page(doc, index, self.engine, cleanup=self.config.ocr_cleanup)

    def read_pages(self, data: bytes) -> list[PageReading]:
        with self.open(data) as doc:
            return read_pages(doc, self.engine, max_workers=self.config.page_workers,
                              cleanup=self.config.ocr_cleanup)

    def analyze(self, pages: list[Page], source: str) -> ExtractionResult:
        """Fields -> criteria -> recommendation. `seconds` is reading plus analysis time."""
        started = time.perf_counter()
        fields = self._calibrated(extract_fields(pages, self.nlp))
        decision = evaluate(self.policy, fields)
        seconds = sum(p.seconds for p in pages) + time.perf_counter() - started
        log.info("analyzed packet: policy=%s pages=%d recommendation=%s seconds=%.2f",
                 decision.policy_id, len(pages), decision.recommendation, seconds)
        return ExtractionResult(
            source=source, pages=pages, fields=fields, criteria=decision.criteria,
            recommendation=decision.recommendation, policy_id=decision.policy_id,
            seconds=seconds, notices=decision.notices,
            calibration=self.config.calibration_path.name if self.calibration else None,
        )

    def extract(self, data: bytes, source: str) -> ExtractionResult:
        return self.analyze([reading.page for reading in self.read_pages(data)], source)

    def use_calibration(self, path: Path | None) -> None:
        """Switch to another calibration map (a newer version) without rebuilding the pipeline."""
        if path != self.config.calibration_path:
            self.calibration = load_calibration(path) if path else None
            self.config = dataclasses.replace(self.config, calibration_path=path)

    def _calibrated(self, fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
        if self.calibration is None:
            return fields
        return {name: dataclasses.replace(fv, confidence=self.calibration.apply(fv.confidence),
                                          raw_confidence=fv.confidence)
                for name, fv in fields.items()}
