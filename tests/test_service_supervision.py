"""`intake serve` with its embedded Redis keeps its children alive and takes them with it.

Real processes throughout: the embedded Redis killed with SIGKILL is started again by `intake
serve` itself (no operator) and uploads go on being processed; `intake serve` killed with SIGKILL
leaves no Redis, worker, work horse or scheduler behind, and the same data folder starts again and
finishes what was accepted; a second `intake serve` on a data folder in use refuses to start;
INTAKE_METRICS_LISTEN moves /metrics to an internal address; the embedded Redis never takes a port
`intake serve` is about to listen on.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from intake.db.migrate import upgrade_to_head
from intake.redis_server import free_port
from intake.settings import Settings
from service_support import REPO, start_service, tagged_fax, tagged_pdf, wait_for
from service_support import _alive as alive

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def _redis_servers_on(directory: Path) -> list[int]:
    """redis-server processes whose working directory (its --dir) is `directory`."""
    out = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True).stdout
    found = []
    for pid in map(int, out.split()):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(directory.resolve()):
                found.append(pid)
        except OSError:
            continue
    return found


def _readiness(service) -> httpx.Response:
    return httpx.get(f"{service.base_url}/readyz", timeout=10)


def _start(tmp_path: Path, **overrides: str):
    return start_service(tmp_path, f"sqlite:///{tmp_path / 'data' / 'intake.db'}", None, workers=1, **overrides)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = _start(tmp_path_factory.mktemp("supervised"), INTAKE_METRICS_LISTEN=f"127.0.0.1:{free_port()}")
    yield svc
    svc.stop()


def test_embedded_redis_killed_is_restarted_and_uploads_are_processed(service):
    redis_dir = Path(service.env["INTAKE_DATA_DIR"]) / "redis"
    [victim] = _redis_servers_on(redis_dir)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: _redis_servers_on(redis_dir) not in ([], [victim]), 60, "a new embedded Redis")
    wait_for(lambda: _readiness(service).status_code == 200, 60, "/readyz to answer 200 again")
    assert len(_redis_servers_on(redis_dir)) == 1
    response = service.upload(tagged_pdf("after-redis-kill"))
    assert response.status_code == 202
    document = response.json()["id"]
    assert service.wait_final([document], timeout=180) == {document: "ready_for_review"}


def test_a_second_serve_on_a_data_folder_in_use_refuses_to_start(service):
    second = subprocess.run([sys.executable, "-m", "intake.cli", "serve", "--port", str(free_port()),
                             "--workers", "1"], cwd=REPO, env=service.env, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 1
    assert "is in use by another `intake serve`" in second.stderr and "redis-server" in second.stderr
    assert len(_redis_servers_on(Path(service.env["INTAKE_DATA_DIR"]) / "redis")) == 1
    assert _readiness(service).status_code == 200


def test_serve_killed_leaves_no_child_behind_and_the_folder_starts_again(tmp_path):
    first = _start(tmp_path)
    try:
        document = first.upload(tagged_fax(tmp_path, "orphans", pages=3)).json()["id"]
        wait_for(lambda: first.statuses([document])[document] == "processing", 180, "a worker to take the packet")
        # The worker's own children: RQ's scheduler process and, while a job runs, its work horse.
        wait_for(lambda: any(_children(worker) for worker in first.worker_pids()), 60, "a worker's child")
        family = _descendants(first.process.pid)
        names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in family if alive(pid)}
        assert "redis-server" in names and len(family) >= 3  # Redis, the worker and its child(ren)
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
    wait_for(lambda: not any(alive(pid) for pid in family), 30, "every child of the killed intake serve to exit")

    again = _start(tmp_path)
    try:
        assert len(_redis_servers_on(tmp_path / "data" / "redis")) == 1
        # What the killed service had accepted is finished by the new one (the reconciler).
        assert again.wait_final([document], timeout=300) == {document: "ready_for_review"}
    finally:
        again.stop()


def test_prometheus_metrics_answer_on_the_internal_address_only(service):
    assert httpx.get(f"{service.base_url}/metrics").status_code == 404
    scraped = httpx.get(f"http://{service.env['INTAKE_METRICS_LISTEN']}/metrics", timeout=30)
    assert scraped.status_code == 200 and "intake_redis_up 1.0" in scraped.text


def test_readyz_names_the_dependency_that_is_down(tmp_path):
    settings = Settings(data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    upgrade_to_head(settings.database_url_resolved)
    from api import create_app
    response = TestClient(create_app(settings)).get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["database"]["ok"] is True


def test_the_embedded_redis_never_takes_a_port_serve_is_about_to_listen_on(tmp_path):
    # `intake serve` starts Redis before its API and /metrics servers bind their ports; the
    # kernel readily hands a just-released port out again (CI once saw the API's port taken).
    from intake.redis_server import EmbeddedRedis
    about_to_listen = {free_port() for _ in range(100)}
    chosen = {EmbeddedRedis(tmp_path, avoid_ports=about_to_listen).port for _ in range(300)}
    assert not chosen & about_to_listen
