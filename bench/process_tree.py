"""The processes of one `intake serve`, read from /proc (Linux): which is the API, a worker, a
work horse, the embedded Redis; and each one's peak resident memory (VmHWM). Used by the soak
(bench/soak.py) to pick what to kill and to report peak RSS per role."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServeProcess:
    pid: int
    role: str  # api | worker | horse | redis | other (RQ's scheduler)
    parent: int


def _parents() -> dict[int, int]:
    """pid -> parent pid for every live process."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp ...
        if fields[0] != "Z":
            found[int(entry.name)] = int(fields[1])
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _is_horse(pid: int) -> bool:
    """RQ's work horse calls setpgrp() after the fork; its scheduler process does not."""
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def serve_processes(serve_pid: int) -> list[ServeProcess]:
    """`intake serve` (the API) and every process below it, each with its role."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, todo = [ServeProcess(serve_pid, "api", parents.get(serve_pid, 0))], [serve_pid]
    roles = {serve_pid: "api"}
    while todo:
        parent = todo.pop()
        for pid in children.get(parent, []):
            if _comm(pid) == "redis-server":
                role = "redis"
            elif b"worker.py" in _cmdline(pid) and roles[parent] == "api":
                role = "worker"
            elif roles[parent] == "worker" and _is_horse(pid):
                role = "horse"
            else:
                role = "other"
            roles[pid] = role
            found.append(ServeProcess(pid, role, parent))
            todo.append(pid)
    return found


def embedded_redis_pid(serve_pid: int, data_dir: Path) -> int | None:
    """The redis-server that this `intake serve` started with its files under `data_dir`: never
    another Redis on the machine (its working directory is checked, not only its parent)."""
    for process in serve_processes(serve_pid):
        if process.role != "redis":
            continue
        try:
            if Path(os.readlink(f"/proc/{process.pid}/cwd")).is_relative_to(data_dir.resolve()):
                return process.pid
        except OSError:
            continue
    return None


def embedded_redis_port(serve_pid: int, data_dir: Path) -> int | None:
    """Its port, from the process title redis-server sets ("redis-server 127.0.0.1:PORT")."""
    pid = embedded_redis_pid(serve_pid, data_dir)
    found = re.search(rb"127\.0\.0\.1:(\d+)", _cmdline(pid)) if pid is not None else None
    return int(found.group(1)) if found else None


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set so far (VmHWM), in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
