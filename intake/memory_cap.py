"""The address-space cap a job's work runs under (INTAKE_WORKER_MEMORY_LIMIT_MB, issue 14 row 1).

A file that slips past every input limit (a decompression bomb of a kind not yet counted) must
die alone and fail its document at once, not grow the work horse to gigabytes and be retried.
RLIMIT_AS is set in the work horse (RQ forks one per job; jobs run nowhere else) around the
job's work only: RQ's bookkeeping and the failure record run outside the cap, so a job that blew
it is still recorded. Python turns the refused allocation into MemoryError, which this module
turns into the final `limit_exceeded` error. The worker process itself is never capped.
"""
from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager

from extraction.errors import BadInput, LimitExceeded

_MB = 1024 * 1024


class MemoryLimitExceeded(LimitExceeded):
    """The job's work needed more address space than INTAKE_WORKER_MEMORY_LIMIT_MB allows."""


@contextmanager
def address_space_capped(limit_mb: int) -> Iterator[None]:
    """Run the block with the process's address space capped at `limit_mb` (0: uncapped); a
    MemoryError inside becomes MemoryLimitExceeded, raised after the cap is lifted again."""
    if limit_mb <= 0:
        yield
        return
    previous = resource.getrlimit(resource.RLIMIT_AS)
    hard = previous[1]
    soft = limit_mb * _MB if hard == resource.RLIM_INFINITY else min(limit_mb * _MB, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    try:
        yield
    except (MemoryError, BadInput) as exc:
        # The memory the work held is freed by now; lifting the cap lets the failure be recorded.
        resource.setrlimit(resource.RLIMIT_AS, previous)
        if not _out_of_memory(exc):
            raise
        raise MemoryLimitExceeded(f"processing needed more than the {limit_mb} MB memory limit") from None
    finally:
        resource.setrlimit(resource.RLIMIT_AS, previous)


def _out_of_memory(exc: BaseException | None) -> bool:
    """A MemoryError, or an error the file reader raised from one (a parser that wraps every
    failure as CorruptDocument would otherwise blame the file for the cap)."""
    while exc is not None:
        if isinstance(exc, MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
