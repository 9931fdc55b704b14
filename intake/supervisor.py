"""The child processes of `intake serve`: the embedded Redis and N `python worker.py` workers.

A child that dies (the OOM killer, an operator's kill -9) is started again: at once the first time,
then after 1, 2, 4 ... 30 s while it keeps dying within a minute of its start, so a crash loop
costs little. The thread that watches them also stops them (workers first, Redis last), because
a child dies with the thread that started it (intake.parent_death), and that thread restarted some.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from extraction.errors import ConfigurationError
from intake.logs import log_event
from intake.parent_death import preexec_die_with_parent
from intake.redis_server import EmbeddedRedis
from intake.settings import Settings

log = logging.getLogger("intake.supervisor")
WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "worker.py"
CHECK_INTERVAL_SECONDS = 0.5
STOP_TIMEOUT_SECONDS = 30.0  # RQ warm shutdown: a running job may finish
FIRST_RESTART_DELAY_SECONDS = 1.0
MAX_RESTART_DELAY_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0  # a child that ran this long starts its next restart at once


def worker_environment(settings: Settings) -> dict[str, str]:
    """The parent's environment plus the resolved locations, so children use the same stores."""
    env = dict(os.environ)
    env["INTAKE_DATA_DIR"] = str(settings.data_dir.resolve())
    env["DATABASE_URL"] = settings.database_url_resolved
    env["REDIS_URL"] = settings.redis_url or ""
    return env


class Child(Protocol):
    name: str

    def start(self) -> None: ...

    def running(self) -> bool: ...

    def pid(self) -> int | None: ...

    def signal_stop(self) -> None: ...

    def wait_stopped(self) -> None: ...


@dataclass
class Restarts:
    """When a dead child may start again (see the module docstring)."""
    failures: int = 0
    started_at: float = 0.0
    next_start_at: float = 0.0
    pending: bool = False

    def started(self, now: float) -> None:
        self.started_at, self.pending = now, False

    def died(self, now: float) -> float:
        if now - self.started_at >= HEALTHY_AFTER_SECONDS:
            self.failures = 0
        delay = 0.0 if self.failures == 0 else min(FIRST_RESTART_DELAY_SECONDS * 2 ** (self.failures - 1),
                                                   MAX_RESTART_DELAY_SECONDS)
        self.failures += 1
        self.next_start_at, self.pending = now + delay, True
        return delay


class WorkerChild:
    def __init__(self, settings: Settings, index: int, inherited_fds: tuple[int, ...]) -> None:
        self.name, self.settings, self.inherited_fds = f"worker-{index}", settings, inherited_fds
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(WORKER_SCRIPT)], env=worker_environment(self.settings),
                                        pass_fds=self.inherited_fds, preexec_fn=preexec_die_with_parent())

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def signal_stop(self) -> None:
        if self.running():
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()  # its work horse dies with it (intake.worker_process)
            self.process.wait()


class RedisChild:
    def __init__(self, redis: EmbeddedRedis) -> None:
        self.name, self.redis = "redis", redis

    def start(self) -> None:
        self.redis.start()

    def running(self) -> bool:
        return self.redis.running()

    def pid(self) -> int | None:
        return self.redis.process.pid if self.redis.process is not None else None

    def signal_stop(self) -> None:
        pass  # stopped alone, after every worker

    def wait_stopped(self) -> None:
        self.redis.stop()


class Supervisor:
    """Groups of children, started in order and stopped in reverse order (each group at once)."""

    def __init__(self) -> None:
        self.groups: list[list[Child]] = []
        self.restarts: dict[str, Restarts] = {}
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def start_group(self, children: list[Child]) -> None:
        """Start now, in the calling thread (which must outlive them: the main thread); a child
        that cannot start now raises (ConfigurationError), later ones are retried."""
        self.groups.append(children)
        for child in children:
            self.restarts[child.name] = Restarts()
            child.start()
            self.restarts[child.name].started(time.monotonic())
            log_event(log, "child_started", child=child.name, pid=child.pid())

    def watch(self) -> None:
        self._monitor.start()

    def pids(self) -> dict[str, int | None]:
        return {child.name: child.pid() for group in self.groups for child in group}

    def _start(self, child: Child) -> None:
        restarts = self.restarts[child.name]
        try:
            child.start()
        except (ConfigurationError, OSError) as exc:  # e.g. Redis's port still taken: try again later
            delay = restarts.died(time.monotonic())
            log_event(log, "child_start_failed", logging.ERROR, child=child.name, error=type(exc).__name__,
                      retry_in_seconds=delay)
            return
        restarts.started(time.monotonic())
        log_event(log, "child_started", child=child.name, pid=child.pid())

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_INTERVAL_SECONDS):
            now = time.monotonic()
            for child in (c for group in self.groups for c in group):
                restarts = self.restarts[child.name]
                if not restarts.pending and not child.running():
                    delay = restarts.died(now)
                    log_event(log, "child_exited", logging.WARNING, child=child.name, pid=child.pid(),
                              restart_in_seconds=delay)
                if restarts.pending and now >= restarts.next_start_at and not self._stopping.is_set():
                    self._start(child)
        self._stop_children()

    def _stop_children(self) -> None:
        """SIGTERM to a group, then wait for it (workers: RQ's warm shutdown), then the next group."""
        for group in reversed(self.groups):
            for child in group:
                child.signal_stop()
            for child in group:
                child.wait_stopped()

    def stop(self) -> None:
        self._stopping.set()
        if self._monitor.is_alive():
            self._monitor.join()
        else:
            self._stop_children()


def worker_children(settings: Settings, count: int, inherited_fds: tuple[int, ...] = ()) -> list[Child]:
    return [WorkerChild(settings, index, inherited_fds) for index in range(count)]
