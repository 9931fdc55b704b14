"""Per-client sign-in throttle: a sliding window of attempts per client address.

The per-account lockout stops guessing one account's password; this stops one client from
guessing across accounts and from spending our CPU on scrypt. An attempt counts from the moment
it starts (so a burst of concurrent sign-ins is cut off before it is hashed) and is forgiven when
it succeeds, so reviewers behind one NAT are only slowed by their own typos.

State is per API process and bounded (MAX_CLIENTS): `intake serve` runs one API process, and
the resource it protects, the hashing pool, is per process too.
"""
from __future__ import annotations

import ipaddress
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_CLIENTS = 10_000
IPV6_CLIENT_PREFIX = 64  # one subscriber usually holds a whole /64: count it as one client


def client_key(host: str | None) -> str:
    """The key a client is counted under: its IPv4 address, or its IPv6 /64."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # e.g. the test client's "testclient"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))
    return str(address)


class ClientThrottle:
    def __init__(self, attempts: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts, self.window, self.clock = attempts, window_seconds, clock
        self._recent: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def try_acquire(self, client: str) -> bool:
        """Count an attempt for `client`, or False (not counted) when it has used its window."""
        now = self.clock()
        with self._lock:
            recent = self._recent.get(client)
            if recent is None:
                self._make_room(now)
                recent = self._recent[client] = deque()
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.attempts:
                return False
            recent.append(now)
            self._recent.move_to_end(client)
            return True

    def forgive(self, client: str) -> None:
        """A successful sign-in (or one we could not serve) does not count against the client."""
        with self._lock:
            recent = self._recent.get(client)
            if recent:
                recent.pop()

    def retry_after_seconds(self, client: str) -> int:
        with self._lock:
            recent = self._recent.get(client)
            oldest = recent[0] if recent else self.clock()
        return max(1, int(oldest + self.window - self.clock()) + 1)

    def _make_room(self, now: float) -> None:
        if len(self._recent) < MAX_CLIENTS:
            return
        for client in [c for c, recent in self._recent.items() if not recent or recent[-1] <= now - self.window]:
            del self._recent[client]
        while len(self._recent) >= MAX_CLIENTS:  # all busy: forget the least recently active
            self._recent.popitem(last=False)
