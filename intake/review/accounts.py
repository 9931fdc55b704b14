"""Reviewer accounts and server-side sessions.

The session cookie carries a random token; the database keeps only its sha256, the user and a
per-session CSRF token. Signing out deletes the row, so a copied cookie stops working at once;
disabling an account or resetting its password deletes all of its rows (account_admin.py).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake.db.models import utcnow
from intake.db.review_models import ROLES, ReviewSession, ReviewUser
from intake.review.passwords import DUMMY_HASH, hash_password, verify_password

MAX_NAME_LENGTH = 100


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class SignedIn:
    """Who is making a request, and the CSRF token their forms must carry."""
    user_id: int
    name: str
    role: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def create_user(db: Session, name: str, password: str, role: str = "reviewer") -> ReviewUser:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable():
        raise AccountError(f"user name must be 1-{MAX_NAME_LENGTH} printable characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if db.scalar(select(ReviewUser.id).where(ReviewUser.name == name)) is not None:
        raise AccountError(f"user {name!r} already exists")
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    user = ReviewUser(name=name, role=role, password_hash=password_hash)
    db.add(user)
    db.flush()
    return user


@dataclass(frozen=True)
class SignInLimits:
    max_failures: int  # consecutive wrong passwords before the account locks
    lockout: timedelta


class SignInRefused(Exception):
    """The account exists but may not sign in now. The web answer is the same as for a wrong
    password: only this domain layer tells the cases apart."""


class SignInLocked(SignInRefused):
    """Too many wrong passwords in a row: the account refuses sign-in until the lock ends."""


class AccountDisabled(SignInRefused):
    """Disabled by an administrator (`intake users disable`)."""


@dataclass(frozen=True)
class SignInCandidate:
    """What a password is checked against, read before the slow check so no transaction stays
    open during it. An unknown name gets DUMMY_HASH: the check then costs the same."""
    user_id: int | None
    password_hash: str


def sign_in_candidate(db: Session, name: str) -> SignInCandidate:
    user = db.scalar(select(ReviewUser).where(ReviewUser.name == name.strip()))
    return SignInCandidate(None, DUMMY_HASH) if user is None else SignInCandidate(user.id, user.password_hash)


def record_sign_in(db: Session, candidate: SignInCandidate, password_ok: bool,
                   limits: SignInLimits) -> ReviewUser | None:
    """The outcome of a password check: the user when they may sign in, None for a wrong password
    or unknown name (failures are counted: the caller commits either way), SignInRefused when the
    account is locked or disabled. The row is locked while it is updated, so concurrent wrong
    passwords all count."""
    if candidate.user_id is None:
        return None
    user = db.scalar(select(ReviewUser).where(ReviewUser.id == candidate.user_id).with_for_update())
    if user is None:
        return None
    if user.disabled_at is not None:
        raise AccountDisabled(user.name)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise SignInLocked(user.name)
    # A password reset between the check and now makes the checked hash stale: not a success.
    if password_ok and user.password_hash == candidate.password_hash:
        user.failed_sign_ins, user.locked_until = 0, None
        return user
    user.failed_sign_ins += 1
    if user.failed_sign_ins >= limits.max_failures:
        user.failed_sign_ins, user.locked_until = 0, now + limits.lockout
    return None


def authenticate(db: Session, name: str, password: str, limits: SignInLimits) -> ReviewUser | None:
    """Load, check and record in one call (scripts and tests; the web route runs the check in
    its hashing pool between the two transactions)."""
    candidate = sign_in_candidate(db, name)
    return record_sign_in(db, candidate, verify_password(password, candidate.password_hash), limits)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, user: ReviewUser, lifetime: timedelta) -> str:
    """A new session for `user`; returns the token for the cookie. Expired rows are swept here."""
    now = utcnow()
    db.execute(delete(ReviewSession).where(ReviewSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    db.add(ReviewSession(token_sha256=_token_hash(token), user_id=user.id,
                         csrf_token=secrets.token_urlsafe(32), created_at=now,
                         expires_at=now + lifetime))
    return token


def session_user(db: Session, token: str | None) -> SignedIn | None:
    if not token:
        return None
    row = db.execute(
        select(ReviewSession, ReviewUser)
        .join(ReviewUser, ReviewUser.id == ReviewSession.user_id)
        .where(ReviewSession.token_sha256 == _token_hash(token), ReviewUser.disabled_at.is_(None))
    ).first()
    if row is None:
        return None
    session, user = row
    if session.expires_at <= utcnow():
        return None
    return SignedIn(user_id=user.id, name=user.name, role=user.role, csrf_token=session.csrf_token)


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(ReviewSession).where(ReviewSession.token_sha256 == _token_hash(token)))


def revoke_sessions(db: Session, user_id: int) -> int:
    """Sign the user out everywhere: their cookies stop working at the next request."""
    return db.execute(delete(ReviewSession).where(ReviewSession.user_id == user_id)).rowcount


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), given.encode())
