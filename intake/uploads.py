"""Streaming multipart/form-data reader for uploads.

Starlette's form parser spools the whole file before the endpoint runs; we parse the request
stream ourselves so the `file` part goes straight into the blob store and an oversized upload is
answered 413 as soon as it passes the limit, without reading the rest. Other fields are small
text values with their own cap.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from extraction.errors import BadInput, TooLarge
from intake.storage import BlobStore, BlobWriter

MAX_FIELD_BYTES = 4096
Checked = TypeVar("Checked")


class MalformedUpload(BadInput):
    code = "malformed_upload"
    http_status = 400


@dataclass
class Upload:
    sha256: str
    size: int
    head: bytes  # the first bytes, for content sniffing
    fields: dict[str, str] = field(default_factory=dict)


class _Parts:
    """python-multipart callbacks: route the `file` part to a BlobWriter, keep small fields."""

    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer
        self.fields: dict[str, str] = {}
        self.file_seen = False
        self.head = b""
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name: str | None = None
        self._value = bytearray()

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_val, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._disposition, self._name, self._value = b"", None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_val(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._disposition)
        name = params.get(b"name")
        self._name = name.decode("utf-8", "replace") if name else None
        if self._name == "file":
            if self.file_seen:
                raise MalformedUpload("only one `file` part is accepted")
            self.file_seen = True

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._name == "file":
            if len(self.head) < 64:
                self.head += chunk[: 64 - len(self.head)]
            self.writer.write(chunk)
        elif self._name is not None:
            self._value += chunk
            if len(self._value) > MAX_FIELD_BYTES:
                raise MalformedUpload(f"form field {self._name!r} is longer than {MAX_FIELD_BYTES} bytes")

    def _part_end(self) -> None:
        if self._name and self._name != "file":
            self.fields[self._name] = self._value.decode("utf-8", "replace")


async def receive_upload(content_type: str, content_length: str | None, stream: AsyncIterator[bytes],
                         store: BlobStore, max_bytes: int,
                         check_fields: Callable[[dict[str, str]], Checked]) -> tuple[Upload, Checked]:
    """Read a multipart upload into the blob store; the blob is durable when this returns.

    `check_fields` sees the form's other fields once the body is read and before the blob is
    committed: whatever it raises refuses the upload with nothing stored. Its result is returned."""
    mime, params = parse_options_header(content_type)
    if mime != b"multipart/form-data" or b"boundary" not in params:
        raise MalformedUpload("send the file as multipart/form-data with a `file` part")
    # The declared body size bounds the file: refuse before reading a byte when it cannot fit.
    if content_length and content_length.isdigit() and int(content_length) > max_bytes + 2 * MAX_FIELD_BYTES * 8:
        raise TooLarge(f"file is larger than the limit of {max_bytes} bytes")
    with store.writer(max_bytes) as writer:
        parts = _Parts(writer)
        parser = MultipartParser(params[b"boundary"], parts.callbacks())
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
        if not parts.file_seen:
            raise MalformedUpload("the form has no `file` part")
        checked = check_fields(parts.fields)
        sha256 = await run_in_threadpool(writer.commit)  # fsyncs: off the event loop
        return Upload(sha256=sha256, size=writer.size, head=parts.head, fields=parts.fields), checked
