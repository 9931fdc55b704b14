"""A throwaway `intake serve` for the benchmarks: own data dir, own redis-server, SQLite (or
--database-url), an API key, and a wait until all N workers have registered with RQ.

With `embedded_redis` the benchmark starts no Redis: `intake serve` runs its own embedded one
(intake/redis_server.py, a free port, files under the throwaway data dir) and supervises it, as
on a single machine in production; the soak (bench/soak.py) kills that one."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from redis import Redis
from rq import Queue, Worker

from intake.auth import create_key
from intake.db.migrate import upgrade_to_head
from intake.db.session import make_engine, make_sessionmaker, session_scope
from intake.redis_server import EmbeddedRedis, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_tree import embedded_redis_port  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 180
STOP_TIMEOUT_SECONDS = 120


@dataclass
class BenchService:
    base_url: str
    api_key: str
    database_url: str
    data_dir: Path
    queue: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_service(workers: int, database_url: str | None = None, api_workers: int = 1):
    """Yields (base_url, api_key)."""
    with serve_process(workers, database_url, api_workers=api_workers) as service:
        yield service.base_url, service.api_key


@contextmanager
def serve_process(workers: int, database_url: str | None = None, embedded_redis: bool = False,
                  log_path: Path | None = None, api_workers: int = 1) -> Iterator[BenchService]:
    """`intake serve --workers N` on a free loopback port; stopped with SIGTERM on exit.
    `log_path`: where its output goes (default: inherited). `api_workers` > 1 needs PostgreSQL."""
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp, ExitStack() as stack:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        redis_url = "" if embedded_redis else stack.enter_context(EmbeddedRedis(Path(tmp) / "redis")).url
        url = database_url or f"sqlite:///{data_dir / 'intake.db'}"
        upgrade_to_head(url)
        with session_scope(make_sessionmaker(make_engine(url))) as s:
            _, key = create_key(s, "bench")
        port, queue = free_port(), "bench"
        env = {**os.environ, "INTAKE_DATA_DIR": str(data_dir), "DATABASE_URL": url, "REDIS_URL": redis_url,
               "INTAKE_QUEUE": queue, "INTAKE_LOG_LEVEL": os.environ.get("INTAKE_LOG_LEVEL", "WARNING"),
               "INTAKE_API_WORKERS": str(api_workers)}
        output = stack.enter_context(open(log_path, "ab")) if log_path else None
        process = subprocess.Popen([sys.executable, "-m", "intake.cli", "serve", "--port", str(port),
                                    "--workers", str(workers)], cwd=REPO, env=env, stdout=output,
                                   stderr=subprocess.STDOUT if output else None)
        service = BenchService(f"http://127.0.0.1:{port}", key, url, data_dir, queue, process)
        try:
            _wait_ready(service, redis_url or None, workers)
            yield service
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()  # its children die with it (intake.parent_death)
                process.wait()


def _wait_ready(service: BenchService, redis_url: str | None, workers: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"intake serve exited with status {service.process.returncode}")
        try:
            api_ready = httpx.get(f"{service.base_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            api_ready = False
        url = redis_url
        if url is None and (port := embedded_redis_port(service.process.pid, service.data_dir)) is not None:
            url = f"redis://127.0.0.1:{port}/0"
        if api_ready and url and Worker.count(queue=Queue(service.queue, connection=Redis.from_url(url))) >= workers:
            return
        time.sleep(0.5)
    raise RuntimeError("service not ready")
