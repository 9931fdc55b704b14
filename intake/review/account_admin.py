"""Offboarding and recovery of reviewer accounts (`intake users disable|enable|reset-password|list`).

Accounts are never deleted: their name stays on decisions and in the audit log. Disabling one
or resetting its password ends every session it has at once (the session rows are deleted, and
a disabled account's cookie would be refused anyway), so a departed reviewer or a leaked
password loses access immediately rather than when the session expires.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.db.models import utcnow
from intake.db.review_models import ReviewSession, ReviewUser
from intake.review.accounts import AccountError, revoke_sessions
from intake.review.passwords import hash_password


@dataclass(frozen=True)
class AccountSummary:
    """What an administrator may see of an account: never its password hash."""
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None
    locked_until: datetime | None
    sessions: int  # unexpired

    @property
    def state(self) -> str:
        if self.disabled_at is not None:
            return "disabled"
        if self.locked_until is not None and self.locked_until > utcnow():
            return "locked"
        return "active"


def _user(db: Session, name: str) -> ReviewUser:
    user = db.scalar(select(ReviewUser).where(ReviewUser.name == name.strip()).with_for_update())
    if user is None:
        raise AccountError(f"no user {name.strip()!r}")
    return user


def disable_user(db: Session, name: str) -> int:
    """Disable the account; returns how many sessions were ended."""
    user = _user(db, name)
    user.disabled_at = user.disabled_at or utcnow()
    return revoke_sessions(db, user.id)


def enable_user(db: Session, name: str) -> None:
    """Allow sign-in again; also lifts a lock from wrong passwords (someone else's guesses)."""
    user = _user(db, name)
    user.disabled_at, user.failed_sign_ins, user.locked_until = None, 0, None


def reset_password(db: Session, name: str, password: str) -> int:
    """Set a new password, lift any lock; returns how many sessions were ended."""
    user = _user(db, name)
    try:
        user.password_hash = hash_password(password)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc
    user.failed_sign_ins, user.locked_until = 0, None
    return revoke_sessions(db, user.id)


def list_accounts(db: Session) -> list[AccountSummary]:
    now = utcnow()
    live = (select(ReviewSession.user_id, func.count().label("n")).where(ReviewSession.expires_at > now)
            .group_by(ReviewSession.user_id).subquery())
    rows = db.execute(select(ReviewUser.name, ReviewUser.role, ReviewUser.created_at, ReviewUser.disabled_at,
                             ReviewUser.locked_until, func.coalesce(live.c.n, 0))
                      .outerjoin(live, live.c.user_id == ReviewUser.id).order_by(ReviewUser.name)).all()
    return [AccountSummary(*row) for row in rows]
