"""Posting a callback to a document's callback_url. Every callback (the end of processing, a
determination, a correction) is an outbox event (intake/outbox.py) that the outbox sender posts
through `post_body`, so a slow or failing receiver never delays or fails the document. Only ids
and the status are sent or logged.

The destination is checked after DNS resolution (intake.callback_destinations) and the request
goes to the very address that was checked: the URL's host travels only in the Host header and
as the TLS server name, so certificates are still verified against it. httpcore, not httpx,
sends it: no redirect is ever followed, no proxy variable from the environment applies, and
the receiver's body is never read.
"""
from __future__ import annotations

import functools
import json
import ssl
from urllib.parse import quote

import certifi
import httpcore

from intake.callback_destinations import (CallbackPolicy, CallbackTarget, DestinationRefused,
                                          DestinationUnresolved, IPAddress, parse_callback_url,
                                          resolve_destination)

USER_AGENT = b"intake-callback/1"
_NETWORK_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                   httpcore.UnsupportedProtocol)


class CallbackFailed(Exception):
    """Not delivered. `permanent`: retrying cannot help (the destination is refused, or the
    receiver redirects), so the job records the failure instead of raising for a retry."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def status_url(base_url: str, document_id: str) -> str:
    return f"{base_url.rstrip('/')}/v1/documents/{document_id}"


def post_callback(url: str, payload: dict[str, str], timeout_seconds: float, policy: CallbackPolicy) -> int:
    """Returns the receiver's 2xx status code; raises CallbackFailed otherwise."""
    return post_body(url, json.dumps(payload).encode(), timeout_seconds, policy)


def post_body(url: str, body: bytes, timeout_seconds: float, policy: CallbackPolicy,
              extra_headers: tuple[tuple[bytes, bytes], ...] = ()) -> int:
    """post_callback with the exact bytes to send (a signature covers them)."""
    try:
        target = parse_callback_url(url, policy)
        addresses = resolve_destination(target, policy)
    except DestinationRefused as exc:
        raise CallbackFailed(exc.reason, permanent=True) from exc
    except DestinationUnresolved as exc:
        raise CallbackFailed(str(exc)) from exc
    return post_to_addresses(target, addresses, body, timeout_seconds, extra_headers)


def post_to_addresses(target: CallbackTarget, addresses: list[IPAddress], body: bytes,
                      timeout_seconds: float, extra_headers: tuple[tuple[bytes, bytes], ...] = ()) -> int:
    """POST to the first of the checked `addresses` that accepts a connection."""
    status = 0
    for index, address in enumerate(addresses):
        try:
            status = _post(target, address, body, timeout_seconds, extra_headers)
            break
        except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
            if index == len(addresses) - 1:
                raise CallbackFailed(type(exc).__name__) from exc
        except _NETWORK_ERRORS as exc:
            raise CallbackFailed(type(exc).__name__) from exc
    if 300 <= status < 400:
        raise CallbackFailed(f"receiver answered {status}; redirects are not followed", permanent=True)
    if not 200 <= status < 300:
        raise CallbackFailed(f"receiver answered {status}")
    return status


def _post(target: CallbackTarget, address: IPAddress, body: bytes, timeout_seconds: float,
          extra_headers: tuple[tuple[bytes, bytes], ...]) -> int:
    url = httpcore.URL(scheme=target.scheme.encode(), host=str(address).encode(), port=target.port,
                       target=_ascii_target(target.target))
    headers = [(b"Host", target.host_header.encode()), (b"Content-Type", b"application/json"),
               (b"User-Agent", USER_AGENT), *extra_headers]
    extensions = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout_seconds),
                  "sni_hostname": target.host}
    with httpcore.ConnectionPool(ssl_context=_tls_context(), max_connections=1, retries=0) as pool:
        with pool.stream("POST", url, headers=headers, content=body, extensions=extensions) as response:
            return response.status  # the body is left unread: nothing from it is used


def _ascii_target(target: str) -> bytes:
    # The request line is ASCII: percent-encode what a caller wrote unencoded, keep the rest.
    return "".join(c if c.isascii() else quote(c) for c in target).encode("ascii")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's trust store (which operators extend for internal receivers) plus certifi's."""
    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    return context
