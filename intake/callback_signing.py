"""Signing outbox callbacks: `X-Intake-Signature: sha256=<hex HMAC-SHA256 of the raw body>` with
the uploading API key's callback secret. A receiver recomputes it over the bytes it received
(before parsing) and compares in constant time (`signature_matches`); the body names the event
id, also sent as `Idempotency-Key`, so a replayed request is a duplicate the receiver drops."""
from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Intake-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(signature(secret, body), header)
