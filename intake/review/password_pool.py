"""Password checks for sign-in in a small, bounded thread pool.

scrypt takes tens of milliseconds of CPU and 32 MiB per check. Run on the event loop it stalls
every request; run in the shared request thread pool (40 threads) a burst of sign-ins fills
it, starves the API and takes over 1 GB. Here at most `threads` checks run at once (hashlib
releases the GIL inside OpenSSL's scrypt) and at most `queue` more wait; beyond that a sign-in
is refused at once with HashingBusy rather than queued without bound.
"""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from intake.review.passwords import verify_password


class HashingBusy(Exception):
    """Every hashing thread is busy and the waiting line is full."""


class PasswordVerifier:
    def __init__(self, threads: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="password-check")
        self._capacity = threads + queue
        self._admitted = 0
        self._lock = threading.Lock()

    async def verify(self, password: str, stored_hash: str) -> bool:
        with self._lock:
            if self._admitted >= self._capacity:
                raise HashingBusy()
            self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, verify_password, password, stored_hash)
        finally:
            with self._lock:
                self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
