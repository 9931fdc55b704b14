"""/healthz: the process answers. /readyz: every dependency a request or job needs is usable."""
from __future__ import annotations

import shutil
import subprocess
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    failing: list[str]  # the dependencies that are down, by their name in `checks`
    checks: dict[str, Check]


@router.get("/healthz", summary="Liveness: the process is up")
def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz", response_model=Readiness, summary="Readiness: database, Redis, blob store, Tesseract",
            responses={503: {"model": Readiness, "description": "At least one check failed"}})
async def readyz(request: Request) -> JSONResponse:
    checks = await run_in_threadpool(_run_checks, request.app.state)
    failing = [name for name, check in checks.items() if not check.ok]
    body = Readiness(status="not_ready" if failing else "ready", failing=failing, checks=checks)
    return JSONResponse(body.model_dump(), status_code=503 if failing else 200)


def _run_checks(state) -> dict[str, Check]:
    return {"database": _check(lambda: _database(state)), "redis": _check(lambda: _redis(state)),
            "blob_store": _check(lambda: _blob_store(state)), "tesseract": _check(lambda: _tesseract(state))}


def _check(probe) -> Check:
    try:
        return Check(ok=True, detail=probe())
    except Exception as exc:  # noqa: BLE001 - any failure of a probe means "not ready", with its type
        return Check(ok=False, detail=type(exc).__name__)


def _database(state) -> str:
    with state.sessions() as session:
        session.execute(text("SELECT 1"))
        return session.get_bind().dialect.name


def _redis(state) -> str:
    state.queue.ping()
    return f"queue {state.settings.queue_name}: {state.queue.queue.count} waiting"


def _blob_store(state) -> str:
    if not state.store.writable():
        raise PermissionError("blob directory is not writable")
    return "writable"


def _tesseract(state) -> str:
    """The configured OCR engine can run: tesserocr finds its language data, or the executable answers."""
    if state.settings.ocr_engine == "tesserocr":
        from extraction.ocr_tesserocr import engine_version, find_tessdata  # the library loads only here
        find_tessdata("eng", state.settings.tessdata)
        return f"tesserocr, {engine_version()}"
    binary = shutil.which(state.settings.tesseract_binary)
    if binary is None:
        raise FileNotFoundError("tesseract not found")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=True)
    return (out.stdout or out.stderr).splitlines()[0]
