"""Children die with their parent: Linux's parent-death signal (prctl PR_SET_PDEATHSIG).

`intake serve` killed with SIGKILL (the OOM killer, a crash) runs no cleanup. Without this, its
embedded Redis, its workers and their work horses ran on as orphans: the Redis kept the
append-only files open while a new `intake serve` started a second one on them, and the orphan
workers kept taking jobs. With it, the kernel kills each child the moment its parent is gone.

The kernel sends the signal when the *thread* that forked the child ends, not the process: every
child is started by a thread that outlives it (the main thread, or a supervisor thread that stops
its children before it returns; see intake.supervisor).
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
# Looked up once at import, in the parent: the child between fork and exec only calls it.
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_parent(parent_pid: int, signum: int = signal.SIGKILL) -> None:
    """Call in the child. If the parent died before the signal was armed, the child was already
    re-parented (getppid() is no longer `parent_pid`): it exits at once instead."""
    if _prctl is None:
        return  # not Linux: the data-folder lock (intake.data_dir_lock) still refuses a second start
    _prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signum), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    if os.getppid() != parent_pid:
        os._exit(1)


def preexec_die_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None]:
    """A `preexec_fn` for subprocess.Popen: the signal survives exec, so it covers any binary."""
    parent_pid = os.getpid()
    return lambda: die_with_parent(parent_pid, signum)


def children_die_with_this_process(signum: int = signal.SIGKILL) -> None:
    """From now on every os.fork() of this process (RQ's work horses, its scheduler) arms the
    signal in the child, against the pid that forked it."""
    forking_pid = [os.getpid()]
    os.register_at_fork(before=lambda: forking_pid.__setitem__(0, os.getpid()),
                        after_in_child=lambda: die_with_parent(forking_pid[0], signum))
