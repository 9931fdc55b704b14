"""What the UI and API routes need from the running app (its settings, the decision clock, the
blobs) and from the request (the client's address)."""
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


def client_address(request: Request) -> str | None:
    """The address the request came from, as the ASGI server reports it: behind a proxy, the
    proxy's, unless uvicorn trusts that proxy's X-Forwarded-For (FORWARDED_ALLOW_IPS, loopback by
    default). None when the transport has no address (a Unix socket)."""
    return request.client.host if request.client else None
