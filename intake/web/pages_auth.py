"""Sign in and sign out.

The sign-in form is protected from login CSRF with a double-submit token (a random cookie the
form must echo), since there is no session yet to hold a token.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from intake.db.session import get_session
from intake.review.accounts import (SignedIn, SignInLimits, SignInLocked, authenticate, csrf_matches,
                                   end_session, start_session)
from intake.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, form_user, optional_user, safe_next
from intake.web.context import app_settings
from intake.web.templating import render

router = APIRouter(include_in_schema=False)  # HTML pages, not API


def _login_form(request: Request, next_path: str, error: str | None = None, name: str = "",
                status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status_code=status_code, login_csrf=token,
                      next_path=safe_next(next_path), error=error, name=name)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login",
                        secure=app_settings(request).session_cookie_secure)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/review",
               user: SignedIn | None = Depends(optional_user)) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next)


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/review"),
          db: Session = Depends(get_session)) -> Response:
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_form(request, next, "The sign-in form expired; please try again.", name, 403)
    if "\x00" in name or "\x00" in password:
        # No account has one, and the database cannot be asked: the answer to a wrong password.
        return _login_form(request, next, "Unknown user name or wrong password.", name.replace("\x00", ""), 401)
    settings = app_settings(request)
    limits = SignInLimits(settings.sign_in_max_failures, timedelta(minutes=settings.sign_in_lockout_minutes))
    try:
        user = authenticate(db, name, password, limits)
    except SignInLocked:
        return _login_form(request, next, "Too many failed sign-ins: this account is locked for a while.",
                           name, 429)
    if user is None:
        db.commit()  # keep the failure count
        return _login_form(request, next, "Unknown user name or wrong password.", name, 401)
    lifetime = timedelta(hours=settings.session_hours)
    token = start_session(db, user, lifetime)
    db.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), httponly=True,
                        samesite="lax", secure=settings.session_cookie_secure, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, _user: SignedIn = Depends(form_user),
           db: Session = Depends(get_session)) -> Response:
    end_session(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
