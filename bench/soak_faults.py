"""What the soak (bench/soak.py) does to the service while it uploads: SIGKILL a worker, a work
horse or the embedded Redis at random moments, and sample every process's peak RSS.

Only processes below the soak's own `intake serve` are ever signalled; the Redis is the one that
`intake serve` started under the soak's throwaway data dir (checked by its working directory),
never a Redis of the machine."""
from __future__ import annotations

import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from process_tree import embedded_redis_pid, peak_rss_mb, serve_processes

FAULT_KINDS = ("worker", "horse", "redis")
SAMPLE_INTERVAL_SECONDS = 0.5
FIND_VICTIM_SECONDS = 30.0  # how long a kill waits for its kind of process (a horse runs only with a job)
RECOVERY_WAIT_SECONDS = 60.0


@dataclass
class Kill:
    kind: str
    planned_at: float  # seconds after the start of the uploads
    done_at: float | None = None
    pid: int | None = None
    replaced_after: float | None = None  # seconds until a new worker / Redis ran (None for a horse)
    note: str = ""


def plan_kills(per_kind: int, duration: float, rng: random.Random) -> list[Kill]:
    """`per_kind` kills of each kind at random moments within the middle 80% of the upload window."""
    kills = [Kill(kind, round(rng.uniform(0.1, 0.9) * duration, 1)) for kind in FAULT_KINDS for _ in range(per_kind)]
    return sorted(kills, key=lambda k: k.planned_at)


class FaultInjector(threading.Thread):
    def __init__(self, serve_pid: int, data_dir: Path, kills: list[Kill], started: float) -> None:
        super().__init__(name="soak-faults", daemon=True)
        self.serve_pid, self.data_dir, self.kills, self.started = serve_pid, data_dir, kills, started
        self.stopping = threading.Event()

    def run(self) -> None:
        for kill in self.kills:
            if self.stopping.wait(max(0.0, self.started + kill.planned_at - time.monotonic())):
                kill.note = "not done: soak stopped"
                continue
            self._kill(kill)

    def _victim(self, kind: str) -> int | None:
        processes = serve_processes(self.serve_pid)
        if kind == "redis":
            return embedded_redis_pid(self.serve_pid, self.data_dir)
        horses = [p for p in processes if p.role == "horse"]
        if kind == "horse":
            return horses[0].pid if horses else None
        busy = {h.parent for h in horses}  # a worker in the middle of a job, if there is one
        workers = sorted((p for p in processes if p.role == "worker"), key=lambda p: p.pid not in busy)
        return workers[0].pid if workers else None

    def _kill(self, kill: Kill) -> None:
        deadline = time.monotonic() + FIND_VICTIM_SECONDS
        while (pid := self._victim(kill.kind)) is None:
            if time.monotonic() > deadline or self.stopping.is_set():
                kill.note = f"not done: no {kill.kind} running within {FIND_VICTIM_SECONDS:.0f} s"
                return
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            kill.note = "victim exited before the signal"
            return
        kill.pid, kill.done_at = pid, round(time.monotonic() - self.started, 1)
        if kill.kind != "horse" and (seconds := self._replacement_seconds(kill.kind, pid)) is not None:
            kill.replaced_after = round(seconds, 1)

    def _replacement_seconds(self, kind: str, dead: int) -> float | None:
        """Seconds until the supervisor in `intake serve` runs a new one in place of `dead`."""
        killed_at, before = time.monotonic(), {p.pid for p in serve_processes(self.serve_pid) if p.role == kind}
        while time.monotonic() - killed_at < RECOVERY_WAIT_SECONDS:
            now = {p.pid for p in serve_processes(self.serve_pid) if p.role == kind}
            if now - before - {dead}:
                return time.monotonic() - killed_at
            time.sleep(0.1)
        return None


@dataclass
class PeakRss:
    by_role: dict[str, float] = field(default_factory=dict)  # MB, the largest over every process of the role
    processes_seen: dict[str, int] = field(default_factory=dict)


class RssSampler(threading.Thread):
    """Every half second, each live process's VmHWM (its own peak, so short peaks between samples
    still count; a horse that lives less than a sample interval may be missed)."""

    def __init__(self, serve_pid: int) -> None:
        super().__init__(name="soak-rss", daemon=True)
        self.serve_pid, self.peak = serve_pid, PeakRss()
        self.stopping = threading.Event()
        self._seen: set[int] = set()

    def sample(self) -> None:
        for process in serve_processes(self.serve_pid):
            rss = peak_rss_mb(process.pid)
            if rss is None:
                continue
            self.peak.by_role[process.role] = max(rss, self.peak.by_role.get(process.role, 0.0))
            if process.pid not in self._seen:
                self._seen.add(process.pid)
                self.peak.processes_seen[process.role] = self.peak.processes_seen.get(process.role, 0) + 1

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_INTERVAL_SECONDS):
            self.sample()
