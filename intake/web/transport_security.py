"""Whether a request reached us over https, and what follows from it: `Secure` cookies and HSTS.

By default it is the request's own scheme: https when uvicorn terminated TLS, or when a proxy it
trusts (FORWARDED_ALLOW_IPS, 127.0.0.1 by default) said so in X-Forwarded-Proto. A proxy that
terminates TLS without saying so needs INTAKE_SESSION_COOKIE_SECURE=true.
"""
from __future__ import annotations

from fastapi import Request

from intake.settings import Settings
from intake.web.context import app_settings


def served_over_https(request: Request) -> bool:
    return _over_https(app_settings(request), request.url.scheme)


def strict_transport_security(settings: Settings, scheme: str) -> str | None:
    """The Strict-Transport-Security value every https response (API and UI) carries, telling the
    browser to use https only from now on; None over http or when INTAKE_HSTS_MAX_AGE is 0."""
    max_age = settings.hsts_max_age_seconds
    return f"max-age={max_age}" if max_age and _over_https(settings, scheme) else None


def _over_https(settings: Settings, scheme: str) -> bool:
    forced = settings.session_cookie_secure
    return scheme == "https" if forced is None else forced
