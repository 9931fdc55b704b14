"""`intake serve` with several API processes (INTAKE_API_WORKERS): on PostgreSQL they share the
port and every upload is stored and processed once; one that dies is started again; all die with
`intake serve`; on SQLite the setting is refused at start."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from service_support import (REPO, postgres_url, redis_server, start_service, tagged_pdf,  # noqa: F401
                             wait_for)
from intake.redis_server import free_port

pytestmark = pytest.mark.slow


def _api_processes(serve_pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(serve_pid), "-f", "multiprocessing.spawn"],
                         capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.postgres
def test_two_api_processes_take_uploads_on_postgresql_and_die_with_serve(postgres_url, redis_server, tmp_path):
    service = start_service(tmp_path, postgres_url, redis_server.url, workers=1, INTAKE_API_WORKERS="2")
    try:
        wait_for(lambda: len(_api_processes(service.process.pid)) == 2, 60, "two API processes")
        api_pids = _api_processes(service.process.pid)
        with ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda i: service.upload(tagged_pdf(f"api-processes-{i}")), range(16)))
        assert [r.status_code for r in responses] == [202] * 16
        ids = [r.json()["id"] for r in responses]
        assert len(set(ids)) == 16
        service.wait_final(ids, timeout=240)
        service.assert_processed_exactly_once(ids)
        os.kill(api_pids[0], signal.SIGKILL)  # one API process dies: it is started again
        wait_for(lambda: len(set(_api_processes(service.process.pid)) - {api_pids[0]}) == 2, 60,
                 "a new API process in place of the killed one")
        assert service.upload(tagged_pdf("api-processes-after-kill")).status_code == 202
        api_pids = _api_processes(service.process.pid)
        service.process.send_signal(signal.SIGKILL)  # no cleanup runs: the kernel takes the children
        service.process.wait()
        wait_for(lambda: not any(_alive(pid) for pid in api_pids), 30, "the API processes to exit")
    finally:
        service.stop()


def test_several_api_processes_on_sqlite_are_refused_at_start(tmp_path):
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}  # SQLite
    env.update({"INTAKE_DATA_DIR": str(tmp_path / "data"), "REDIS_URL": "", "INTAKE_API_WORKERS": "2"})
    result = subprocess.run([sys.executable, "-m", "intake.cli", "serve", "--port", str(free_port()),
                             "--workers", "0"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "INTAKE_API_WORKERS=2 needs PostgreSQL" in result.stderr
    assert not (tmp_path / "data" / "redis").exists()  # refused before anything was started
