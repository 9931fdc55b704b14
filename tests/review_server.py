"""The service's web app in a real uvicorn process on a seeded data folder, and how Chromium is
started, for the browser tests and scripts/screenshots.py (which is why nothing here needs pytest)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from intake.redis_server import free_port

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_TIMEOUT_S = 60


@contextmanager
def uvicorn_server(data_dir: Path) -> Iterator[str]:
    """`api:app_from_env` on INTAKE_DATA_DIR=data_dir in a real uvicorn process; yields its base URL."""
    port = free_port()
    env = {**os.environ, "INTAKE_DATA_DIR": str(data_dir), "REDIS_URL": "redis://127.0.0.1:6379/15"}
    env.pop("DATABASE_URL", None)
    log = open(data_dir / "uvicorn.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api:app_from_env",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                              cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            log.close()
            raise RuntimeError("uvicorn did not start: " + (data_dir / "uvicorn.log").read_text()[-2000:])
        time.sleep(0.2)
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
