"""Mount the reviewer UI on the service's FastAPI app: `install_web(app)` from create_app."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake.review.password_pool import PasswordVerifier
from intake.review.sign_in_throttle import ClientThrottle
from intake.settings import Settings
from intake.web import pages_auth, pages_metrics, pages_packets, pages_queue, pages_team
from intake.web.auth import SignInRequired, login_redirect_target
from intake.web.transport_security import strict_transport_security

STATIC_DIR = Path(__file__).parent / "static"
UI_PREFIXES = ("/login", "/logout", "/review", "/admin", "/static/review")
# Scripts and styles come only from our own static files: injected markup could not run.
# connect-src: review.js sends the reviewer's actions to the app itself with fetch.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


async def _sign_in_first(_request: Request, exc: SignInRequired) -> Response:
    return RedirectResponse(login_redirect_target(exc.next_path), status_code=303)


class _ResponseHeaders:
    """Security headers on responses: HSTS on every https one, CSP and friends on the UI's. Plain
    ASGI (a header added as the response starts), not an `@app.middleware("http")` function, whose
    per-request task and body streams cost every API upload a measurable share of its CPU."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        ui = path == "/" or path.startswith(UI_PREFIXES)
        hsts = strict_transport_security(self.settings, scope.get("scheme", "http"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if ui:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                    headers["X-Content-Type-Options"] = "nosniff"
                    headers["Referrer-Policy"] = "no-referrer"
                    if not path.startswith("/static/"):
                        # Pages carry patient data: never cached by the browser or a proxy, unless the
                        # route chose a private policy itself (page images, named by their content hash).
                        headers.setdefault("Cache-Control", "no-store")
                if hsts:
                    headers["Strict-Transport-Security"] = hsts
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_web(app: FastAPI) -> None:
    """Needs app.state.settings. Sign-in gets its throttle and hashing pool here, one per app."""
    settings = app.state.settings
    app.state.sign_in_throttle = ClientThrottle(settings.sign_in_client_attempts,
                                                settings.sign_in_client_window_seconds)
    app.state.password_verifier = PasswordVerifier(settings.password_hash_threads, settings.password_hash_queue)
    app.include_router(pages_auth.router)
    app.include_router(pages_queue.router)
    app.include_router(pages_packets.router)
    app.include_router(pages_metrics.router)
    app.include_router(pages_team.router)
    app.mount("/static/review", StaticFiles(directory=STATIC_DIR), name="review-static")
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_middleware(_ResponseHeaders, settings=settings)
