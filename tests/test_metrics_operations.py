"""Operations figures (throughput, latency percentiles, queue depth, failures, OCR share) from
known document timings, computed by hand; and the same figures read from the service database."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from quality.operations import DocumentTiming, latency_histogram, operations_report, percentile

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def _ready(latency_seconds, finished_ago_minutes, pages=3, status="ready_for_review"):
    finished = NOW - timedelta(minutes=finished_ago_minutes)
    return DocumentTiming(status, finished - timedelta(seconds=latency_seconds), finished, pages, None)


def _failed(code, finished_ago_minutes):
    finished = NOW - timedelta(minutes=finished_ago_minutes)
    return DocumentTiming("failed", finished - timedelta(seconds=5), finished, None, code)


def _open(status):
    return DocumentTiming(status, NOW - timedelta(minutes=1), None, None, None)


def test_nearest_rank_percentiles():
    values = [40, 10, 100, 30, 20]
    assert [percentile(values, q) for q in (50, 90, 95, 99)] == [30, 100, 100, 100]
    assert percentile(values, 20) == 10 and percentile([], 50) is None
    assert latency_histogram([4, 5, 6, 700], buckets=(5, 60)) == [(5, 2), (60, 3), (math.inf, 4)]


def test_operations_report_over_a_window():
    documents = [
        _ready(10, 5), _ready(20, 30), _ready(30, 60, status="reviewed"), _ready(40, 90), _ready(100, 110),
        _ready(50, 180),  # finished before the two-hour window: not counted
        _failed("corrupt_document", 20), _failed("ocr_timeout", 300),
        _open("received"), _open("queued"), _open("queued"), _open("processing"),
    ]
    report = operations_report(documents, {"ocr": 9, "text_layer": 3, "failed": 1}, NOW, timedelta(hours=2))
    assert report["packets_per_hour"] == 2.5 and report["pages_per_hour"] == 7.5
    assert report["latency_seconds"] == {"p50": 30, "p90": 100, "p95": 100, "p99": 100}
    assert report["queue_depth"] == {"received": 1, "queued": 2, "processing": 1}
    assert report["failure_rate"] == pytest.approx(1 / 6)
    assert report["failures_by_reason"] == {"corrupt_document": 1}
    assert report["ocr_page_share"] == 0.75  # of pages read: failed pages are neither
    assert [b["count"] for b in report["latency_histogram"]][:3] == [0, 1, 3]  # <=5 s, <=15 s, <=30 s
