"""Worker processes of `intake serve`: start N `python worker.py` children, restart any that dies
(a worker killed by the OOM killer or an operator comes back), stop them all on shutdown."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from intake.logs import log_event
from intake.settings import Settings

log = logging.getLogger("intake.supervisor")
WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "worker.py"
CHECK_INTERVAL_SECONDS = 2.0
STOP_TIMEOUT_SECONDS = 30.0


def worker_environment(settings: Settings) -> dict[str, str]:
    """The parent's environment plus the resolved locations, so children use the same stores."""
    env = dict(os.environ)
    env["INTAKE_DATA_DIR"] = str(settings.data_dir.resolve())
    env["DATABASE_URL"] = settings.database_url_resolved
    env["REDIS_URL"] = settings.redis_url or ""
    return env


class WorkerPool:
    def __init__(self, settings: Settings, count: int) -> None:
        self.settings, self.count = settings, count
        self.processes: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, str(WORKER_SCRIPT)],
                                   env=worker_environment(self.settings))
        log_event(log, "worker_spawned", index=index, pid=process.pid)
        return process

    def start(self) -> None:
        self.processes = [self._spawn(i) for i in range(self.count)]
        self._monitor.start()

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_INTERVAL_SECONDS):
            for index, process in enumerate(self.processes):
                if process.poll() is not None and not self._stopping.is_set():
                    log_event(log, "worker_exited", logging.WARNING, index=index, pid=process.pid,
                              code=process.returncode)
                    self.processes[index] = self._spawn(index)

    def stop(self) -> None:
        """SIGTERM: RQ's warm shutdown lets running jobs finish; stragglers are killed after a timeout."""
        self._stopping.set()
        if self._monitor.is_alive():
            self._monitor.join()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
