"""Structured logs: one JSON object per line.

Only ids, statuses, codes, counts and timings are logged: never document text, file names or
patient fields. `log_event` is the one way the service writes an event.
"""
from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name,
        }
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        out["event"] = fields.pop("event", None) or record.getMessage()
        out.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            # Type and stack only: messages of third-party exceptions may quote document content.
            out["exception"] = record.exc_info[0].__name__
            out["stack"] = [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(record.exc_info[2])]
        return json.dumps(out, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """fields: document_id, status, code, page, seconds, count... (never text or patient data)."""
    if "seconds" in fields and isinstance(fields["seconds"], float):
        fields["seconds"] = round(fields["seconds"], 3)
    logger.log(level, event, extra={"event": event, **fields})
