"""Fixtures for the service tests: our own redis-server, both databases, and a real
`intake serve` process (uvicorn + worker processes + reconciler) driven over loopback HTTP.

Nothing here touches the shared Redis at 127.0.0.1:6379: a session-scoped redis-server runs on
a free port, and each service gets its own queue name. PostgreSQL tests create a fresh
database and drop it afterwards; they skip only when no server is reachable and
INTAKE_REQUIRE_POSTGRES is unset (CI sets it).
"""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas
from redis import Redis
from sqlalchemy import func, select

from api import create_app
from intake.auth import create_key
from intake.db.migrate import upgrade_to_head
from intake.db.models import FINAL_STATUSES, Document, DocumentPage, Event
from intake.db.scratch import scratch_database
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.redis_server import EmbeddedRedis, free_port
from intake.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("INTAKE_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
START_TIMEOUT_SECONDS = 90


# ---------------------------------------------------------------- infrastructure fixtures

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path_factory.mktemp("redis")) as server:
        yield server


def _postgres_reachable() -> bool:
    from sqlalchemy import create_engine, text
    engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not _postgres_reachable():
        if os.environ.get("INTAKE_REQUIRE_POSTGRES"):
            pytest.fail(f"INTAKE_REQUIRE_POSTGRES is set but {PG_ADMIN_URL} is not reachable")
        pytest.skip("no PostgreSQL reachable")
    with scratch_database(PG_ADMIN_URL, "intake_test") as url:
        yield url


def database_url_for(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`request.param` is "sqlite" or "postgres" (see DATABASES)."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'intake.db'}"


def in_process_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, redis_url: str,
                   name: str) -> tuple[FastAPI, str]:
    """The API app in this process on the database of `request.param`, migrated, with its own
    queue on `redis_url`, and a new API key for it (the caller disposes `app.state.engine`)."""
    tmp = tmp_path_factory.mktemp(f"{name}-{request.param}")
    settings = Settings(data_dir=tmp / "data", database_url=database_url_for(request, tmp), redis_url=redis_url,
                        queue_name=f"{name}-{uuid.uuid4().hex[:8]}")
    upgrade_to_head(settings.database_url_resolved)
    app = create_app(settings)
    with session_scope(app.state.sessions) as s:
        _, key = create_key(s, f"{name}-tests")
    return app, key


