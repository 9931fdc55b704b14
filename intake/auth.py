"""API keys for callers (fax gateways, EHR integrations).

A key is shown once when created (`intake keys add NAME`); only its sha256 is stored, so a
leaked database does not leak usable keys. Keys are 256-bit random tokens, so a plain hash (no
salt, no stretching) is enough and lets a request be authenticated with one indexed lookup.
"""
from __future__ import annotations

import hashlib
import secrets

from fastapi import Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from intake.db.models import ApiKey
from intake.db.session import session_scope
from intake.http_errors import ApiError

KEY_PREFIX = "ik_"
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="A key created with `intake keys add NAME`.")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """Returns the stored row and the plaintext key (shown once, never stored)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(key))
    session.add(row)
    session.flush()
    return row, key


def revoke_key(session: Session, name_or_id: str) -> int:
    rows = session.scalars(select(ApiKey).where((ApiKey.id == name_or_id) | (ApiKey.name == name_or_id),
                                                ApiKey.revoked.is_(False))).all()
    for row in rows:
        row.revoked = True
    return len(rows)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


_KEYS = ApiKey.__table__
_LIVE_KEY = select(_KEYS).where(_KEYS.c.key_hash == bindparam("key_hash"), _KEYS.c.revoked.is_(False))


def require_api_key(request: Request, key: str | None = Security(api_key_header)) -> ApiKey:
    """FastAPI dependency: the caller's key (a detached row), or 401. Its own short transaction, so
    no lock is held while the request body is streamed; a Core query, every request pays for it."""
    if not key:
        raise ApiError(401, "unauthorized", "send your API key in the X-API-Key header")
    with session_scope(request.app.state.sessions) as session:
        row = session.execute(_LIVE_KEY, {"key_hash": hash_key(key)}).first()
    if row is None:
        raise ApiError(401, "unauthorized", "the API key is unknown or revoked")
    return ApiKey(**row._mapping)
