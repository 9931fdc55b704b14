"""Completion callbacks: POST {"id", "status", "status_url"} to the document's callback_url.

Runs as its own job after the document reached a final status, so a slow or failing receiver
never delays or fails the document; retries are the job's RQ retries. Only ids and the status
are sent or logged.
"""
from __future__ import annotations

import httpx


class CallbackFailed(Exception):
    pass


def status_payload(document_id: str, status: str, status_url: str) -> dict[str, str]:
    return {"id": document_id, "status": status, "status_url": status_url}


def status_url(base_url: str, document_id: str) -> str:
    return f"{base_url.rstrip('/')}/v1/documents/{document_id}"


def post_callback(url: str, payload: dict[str, str], timeout_seconds: float) -> int:
    """Returns the receiver's status code; raises CallbackFailed on a network error or non-2xx."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout_seconds, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise CallbackFailed(type(exc).__name__) from exc
    if not 200 <= response.status_code < 300:
        raise CallbackFailed(f"receiver answered {response.status_code}")
    return response.status_code
