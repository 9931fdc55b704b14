"""A throwaway `intake serve` for the benchmarks: own data dir, own redis-server, SQLite (or
--database-url), an API key, and a wait until all N workers have registered with RQ."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
from redis import Redis
from rq import Queue, Worker

from intake.auth import create_key
from intake.db.migrate import upgrade_to_head
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.redis_server import EmbeddedRedis, free_port

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 180


@contextmanager
def running_service(workers: int, database_url: str | None = None):
    """Yields (base_url, api_key)."""
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp, EmbeddedRedis(Path(tmp) / "redis") as redis:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        url = database_url or f"sqlite:///{data_dir / 'intake.db'}"
        upgrade_to_head(url)
        with session_scope(make_sessionmaker(make_engine(url))) as s:
            _, key = create_key(s, "bench")
        port, queue = free_port(), "bench"
        env = {**os.environ, "INTAKE_DATA_DIR": str(data_dir), "DATABASE_URL": url, "REDIS_URL": redis.url,
               "INTAKE_QUEUE": queue, "INTAKE_LOG_LEVEL": os.environ.get("INTAKE_LOG_LEVEL", "WARNING")}
        process = subprocess.Popen([sys.executable, "-m", "intake.cli", "serve", "--port", str(port),
                                    "--workers", str(workers)], cwd=REPO, env=env)
        try:
            _wait_ready(f"http://127.0.0.1:{port}", Redis.from_url(redis.url), queue, workers)
            yield f"http://127.0.0.1:{port}", key
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)


def _wait_ready(base_url: str, redis: Redis, queue: str, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            api_ready = httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            api_ready = False
        if api_ready and Worker.count(queue=Queue(queue, connection=redis)) >= workers:
            return
        time.sleep(0.5)
    raise RuntimeError("service not ready")
