"""Sign in and sign out.

The sign-in form is protected from login CSRF with a double-submit token (a random cookie the
form must echo), since there is no session yet to hold a token. Sign-in is async: the database
work runs in the request thread pool, the password check in the app's bounded hashing pool
(intake.review.password_pool), after the per-client throttle (intake.review.sign_in_throttle).
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from intake.db.session import get_session, session_scope
from intake.review.accounts import (MAX_NAME_LENGTH, SignedIn, SignInCandidate, SignInLimits, SignInRefused,
                                   csrf_matches, end_session, record_sign_in, sign_in_candidate, start_session)
from intake.review.password_pool import HashingBusy
from intake.review.sign_in_throttle import ClientThrottle, client_key
from intake.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, form_user, optional_user, safe_next
from intake.web.context import app_settings, client_address
from intake.web.transport_security import served_over_https
from intake.web.templating import render

router = APIRouter(include_in_schema=False)  # HTML pages, not API


def _login_form(request: Request, next_path: str, error: str | None = None, name: str = "",
                status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code=status_code, login_csrf=token,
                      next_path=safe_next(next_path), error=error, name=name)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=served_over_https(request))
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/review",
               user: SignedIn | None = Depends(optional_user)) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next)


@router.post("/login")
async def login(request: Request, name: str = Form(""), password: str = Form(""),
                csrf_token: str = Form(""), next: str = Form("/review")) -> Response:
    """Unknown name, wrong password, locked or disabled account: one answer (401, the same page,
    one scrypt check each), so the answer never tells which names exist. The only other answers
    are about the client, whatever the name: 403 (stale form) and 429 (too many attempts)."""
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_form(request, next, "The sign-in form expired; please try again.", name, 403)
    state, settings = request.app.state, app_settings(request)
    client = client_key(client_address(request))
    throttle: ClientThrottle = state.sign_in_throttle
    if not throttle.try_acquire(client):
        return _too_many(request, next, name, throttle.retry_after_seconds(client))
    # No account name holds a NUL (PostgreSQL cannot even be asked) or is that long: no lookup.
    lookup_name = "" if "\x00" in name or len(name.strip()) > MAX_NAME_LENGTH else name
    candidate = await run_in_threadpool(_candidate, state.sessions, lookup_name)
    try:
        password_ok = await state.password_verifier.verify(password, candidate.password_hash)
    except HashingBusy:
        throttle.forgive(client)  # our capacity, not this client's doing
        return _too_many(request, next, name, 1)
    limits = SignInLimits(settings.sign_in_max_failures, timedelta(minutes=settings.sign_in_lockout_minutes))
    lifetime = timedelta(hours=settings.session_hours)
    token = await run_in_threadpool(_record, state.sessions, candidate, password_ok, limits, lifetime)
    if token is None:
        return _login_form(request, next, "Unknown user name or wrong password.", name.replace("\x00", ""), 401)
    throttle.forgive(client)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), httponly=True,
                        samesite="lax", secure=served_over_https(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


def _too_many(request: Request, next_path: str, name: str, retry_after: int) -> Response:
    response = _login_form(request, next_path, "Too many sign-in attempts; please wait a minute and try again.",
                           name.replace("\x00", ""), 429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _candidate(sessions: sessionmaker[Session], name: str) -> SignInCandidate:
    with session_scope(sessions) as db:
        return sign_in_candidate(db, name)


def _record(sessions: sessionmaker[Session], candidate: SignInCandidate, password_ok: bool,
            limits: SignInLimits, lifetime: timedelta) -> str | None:
    """The new session's token, or None: the failure is committed either way."""
    with session_scope(sessions) as db:
        try:
            user = record_sign_in(db, candidate, password_ok, limits)
        except SignInRefused:
            return None
        return start_session(db, user, lifetime) if user is not None else None


@router.post("/logout")
def logout(request: Request, _user: SignedIn = Depends(form_user),
           db: Session = Depends(get_session)) -> Response:
    end_session(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    # Page images are cached by the browser for the signed-in reviewer (private, immutable): the
    # next person at this browser must not find them there.
    response = RedirectResponse("/login", status_code=303, headers={"Clear-Site-Data": '"cache"'})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
