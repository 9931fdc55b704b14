"""`/metrics` in Prometheus text format, and `/v1/metrics/*` as JSON.

The Prometheus figures come from one custom Collector that reads the database and Redis at
scrape time. There are no in-process counters: with several API processes and workers, each
would only know its own share; the database knows all of it. Totals (documents ready, failed,
pages read) are counters derived from rows; windowed figures (rates, percentiles, failure rate,
OCR share over `INTAKE_METRICS_WINDOW_HOURS`) are gauges. No patient data is exported: labels
are statuses, error codes, reading methods and field names only. `/metrics` may be held to an
internal address (INTAKE_METRICS_LISTEN) or a bearer token (INTAKE_METRICS_TOKEN); the JSON
figures are scoped to the caller's API key (`metrics_reader`).
"""
from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from intake.auth import api_key_header, require_api_key
from intake.blob_sweep import sweep_totals
from intake.db.models import DOCUMENT_STATUSES, utcnow
from intake.db.session import get_session
from intake import outbox
from intake.http_errors import ApiError, error_responses
from intake.metrics_data import (MetricsScope, accuracy_figures, load_document_timings,
                                 load_review_labels,
                                 operations_figures, pages_by_method)
from intake.queue import JobQueue
from intake.review.accounts import SignedIn
from intake.settings import Settings
from intake.web.auth import optional_user
from quality import metrics
from quality.operations import (PERCENTILES, DocumentTiming, failures_by_reason, latency_histogram,
                                operations_report, status_counts)
from quality.reviews import ReviewLabel, field_accuracy, scored

log = logging.getLogger(__name__)
router = APIRouter(tags=["metrics"])