DATABASES = [pytest.param("sqlite", id="sqlite"),
             pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


def service_fixture(name: str, workers: int = 2, **overrides: str):
    """A module-scoped `service` fixture, once per database. The test module must also import
    `redis_server` and `postgres_url` (fixtures are looked up by name in the module)."""
    @pytest.fixture(scope="module", params=DATABASES)
    def service(request, tmp_path_factory, redis_server):
        tmp = tmp_path_factory.mktemp(f"{name}-{request.param}")
        svc = start_service(tmp, database_url_for(request, tmp), redis_server.url, workers=workers, **overrides)
        yield svc
        svc.stop()
    return service


# ---------------------------------------------------------------- the service under test

@dataclass
class Service:
    """A running `intake serve`, plus direct access to its database for exactly-once checks."""
    base_url: str
    api_key: str
    env: dict[str, str]
    database_url: str
    redis: Redis | None  # None: the service runs its own embedded Redis
    process: subprocess.Popen[bytes]
    log_path: Path
    sessions: object = field(repr=False, default=None)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"X-API-Key": self.api_key}, timeout=60, **kwargs)

    def upload(self, data: bytes, *, client: httpx.Client | None = None, headers: dict | None = None,
               **fields: str) -> httpx.Response:
        own = client is None
        client = client or self.client()
        try:
            return client.post("/v1/documents", files={"file": ("packet.bin", data)}, data=fields,
                               headers=headers or {})
        finally:
            if own:
                client.close()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid), "-f", "worker.py"],
                             capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def statuses(self, ids: list[str]) -> dict[str, str]:
        with session_scope(self.sessions) as s:
            return dict(s.execute(select(Document.id, Document.status).where(Document.id.in_(ids))).all())

    def wait_final(self, ids: list[str], timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            statuses = self.statuses(ids)
            if len(statuses) == len(ids) and all(v in FINAL_STATUSES for v in statuses.values()):
                return statuses
            if time.monotonic() > deadline:
                open_ = {k: v for k, v in statuses.items() if v not in FINAL_STATUSES}
                raise AssertionError(f"{len(open_)} documents not final after {timeout} s: {open_}; "
                                     f"log: {self.log_path}")
            time.sleep(0.5)

    def assert_failed_in_worker(self, files: dict[str, tuple[Callable[[], bytes], str]], timeout: float = 120) -> None:
        """Each file ({case: (make, code)}) is accepted (202), since judging it needs the file
        opened, and then fails in the worker's first step with its code and a message."""
        accepted = {case: self.upload(make()) for case, (make, _) in files.items()}
        assert {case: r.status_code for case, r in accepted.items()} == {case: 202 for case in files}
        ids = {case: r.json()["id"] for case, r in accepted.items()}
        assert self.wait_final(list(ids.values()), timeout) == {i: "failed" for i in ids.values()}
        with self.client() as client:
            for case, (_, code) in files.items():
                doc = client.get(f"/v1/documents/{ids[case]}").json()
                assert doc["error"]["code"] == code and doc["error"]["message"], (case, doc["error"])
                assert doc["page_count"] is None and doc["result"] is None, case

    def assert_processed_exactly_once(self, ids: list[str]) -> None:
        """Every document ready, one result each: one `finished` event, one done row and one
        page_done event per page, no failure event."""
        with session_scope(self.sessions) as s:
            docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(ids)))}
            events = s.execute(select(Event.document_id, Event.kind, func.count())
                               .where(Event.document_id.in_(ids)).group_by(Event.document_id, Event.kind)).all()
            pages = dict(s.execute(select(DocumentPage.document_id, func.count())
                                   .where(DocumentPage.document_id.in_(ids), DocumentPage.status == "done")
                                   .group_by(DocumentPage.document_id)).all())
        counts = {(d, k): n for d, k, n in events}
        assert len(docs) == len(ids)
        for doc_id, doc in docs.items():
            assert doc.status == "ready_for_review", (doc_id, doc.status, doc.error_code)
            assert doc.result is not None and doc.result["pages"] == doc.page_count
            assert counts.get((doc_id, "finished")) == 1, doc_id
            assert counts.get((doc_id, "failed")) is None, doc_id
            assert pages.get(doc_id) == doc.page_count, doc_id
            assert counts.get((doc_id, "page_done")) == doc.page_count, doc_id

    def stop(self) -> None:
        """SIGTERM to `intake serve`, which stops its workers; none may outlive it."""
        workers = self.worker_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        survivors = [pid for pid in workers if _alive(pid)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        assert not survivors, f"workers {survivors} outlived intake serve"


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll `condition` until true; fail naming `what` after `timeout` seconds (a bound, not a target)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def start_service(tmp_path: Path, database_url: str, redis_url: str | None, workers: int = 2,
                  **overrides: str) -> Service:
    """Migrate, create an API key, start `intake serve` and wait until /readyz says ready.
    `redis_url` None: `intake serve` starts its embedded Redis under the data folder."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(database_url)
    sessions = make_sessionmaker(make_engine(database_url))
    with session_scope(sessions) as s:
        _, key = create_key(s, "test-gateway")
    env = dict(os.environ)
    env.update({
        "INTAKE_DATA_DIR": str(data_dir), "DATABASE_URL": database_url, "REDIS_URL": redis_url or "",
        "INTAKE_QUEUE": f"intake-test-{uuid.uuid4().hex[:8]}", "INTAKE_LEASE_SECONDS": "6",
        "INTAKE_RECONCILE_INTERVAL": "2", "INTAKE_RECONCILE_GRACE": "3", "INTAKE_RETRY_INTERVALS": "[1, 2, 4]",
        "INTAKE_JOB_TIMEOUT": "300", "INTAKE_LOG_LEVEL": "INFO",
    })
    env.update(overrides)
    log_path = tmp_path / "serve.log"
    # A free port is free when chosen, not when `intake serve` binds it a second later: any
    # process's outgoing connection may take it meanwhile. Only that race is retried.
    for _attempt in range(3):
        port = free_port()
        with open(log_path, "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "intake.cli", "serve", "--port", str(port),
                                        "--workers", str(workers)], cwd=REPO, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        service = Service(base_url=f"http://127.0.0.1:{port}", api_key=key, env=env, database_url=database_url,
                          redis=Redis.from_url(redis_url) if redis_url else None, process=process,
                          log_path=log_path, sessions=sessions)
        if _wait_ready(service):
            return service
        if f"address ('127.0.0.1', {port}): address already in use" not in log_path.read_text():
            raise AssertionError(f"intake serve exited: {log_path.read_text()[-3000:]}")
    raise AssertionError(f"intake serve could not bind a free port: {log_path.read_text()[-3000:]}")


def _wait_ready(service: Service) -> bool:
    """True once /readyz answers 200; False if `intake serve` exited first."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            return False
        try:
            if httpx.get(f"{service.base_url}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    service.stop()
    raise AssertionError(f"intake serve not ready in {START_TIMEOUT_SECONDS} s")


# ---------------------------------------------------------------- synthetic files

def tagged_pdf(tag: str, pages: int = 1) -> bytes:
    """A small digital (text-layer) packet; `tag` makes the bytes unique. Synthetic patient only."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for number in range(1, pages + 1):
        c.setFont("Helvetica", 12)
        c.drawString(72, 720, "Prior Authorization Request - Cellular Therapy")
        c.drawString(72, 696, "Patient name: Jane Testperson   Date of birth: 03/14/1971")
        c.drawString(72, 672, "Requested product: Aucatzyl (obecabtagene autoleucel)")
        c.drawString(72, 648, "Diagnosis: relapsed B-cell precursor acute lymphoblastic leukemia")
        c.drawString(72, 100, f"Reference {tag} page {number} of {pages}")
        c.showPage()
    c.save()
    return buf.getvalue()


def tagged_fax(tmp_path: Path, tag: str, pages: int) -> bytes:
    """The tagged packet as a fax gateway sends it (G4 TIFF wrapped in PDF): pages need OCR."""
    from synthetic.fax import FaxDamage, pdf_to_fax
    out = pdf_to_fax(tagged_pdf(tag, pages), tmp_path / f"{tag}.pdf", FaxDamage(noise=0.001, seed=3))
    return out.read_bytes()
