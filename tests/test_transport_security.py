"""Over https the session cookie is `Secure` and every response carries HSTS, with no setting;
over plain http neither (a browser would drop a Secure cookie there); INTAKE_SESSION_COOKIE_SECURE
forces either way for a proxy that ends TLS without saying so."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from intake.db.migrate import upgrade_to_head
from intake.settings import Settings
from review_seed import PASSWORD, add_user
from test_review_web import CSRF

ONE_YEAR = "max-age=31536000"


def _app(tmp_path, **settings):
    tmp_path.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/15", **settings)
    upgrade_to_head(settings.database_url_resolved)
    app = create_app(settings)
    add_user(app.state.sessions, "rita")
    return app


def _sign_in(client: TestClient):
    form = client.get("/login")
    return client.post("/login", data={"name": "rita", "password": PASSWORD, "next": "/review",
                                       "csrf_token": CSRF.search(form.text).group(1)}, follow_redirects=False)


def _session_cookie(response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith("intake_session="))


@pytest.mark.parametrize("forced", [None, True])
def test_https_gets_secure_cookies_and_hsts(tmp_path, forced):
    client = TestClient(_app(tmp_path, session_cookie_secure=forced), base_url="https://intake.example")
    signed_in = _sign_in(client)
    assert signed_in.status_code == 303
    assert "; secure" in _session_cookie(signed_in).lower()
    assert signed_in.headers["strict-transport-security"] == ONE_YEAR
    assert client.get("/healthz").headers["strict-transport-security"] == ONE_YEAR  # the API too


def test_plain_http_gets_neither_unless_forced(tmp_path):
    client = TestClient(_app(tmp_path), base_url="http://intake.example")
    signed_in = _sign_in(client)
    assert "; secure" not in _session_cookie(signed_in).lower()
    assert "strict-transport-security" not in signed_in.headers

    forced = TestClient(_app(tmp_path / "forced", session_cookie_secure=True), base_url="http://intake.example")
    form = forced.get("/login")
    assert "; secure" in form.headers["set-cookie"].lower()  # the sign-in form's CSRF cookie too
    assert form.headers["strict-transport-security"] == ONE_YEAR


def test_hsts_can_be_turned_off_and_https_can_be_denied(tmp_path):
    client = TestClient(_app(tmp_path, hsts_max_age_seconds=0), base_url="https://intake.example")
    assert "strict-transport-security" not in client.get("/healthz").headers
    never = TestClient(_app(tmp_path / "never", session_cookie_secure=False), base_url="https://intake.example")
    assert "; secure" not in _session_cookie(_sign_in(never)).lower()