class IntakeCollector(Collector):
    def __init__(self, sessions: sessionmaker[Session], queue: JobQueue, settings: Settings) -> None:
        self.sessions = sessions
        self.queue = queue
        self.queue_name = settings.queue_name
        self.window = timedelta(hours=settings.metrics_window_hours)

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self.sessions() as db:
            documents = load_document_timings(db)
            pages_total = pages_by_method(db)
            ops = operations_report(documents, pages_by_method(db, since=now - self.window), now, self.window)
            labels = load_review_labels(db)
            outbox_figures = (outbox.counts_by_state(db), outbox.attempts_total(db),
                              outbox.oldest_pending_age_seconds(db))
        yield from _document_metrics(documents, pages_total)
        yield from _outbox_metrics(*outbox_figures)
        yield from _window_metrics(ops)
        yield from _review_metrics(labels)
        yield from self._redis_metrics()

    def _redis_metrics(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("intake_redis_up", "1 when the job queue's Redis answered this scrape")
        jobs = GaugeMetricFamily("intake_queue_jobs", "RQ jobs of the intake queue by state", labels=["state"])
        queue = self.queue.queue
        try:
            counts = {"queued": queue.count, "started": queue.started_job_registry.count,
                      "scheduled": queue.scheduled_job_registry.count, "failed": queue.failed_job_registry.count}
        except RedisError as exc:
            log.warning("metrics: redis unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for state, count in counts.items():
            jobs.add_metric([state], count)
        yield up
        yield jobs
        yield from self._blob_sweep_metrics()

    def _blob_sweep_metrics(self) -> Iterator[Metric]:
        try:
            totals = sweep_totals(self.queue.redis, self.queue_name)
        except RedisError:
            return
        yield CounterMetricFamily("intake_orphan_blobs_removed", "Blobs no row referenced, removed by the sweep",
                                  value=totals.removed)
        yield CounterMetricFamily("intake_orphan_blob_bytes_removed", "Bytes of those blobs",
                                  value=totals.removed_bytes)
        yield CounterMetricFamily("intake_orphan_temp_files_removed", "Partial uploads left by killed processes",
                                  value=totals.temp_removed)
        yield GaugeMetricFamily("intake_blob_sweep_last_run_timestamp_seconds",
                                "When the orphan blob sweep last ran (0: not since Redis started)",
                                value=totals.last_run)


def _document_metrics(documents: list[DocumentTiming], pages_total: dict[str, int]) -> Iterator[Metric]:
    by_status = GaugeMetricFamily("intake_documents", "Documents by current status (queue depth: "
                                  "received, queued, processing)", labels=["status"])
    for status, count in ({s: 0 for s in DOCUMENT_STATUSES} | status_counts(documents)).items():
        by_status.add_metric([status], count)
    yield by_status

    ready = CounterMetricFamily("intake_documents_ready", "Documents that reached ready_for_review")
    ready.add_metric([], sum(d.ready for d in documents))
    yield ready
    failed = CounterMetricFamily("intake_documents_failed", "Documents that failed, by error code",
                                 labels=["reason"])
    for reason, count in failures_by_reason(documents).items():
        failed.add_metric([reason], count)
    yield failed
    pages = CounterMetricFamily("intake_pages_read", "Pages read, by method (text_layer, ocr, failed)",
                                labels=["method"])
    for method, count in sorted(pages_total.items()):
        pages.add_metric([method], count)
    yield pages

    latencies = [d.latency_seconds for d in documents if d.latency_seconds is not None]
    histogram = HistogramMetricFamily("intake_upload_to_ready_seconds",
                                      "Seconds from upload to ready_for_review, every ready document")
    histogram.add_metric([], [(floatToGoString(bound), count) for bound, count in latency_histogram(latencies)],
                         sum_value=sum(latencies))
    yield histogram


def _outbox_metrics(by_state: dict[str, int], attempts: int, oldest_pending: float) -> Iterator[Metric]:
    events = GaugeMetricFamily("intake_outbox_events", "Callbacks (outbox events) by delivery state",
                               labels=["state"])
    for state, count in by_state.items():
        events.add_metric([state], count)
    yield events
    yield CounterMetricFamily("intake_outbox_attempts", "Delivery attempts of every outbox event", value=attempts)
    yield GaugeMetricFamily("intake_outbox_oldest_pending_seconds",
                            "Age of the oldest undelivered callback (0: none pending)", value=oldest_pending)


def _window_metrics(ops: dict[str, Any]) -> Iterator[Metric]:
    def gauge(name: str, documentation: str, value: float | None) -> Metric:
        family = GaugeMetricFamily(name, documentation)
        family.add_metric([], float("nan") if value is None else value)
        return family

    hours = f"over the last {ops['window_hours']:g} h"
    yield gauge("intake_metrics_window_hours", "Hours the windowed intake figures cover", ops["window_hours"])
    yield gauge("intake_packets_per_hour", f"Packets ready for review per hour {hours}", ops["packets_per_hour"])
    yield gauge("intake_pages_per_hour", f"Pages of ready packets per hour {hours}", ops["pages_per_hour"])
    yield gauge("intake_failure_rate", f"Failed share of documents finished {hours}", ops["failure_rate"])
    yield gauge("intake_ocr_page_share", f"Share of pages read by OCR (vs text layer) {hours}",
                ops["ocr_page_share"])
    percentiles = GaugeMetricFamily("intake_upload_to_ready_seconds_percentile",
                                    f"Upload to ready_for_review latency percentiles {hours} (nearest rank)",
                                    labels=["percentile"])
    for q in PERCENTILES:
        value = ops["latency_seconds"][f"p{q}"]
        percentiles.add_metric([str(q)], float("nan") if value is None else value)
    yield percentiles


def _review_metrics(labels: list[ReviewLabel]) -> Iterator[Metric]:
    count = GaugeMetricFamily("intake_review_labels", "Reviewed fields and criteria (accuracy labels)",
                              labels=["kind"])
    for kind in ("field", "criterion"):
        count.add_metric([kind], sum(label.kind == kind for label in labels))
    yield count
    accuracy = GaugeMetricFamily("intake_review_field_accuracy",
                                 "Share of reviewed field values accepted as extracted", labels=["field"])
    for name, ratio in field_accuracy(labels).items():
        accuracy.add_metric([name], ratio.value if ratio.value is not None else float("nan"))
    yield accuracy
    ece = GaugeMetricFamily("intake_review_ece", "Expected calibration error of field confidences on "
                            "reviewed fields (raw assessor scores, or as served)", labels=["confidence"])
    for which, raw in (("raw", True), ("served", False)):
        pairs = scored(labels, raw=raw)
        value = metrics.expected_calibration_error([c for _, c, _ in pairs], [ok for _, _, ok in pairs])
        ece.add_metric([which], float("nan") if value is None else value)
    yield ece


def prometheus_scraper(request: Request) -> None:
    """With INTAKE_METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`."""
    token = request.app.state.settings.metrics_token
    if token is None:
        return
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(),
                                                             token.get_secret_value().encode()):
        raise ApiError(401, "unauthorized", "send the metrics token as `Authorization: Bearer <token>`")


# Its own router: with INTAKE_METRICS_LISTEN set, `intake serve` mounts it on that internal
# address only (api.create_metrics_app), not on the public one.
prometheus_router = APIRouter(tags=["metrics"])


@prometheus_router.get("/metrics", summary="Prometheus metrics", include_in_schema=False,
                       dependencies=[Depends(prometheus_scraper)])
def prometheus_metrics(request: Request) -> Response:
    state = request.app.state
    registry = CollectorRegistry(auto_describe=False)
    registry.register(IntakeCollector(state.sessions, state.queue, state.settings))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def metrics_reader(request: Request, key: str | None = Security(api_key_header),
                   user: SignedIn | None = Depends(optional_user)) -> MetricsScope:
    """A signed-in reviewer (UI session cookie) reads the figures of every document, as the review
    queue shows them all; an API key only those of the documents it uploaded."""
    if user is not None:
        return MetricsScope.everything()
    return MetricsScope.of_key(require_api_key(request=request, key=key))


@router.get("/v1/metrics/accuracy", summary="Extraction accuracy measured from reviewer decisions",
            description="Per field and criterion: accepted vs corrected, accuracy, by page reading method "
                        "and OCR confidence; criterion and recommendation agreement; reliability table and "
                        "expected calibration error (raw, as served, through the newest calibration map); "
                        "accuracy per field per day. Authenticate with `X-API-Key` (figures of that key's "
                        "documents) or a reviewer session (every document).",
            responses=error_responses(401))
def accuracy(request: Request, db: Session = Depends(get_session),
             scope: MetricsScope = Depends(metrics_reader)) -> dict[str, Any]:
    return accuracy_figures(db, request.app.state.settings, scope)


@router.get("/v1/metrics/operations", summary="Throughput, latency, queue depth and failures",
            description="Over documents finished in the last INTAKE_METRICS_WINDOW_HOURS: packets and pages "
                        "per hour, upload-to-ready latency percentiles and histogram, failure rate by reason, "
                        "OCR vs text-layer share; the current queue depth. An `X-API-Key` sees its own "
                        "documents' figures, a reviewer session every document's.",
            responses=error_responses(401))
def operations(request: Request, db: Session = Depends(get_session),
               scope: MetricsScope = Depends(metrics_reader)) -> dict[str, Any]:
    settings = request.app.state.settings
    return operations_figures(db, utcnow(), timedelta(hours=settings.metrics_window_hours), scope)
