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
from assessment.policy_choice import choose_policy
from extraction.documents import SourceDocument, open_document
from extraction.fields import extract_packet_fields
from extraction.models import ExtractionResult, FieldValue, Page
from extraction.nlp import NlpConfig, build_pipeline
from extraction.ocr import build_engine
from extraction.pages import PageReading, read_page, read_pages
from quality.calibration import load_calibration
from rules.evaluator import evaluate
from rules.policy import load_policy
from rules.registry import PolicyRegistry

log = logging.getLogger(__name__)


class Assessor:
    def __init__(self, config: AssessmentConfig | None = None) -> None:
        self.config = config or AssessmentConfig()
        self.default_policy = load_policy(self.config.policy_path)
        self.policies = PolicyRegistry.load(*self.config.policy_dirs).with_file(self.config.policy_path)
        self.engine = build_engine(self.config.ocr_engine, lang=self.config.ocr_lang,
                                   timeout_seconds=self.config.ocr_timeout_seconds,
                                   tessdata=self.config.ocr_tessdata)
        self.calibration = (load_calibration(self.config.calibration_path, self.engine.name)
                            if self.config.calibration_path else None)
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

    def analyze(self, pages: list[Page], source: str, policy_id: str | None = None,
                chosen_by: str = "upload") -> ExtractionResult:
        """Fields -> policy -> criteria -> recommendation. `policy_id` (an upload's or a reviewer's
        choice) overrides the choice from the packet's codes; an unknown id raises UnknownPolicy.
        `seconds` is reading plus analysis time."""
        started = time.perf_counter()
        default_products = frozenset(self.default_policy.policy.products)
        found = extract_packet_fields(pages, self.nlp, default_products)
        fields = self._calibrated(found.fields)
        requested_codes = fields["hcpcs_codes"].value if "hcpcs_codes" in fields else None
        choice = choose_policy(self.policies, list(requested_codes or []), policy_id, chosen_by,
                               self.default_policy.policy.id)
        if choice.policy is not None and frozenset(choice.policy.policy.products) != default_products:
            # Another product is requested: its own mentions are the request, not prior therapy.
            found = extract_packet_fields(pages, self.nlp, frozenset(choice.policy.policy.products))
            fields = self._calibrated(found.fields)
        notices = [choice.notice] if choice.notice else []
        if choice.policy is None:
            criteria, recommendation = [], "needs_more_information"
        else:
            decision = evaluate(choice.policy, fields)
            criteria, recommendation = decision.criteria, decision.recommendation
            notices += decision.notices
        seconds = sum(p.seconds for p in pages) + time.perf_counter() - started
        log.info("analyzed packet: policy=%s pages=%d recommendation=%s seconds=%.2f",
                 choice.applied.id if choice.applied else None, len(pages), recommendation, seconds)
        return ExtractionResult(
            source=source, pages=pages, fields=fields, criteria=criteria,
            recommendation=recommendation, policy=choice.applied,
            seconds=seconds, notices=notices,
            calibration=self.config.calibration_path.name if self.calibration else None,
            other_patient_pages=sorted(found.other_patient_pages),
        )

    def extract(self, data: bytes, source: str, policy_id: str | None = None,
                chosen_by: str = "upload") -> ExtractionResult:
        return self.analyze([reading.page for reading in self.read_pages(data)], source, policy_id, chosen_by)

    def use_calibration(self, path: Path | None) -> None:
        """Switch to another calibration map (a newer version) without rebuilding the pipeline."""
        if path != self.config.calibration_path:
            self.calibration = load_calibration(path, self.engine.name) if path else None
            self.config = dataclasses.replace(self.config, calibration_path=path)

    def _calibrated(self, fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
        if self.calibration is None:
            return fields
        return {name: dataclasses.replace(fv, confidence=self.calibration.apply(fv.confidence),
                                          raw_confidence=fv.confidence)
                for name, fv in fields.items()}
