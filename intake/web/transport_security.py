"""Whether a request reached us over https, and what follows from it: `Secure` cookies and HSTS.

By default it is the request's own scheme: https when uvicorn terminated TLS, or when a proxy it
trusts (FORWARDED_ALLOW_IPS, 127.0.0.1 by default) said so in X-Forwarded-Proto. A proxy that
terminates TLS without saying so needs INTAKE_SESSION_COOKIE_SECURE=true.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from intake.web.context import app_settings


def served_over_https(request: Request) -> bool:
    forced = app_settings(request).session_cookie_secure
    return request.url.scheme == "https" if forced is None else forced


async def strict_transport_security(request: Request,
                                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Every https response (API and UI) tells the browser to use https only from now on."""
    response = await call_next(request)
    max_age = app_settings(request).hsts_max_age_seconds
    if max_age and served_over_https(request):
        response.headers["Strict-Transport-Security"] = f"max-age={max_age}"
    return response
