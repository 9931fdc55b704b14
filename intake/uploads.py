"""Streaming multipart/form-data reader for uploads.

Starlette's form parser spools the whole file before the endpoint runs; we parse the request
stream ourselves so the `file` part goes straight into the blob store and an oversized upload is
answered 413 as soon as it passes the limit, without reading the rest. Other fields are small
text values: their number, each one's size, their total and every part's headers are capped
(FormLimits) while the body streams in, whether or not it declares a Content-Length.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from extraction.documents import SNIFF_BYTES, sniff_media_type
from extraction.errors import BadInput, TooLarge
from intake.form_limits import FormLimits
from intake.storage import BlobStore, BlobWriter

Checked = TypeVar("Checked")
Outcome = TypeVar("Outcome")


class MalformedUpload(BadInput):
    code = "malformed_upload"
    http_status = 400


@dataclass
class Upload:
    sha256: str
    size: int
    media_type: str  # sniffed from the first SNIFF_BYTES, never the file name
    fields: dict[str, str] = field(default_factory=dict)


class _Parts:
    """python-multipart callbacks: route the `file` part to a BlobWriter, keep small fields."""

    def __init__(self, writer: BlobWriter, limits: FormLimits) -> None:
        self.writer, self.limits = writer, limits
        self.fields: dict[str, str] = {}
        self.field_count = self.fields_bytes = 0
        self.complete = False  # the closing boundary was read
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
            "on_part_end": self._part_end, "on_end": self._end,
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
        else:
            self.field_count += 1
            if self.field_count > self.limits.max_fields:
                raise MalformedUpload(f"the form has more than {self.limits.max_fields} fields besides `file`")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._name == "file":
            if len(self.head) < SNIFF_BYTES:
                self.head += chunk[: SNIFF_BYTES - len(self.head)]
            self.writer.write(chunk)
        else:  # a named field, or an unnamed part whose bytes are counted all the same
            self._value += chunk
            self.fields_bytes += len(chunk)
            if len(self._value) > self.limits.max_field_bytes:
                raise MalformedUpload(f"form field {self._name!r} is longer than {self.limits.max_field_bytes} bytes")
            if self.fields_bytes > self.limits.max_fields_bytes:
                raise MalformedUpload(f"the form's fields besides `file` hold more than "
                                      f"{self.limits.max_fields_bytes} bytes")

    def _part_end(self) -> None:
        if self._name and self._name != "file":
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    def _end(self) -> None:
        self.complete = True


async def receive_upload(content_type: str, content_length: str | None, stream: AsyncIterator[bytes],
                         store: BlobStore, limits: FormLimits,
                         check_fields: Callable[[dict[str, str]], Checked],
                         accept: Callable[[Upload, Checked], Outcome]) -> Outcome:
    """Read a multipart upload into the blob store, make the blob durable, then hand it to `accept`.

    `check_fields` sees the form's other fields once the body is read and before the blob is
    committed: whatever it raises refuses the upload with nothing stored. So does an empty file or
    one whose first bytes are no known type (EmptyDocument, UnsupportedFormat); whatever needs the
    file opened is judged later, by the worker. `accept` (blocking: it commits the row) gets the
    durable blob and `check_fields`' result; its result is returned."""
    mime, params = parse_options_header(content_type)
    if mime != b"multipart/form-data" or b"boundary" not in params:
        raise MalformedUpload("send the file as multipart/form-data with a `file` part")
    # The declared body size bounds the file: refuse before reading a byte when it cannot fit.
    if content_length and content_length.isdigit() and int(content_length) > limits.max_body_bytes():
        raise TooLarge(f"file is larger than the limit of {limits.max_file_bytes} bytes")
    with store.writer(limits.max_file_bytes) as writer:
        parts = _Parts(writer, limits)
        try:
            parser = MultipartParser(params[b"boundary"], parts.callbacks(),
                                     max_header_count=limits.max_part_headers,
                                     max_header_size=limits.max_part_header_bytes)
            async for chunk in stream:
                parser.write(chunk)
                if writer.flush_due:  # hashing and writing block: large chunks, in a thread
                    await run_in_threadpool(writer.flush)
        except (FormParserError, ValueError) as exc:  # framing, a boundary over 256 bytes, header caps
            raise MalformedUpload(f"the multipart body cannot be parsed: {exc}") from exc
        if not parts.complete:
            raise MalformedUpload("the multipart body ends before its closing boundary")
        if not parts.file_seen:
            raise MalformedUpload("the form has no `file` part")
        checked = check_fields(parts.fields)
        media_type = sniff_media_type(parts.head)

        def commit_then_accept() -> Outcome:
            upload = Upload(sha256=writer.commit(), size=writer.size, media_type=media_type, fields=parts.fields)
            return accept(upload, checked)

        # The fsyncs and the caller's commit block: one trip to a thread for both, off the event loop.
        return await run_in_threadpool(commit_then_accept)
