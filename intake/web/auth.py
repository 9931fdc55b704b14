"""Who is signed in, and the checks every UI route relies on.

Pages redirect a signed-out visitor to /login; resources (page images, JSON) answer 401.
Every POST must carry the session's CSRF token in a `csrf_token` form field.
"""
from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from intake.db.session import get_session
from intake.review.accounts import SignedIn, csrf_matches, session_user

SESSION_COOKIE = "intake_session"
LOGIN_CSRF_COOKIE = "intake_login_csrf"


class SignInRequired(Exception):
    """Raised by page routes; answered with a redirect to /login (see intake.web.install)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def safe_next(path: str | None) -> str:
    """Only same-site paths: never redirect to another host after sign-in."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/review"
    return path


def login_redirect_target(next_path: str) -> str:
    return f"/login?next={quote(safe_next(next_path), safe='/')}"


def optional_user(request: Request, db: Session = Depends(get_session)) -> SignedIn | None:
    return session_user(db, request.cookies.get(SESSION_COOKIE))


def page_user(request: Request, user: SignedIn | None = Depends(optional_user)) -> SignedIn:
    if user is None:
        raise SignInRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return user


def resource_user(user: SignedIn | None = Depends(optional_user)) -> SignedIn:
    if user is None:
        raise HTTPException(status_code=401, detail="sign in required")
    return user


def admin_user(user: SignedIn = Depends(page_user)) -> SignedIn:
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="administrators only")
    return user


async def form_user(request: Request, user: SignedIn = Depends(resource_user)) -> SignedIn:
    """A signed-in user whose POST carries their session's CSRF token."""
    form = await request.form()
    token = form.get("csrf_token")
    if not csrf_matches(user.csrf_token, token if isinstance(token, str) else None):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token; reload the page")
    return user
