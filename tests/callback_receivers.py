"""Real local HTTP servers that stand for callback receivers: they record every POST and answer
with a fixed status (a redirect, if given a Location)."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


class RecordingServer(HTTPServer):
    def __init__(self, host: str, status: int, location: str) -> None:
        super().__init__((host, 0), _Recorder)
        self.status, self.location = status, location
        self.received: list[dict] = []  # {"host", "path", "authorization", "body"} per POST
        self.signing: list[dict] = []  # {"idempotency_key", "signature", "raw" body bytes} per POST


class _Recorder(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"host": self.headers["Host"], "path": self.path,
                                     "authorization": self.headers.get("Authorization"),
                                     "body": json.loads(body)})
        self.server.signing.append({"idempotency_key": self.headers.get("Idempotency-Key"),
                                    "signature": self.headers.get("X-Intake-Signature"), "raw": body})
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@contextmanager
def receiver(host: str = "127.0.0.1", status: int = 204, location: str = "") -> Iterator[RecordingServer]:
    server = RecordingServer(host, status, location)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- a signed-callback receiver
# The example a receiver of outbox callbacks can copy: verify X-Intake-Signature over the raw
# body (before parsing it) with the key's callback secret, answer 401 when it does not match,
# and act on each Idempotency-Key once (a redelivery after a sender crash is acknowledged, not
# acted on again). Run as a process: python tests/callback_receivers.py HOST:PORT SECRET LOG_FILE
# (HOST:PORT; one JSON line per request in LOG_FILE: event id, signature valid, duplicate).

def signature_is_valid(secret: str, body: bytes, header: str | None) -> bool:
    import hashlib
    import hmac
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(expected, header)


class SignedReceiverServer(HTTPServer):
    def __init__(self, address: tuple[str, int], secret: str, log_path: str) -> None:
        super().__init__(address, _SignedReceiver)
        self.secret, self.log_path = secret, log_path
        self.seen: set[str] = set()  # a real receiver keeps these in its database


class _SignedReceiver(BaseHTTPRequestHandler):
    server: SignedReceiverServer

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        valid = signature_is_valid(self.server.secret, body, self.headers.get("X-Intake-Signature"))
        key = self.headers.get("Idempotency-Key") or ""
        duplicate = valid and key in self.server.seen
        if valid and not duplicate:
            self.server.seen.add(key)  # act on the event here, once
        with open(self.server.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"idempotency_key": key, "valid": valid, "duplicate": duplicate,
                                  "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(204 if valid else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    import sys
    host, port = sys.argv[1].rsplit(":", 1)
    SignedReceiverServer((host, int(port)), sys.argv[2], sys.argv[3]).serve_forever()
