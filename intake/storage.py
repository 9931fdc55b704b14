"""Content-addressed blob store: <root>/<sha256[:2]>/<sha256>.

Blobs are named by the hash of their bytes, never by an uploaded file name. A write goes to a
temporary file in the same directory, is fsync'd, then renamed into place (and the directory
fsync'd), so a blob that is visible is complete and survives a crash: callers commit the DB row
that references it only after `put`/`put_stream` returned. A blob stays until the orphan sweep
(intake/blob_sweep.py) finds no row for it; storing bytes that are already there refreshes the
blob's modification time, so the sweep's grace period covers the row about to reference it.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from extraction.errors import TooLarge


_HEX = frozenset("0123456789abcdef")
# An upload's bytes are written (and hashed) in chunks of at least this size: a packet smaller
# than this is one write; a larger one holds at most this much (plus one read) in memory.
WRITE_CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    mtime: float

    @property
    def sha256(self) -> str:
        return self.path.name


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _is_blob_key(sha256):
            raise ValueError("blob key must be a lowercase sha256 hex digest")
        return self.root / sha256[:2] / sha256

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def delete_if_unchanged(self, blob: StoredFile) -> None:
        """Delete a listed blob unless it was stored again since it was listed."""
        try:
            if os.stat(blob.path).st_mtime == blob.mtime:
                blob.path.unlink(missing_ok=True)
        except FileNotFoundError:
            pass

    def blobs(self) -> Iterator[StoredFile]:
        """Every stored blob (not the temporary files of writes in progress)."""
        if not self.root.is_dir():
            return
        for shard in os.scandir(self.root):
            if len(shard.name) != 2 or not shard.is_dir():
                continue
            for entry in os.scandir(shard.path):
                if _is_blob_key(entry.name) and entry.is_file():
                    yield _stored_file(entry)

    def temp_files(self) -> Iterator[StoredFile]:
        """Partial writes: in progress, or left by a process that died mid-upload."""
        temp_dir = self.root / "tmp"
        if temp_dir.is_dir():
            yield from (_stored_file(entry) for entry in os.scandir(temp_dir) if entry.is_file())

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self._refresh(sha256):
            with _TempFile(self.root) as temp:
                temp.write_all(data)
                self._commit(temp.fd, temp.path, sha256)
                temp.moved = True
        return sha256

    def writer(self, max_bytes: int) -> "BlobWriter":
        """Incremental write of one blob; raises TooLarge as soon as it passes max_bytes."""
        return BlobWriter(self, max_bytes)

    def writable(self) -> bool:
        try:
            with _TempFile(self.root) as temp:
                temp.write_all(b"probe")
                os.fsync(temp.fd)
            return True
        except OSError:
            return False

    def _refresh(self, sha256: str) -> bool:
        """True if the blob exists, its time now fresh (a row is about to reference it again)."""
        try:
            os.utime(self.path(sha256))
            return True
        except FileNotFoundError:
            return False

    def _commit(self, fd: int, tmp: Path, sha256: str) -> None:
        os.fsync(fd)
        final = self.path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        _fsync_dir(final.parent)


class BlobWriter:
    """One blob written incrementally. `write` only gathers bytes in memory (it runs on the event
    loop, once per chunk the server read); `flush` hashes and writes them, in chunks of at least
    WRITE_CHUNK_BYTES, and `commit` writes the rest and makes the blob durable: both block, so the
    caller runs them in a thread. An upload smaller than a chunk is one write, in the same thread
    trip as its fsync, and creates its temp file only then."""

    def __init__(self, store: BlobStore, max_bytes: int) -> None:
        self.store, self.max_bytes = store, max_bytes
        self.digest, self.size = hashlib.sha256(), 0
        self._pending = bytearray()
        self._temp: _TempFile | None = None

    def __enter__(self) -> "BlobWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._temp is not None:
            self._temp.close()

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(f"file is larger than the limit of {self.max_bytes} bytes")
        self._pending += chunk

    @property
    def flush_due(self) -> bool:
        return len(self._pending) >= WRITE_CHUNK_BYTES

    def flush(self) -> None:
        """Hash and write what `write` gathered (blocking; hashlib releases the GIL on large data)."""
        if self._temp is None:
            self._temp = _TempFile(self.store.root)
        data, self._pending = self._pending, bytearray()
        self.digest.update(data)
        self._temp.write_all(data)

    def commit(self) -> str:
        """Make the blob durable under its hash and return the hash (blocking)."""
        self.flush()
        sha256 = self.digest.hexdigest()
        if not self.store._refresh(sha256):
            self.store._commit(self._temp.fd, self._temp.path, sha256)
            self._temp.moved = True
        self._temp.close()
        return sha256


class _TempFile:
    """A temp file under <root>/tmp, created at once; `close` removes it unless it was moved into place."""

    def __init__(self, root: Path) -> None:
        directory = root / "tmp"
        try:
            self.fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        except FileNotFoundError:  # the first write into this store: the directory is made once
            directory.mkdir(parents=True, exist_ok=True)
            self.fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self.moved = self.closed = False

    def __enter__(self) -> "_TempFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write_all(self, data: bytes | bytearray) -> None:
        view = memoryview(data)
        while view:  # os.write may write less than it was given
            view = view[os.write(self.fd, view):]

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        os.close(self.fd)
        if not self.moved:
            self.path.unlink(missing_ok=True)


def _is_blob_key(name: str) -> bool:
    return len(name) == 64 and all(c in _HEX for c in name)


def _stored_file(entry: os.DirEntry) -> StoredFile:
    stat = entry.stat()
    return StoredFile(Path(entry.path), stat.st_size, stat.st_mtime)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
