"""The HTTP API: `create_app(settings)` builds the FastAPI app. Nothing is built at import time;
`intake serve` (or any ASGI server, with `--factory api:app_from_env`) calls the factory."""
from __future__ import annotations

from fastapi import FastAPI

from intake.db.session import make_engine, make_sessionmaker
from intake.http_errors import install_error_handlers
from intake.queue import JobQueue, connect
from intake.routers import documents, fhir, health, metrics, outbox, reviews
from intake.settings import Settings
from intake.storage import BlobStore
from rules.registry import PolicyRegistry
from intake.web.install import install_web


def create_app(settings: Settings) -> FastAPI:
    """The caller has run the migrations and knows the Redis URL (embedded or external)."""
    if not settings.redis_url:
        raise ValueError("create_app needs settings.redis_url (intake serve starts an embedded Redis)")
    app = FastAPI(
        title="CAR-T prior-authorization intake",
        version="1.0",
        description="Upload faxed clinical packets; poll their status; read the extracted evidence and "
                    "policy criteria. Authenticate with an `X-API-Key` header. Errors are "
                    '`{"error": {"code", "message"}}`.',
        # Swagger UI and ReDoc pull their script from a CDN and need no sign-in: off unless
        # INTAKE_API_DOCS=true (otherwise the routes answer 404). The schema stays at /openapi.json.
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
    )
    engine = make_engine(settings.database_url_resolved)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.store = BlobStore(settings.blob_dir)
    # Built once, not per upload: the upload path's CPU is the API's throughput.
    app.state.upload_form_limits = settings.upload_form_limits()
    app.state.callback_policy = settings.callback_policy()
    app.state.queue = JobQueue(connect(settings.redis_url), settings)
    # Policy ids an upload may name (checked before the bytes are kept); a bad policy file stops here.
    # The registry itself re-runs a packet's criteria on reviewed values (intake/review/reevaluate.py).
    app.state.policies = (PolicyRegistry.load(*settings.policy_dirs)
                          .with_file(settings.assessment_config().policy_path))
    app.state.policy_ids = frozenset(app.state.policies.ids())
    install_error_handlers(app)
    app.include_router(documents.router)
    app.include_router(health.router)
    app.include_router(reviews.router)
    app.include_router(outbox.router)
    app.include_router(fhir.router)
    app.include_router(metrics.router)
    if not settings.metrics_listen:  # else only on that internal address (create_metrics_app)
        app.include_router(metrics.prometheus_router)
    install_web(app)
    return app


def create_metrics_app(api: FastAPI) -> FastAPI:
    """`/metrics` alone, on the API's database and queue: `intake serve` serves it on
    INTAKE_METRICS_LISTEN, an address the public (or the API's proxy) cannot reach."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.settings, app.state.sessions, app.state.queue = api.state.settings, api.state.sessions, api.state.queue
    install_error_handlers(app)
    app.include_router(metrics.prometheus_router)
    return app


def app_from_env() -> FastAPI:
    return create_app(Settings())
