"""One `intake serve` with an embedded Redis per data folder, and never two Redis on its files.

`<data_dir>/serve.lock` is flock()ed by `intake serve`, and the locked file stays open in the
embedded Redis, the workers and (by fork) their work horses. The kernel releases the lock only
when the last of them has exited, so a second `intake serve`, or one started while anything of a
killed one is still alive, finds it taken and refuses to start, naming the processes that hold it.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from extraction.errors import ConfigurationError

LOCK_NAME = "serve.lock"


class DataDirLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir).resolve() / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> int:
        """The locked file's descriptor (pass it to children with `pass_fds`), or ConfigurationError."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigurationError(
                f"{self.path.parent} is in use by another `intake serve` or by processes it started that "
                f"are still running ({describe(holders(self.path)) or 'pids unknown'}); stop them "
                f"(or wait for them to exit) before starting again") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def holders(path: Path) -> list[int]:
    """Processes with `path` open (those of this user, which are the ones that can hold it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == str(path) for fd in (entry / "fd").iterdir()):
                found.append(int(entry.name))
        except OSError:
            continue  # another user's process, or gone meanwhile
    return sorted(found)


def describe(pids: list[int]) -> str:
    names = []
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            name = "?"
        names.append(f"pid {pid} {name}")
    return ", ".join(names)
