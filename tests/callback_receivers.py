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


class _Recorder(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"host": self.headers["Host"], "path": self.path,
                                     "authorization": self.headers.get("Authorization"),
                                     "body": json.loads(body)})
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
