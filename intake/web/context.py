"""What the UI routes need from the running app: its settings, the decision clock, the blobs."""
from __future__ import annotations

from datetime import timedelta

from fastapi import Request

from intake.review.deadlines import DecisionClock
from intake.settings import Settings
from intake.storage import BlobStore


def app_settings(request: Request) -> Settings:
    return request.app.state.settings


def decision_clock(settings: Settings) -> DecisionClock:
    return DecisionClock(standard=timedelta(hours=settings.review_standard_hours),
                         expedited=timedelta(hours=settings.review_expedited_hours),
                         due_soon=timedelta(hours=settings.review_due_soon_hours),
                         pend=timedelta(days=settings.pend_days))


def blob_store(request: Request) -> BlobStore:
    return request.app.state.store
