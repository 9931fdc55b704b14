"""Interactive API docs (/docs, /redoc) are off unless INTAKE_API_DOCS=true; /openapi.json stays.

FastAPI's Swagger UI and ReDoc pages load their script and styles from a third-party CDN (no
integrity attribute) and need no sign-in, on the same origin as the reviewer UI that shows PHI:
that is why they are off by default (issue 14, row 10)."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api import create_app
from intake.db.migrate import upgrade_to_head
from intake.settings import Settings


@pytest.fixture
def make_app(tmp_path):
    apps = []

    def make(**overrides):
        settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/15", **overrides)
        upgrade_to_head(settings.database_url_resolved)
        apps.append(create_app(settings))
        return apps[-1]

    yield make
    for app in apps:
        app.state.engine.dispose()


def test_docs_are_off_by_default_and_answer_the_json_error_shape(make_app):
    client = TestClient(make_app())
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "http_error"
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and "/v1/documents" in spec.json()["paths"]


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("INTAKE_API_DOCS", raising=False)
    assert Settings().api_docs is False
    monkeypatch.setenv("INTAKE_API_DOCS", "true")
    assert Settings().api_docs is True


def test_docs_are_served_when_enabled(make_app):
    client = TestClient(make_app(api_docs=True))
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "/openapi.json" in response.text
        # The pages pull their script from a CDN: the reason they are off by default.
        assert "cdn.jsdelivr.net" in response.text
    assert client.get("/openapi.json").status_code == 200
