"""Operations figures: throughput, latency, failures and page-reading mix, as pure functions.

The service loads plain rows from its database (`intake.metrics_data`) and computes every
figure here, so `/metrics`, `/v1/metrics/accuracy` and the dashboard agree. Latency is from
upload (`received_at`) to ready for review (`finished_at` of a document that did not fail).
Percentiles use the nearest-rank definition: the smallest value with at least q% of the values
at or below it, so every reported figure is an observed latency.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

READY_STATUSES = ("ready_for_review", "pended", "reviewed")
QUEUE_STATUSES = ("received", "queued", "processing")
PERCENTILES = (50, 90, 95, 99)
# Histogram bucket upper bounds (seconds) for upload -> ready for review.
LATENCY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class DocumentTiming:
    status: str
    received_at: dt.datetime
    finished_at: dt.datetime | None
    page_count: int | None
    error_code: str | None

    @property
    def ready(self) -> bool:
        return self.status in READY_STATUSES and self.finished_at is not None

    @property
    def latency_seconds(self) -> float | None:
        return (self.finished_at - self.received_at).total_seconds() if self.ready else None  # type: ignore[operator]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: sorted(values)[ceil(q/100 * n) - 1]; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)), 1) - 1]


def latency_histogram(latencies: Iterable[float],
                      buckets: Sequence[float] = LATENCY_BUCKETS) -> list[tuple[float, int]]:
    """Cumulative counts (upper bound, values <= bound), ending with (inf, all values)."""
    values = list(latencies)
    return [(bound, sum(v <= bound for v in values)) for bound in (*buckets, math.inf)]


def status_counts(documents: Iterable[DocumentTiming]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for document in documents:
        counts[document.status] = counts.get(document.status, 0) + 1
    return counts


def failures_by_reason(documents: Iterable[DocumentTiming]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for document in documents:
        if document.status == "failed":
            reason = document.error_code or "unknown"
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items()))


def finished_in(documents: Iterable[DocumentTiming], start: dt.datetime,
                end: dt.datetime) -> list[DocumentTiming]:
    """Documents that became ready or failed in [start, end)."""
    return [d for d in documents if d.finished_at is not None and start <= d.finished_at < end
            and (d.ready or d.status == "failed")]


def operations_report(documents: Sequence[DocumentTiming], pages_by_method: Mapping[str, int],
                      now: dt.datetime, window: dt.timedelta) -> dict[str, Any]:
    """Figures over the documents finished in the last `window` (rates, latency, failures) plus
    the current queue. `pages_by_method`: pages read in that window by reading method."""
    recent = finished_in(documents, now - window, now)
    ready = [d for d in recent if d.ready]
    hours = window.total_seconds() / 3600
    latencies = [d.latency_seconds for d in ready if d.latency_seconds is not None]
    failures = failures_by_reason(recent)
    read_pages = sum(n for method, n in pages_by_method.items() if method in ("text_layer", "ocr"))
    statuses = status_counts(documents)
    return {
        "window_hours": hours,
        "packets_per_hour": len(ready) / hours,
        "pages_per_hour": sum(d.page_count or 0 for d in ready) / hours,
        "latency_seconds": {f"p{q}": percentile(latencies, q) for q in PERCENTILES},
        "latency_histogram": [{"le": bound, "count": n} for bound, n in latency_histogram(latencies)],
        "queue_depth": {status: statuses.get(status, 0) for status in QUEUE_STATUSES},
        "failure_rate": len([d for d in recent if d.status == "failed"]) / len(recent) if recent else None,
        "failures_by_reason": failures,
        "pages_by_method": dict(sorted(pages_by_method.items())),
        "ocr_page_share": pages_by_method.get("ocr", 0) / read_pages if read_pages else None,
    }
