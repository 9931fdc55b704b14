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
            with self._temp_file() as (fd, tmp):
                os.write(fd, data)
                self._commit(fd, tmp, sha256)
        return sha256

    def writer(self, max_bytes: int) -> "BlobWriter":
        """Incremental write of one blob; raises TooLarge as soon as it passes max_bytes."""
        return BlobWriter(self, max_bytes)

    def writable(self) -> bool:
        try:
            with self._temp_file() as (fd, _tmp):
                os.write(fd, b"probe")
                os.fsync(fd)
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

    def _temp_file(self) -> "_TempFile":
        return _TempFile(self.root)

    def _commit(self, fd: int, tmp: Path, sha256: str) -> None:
        os.fsync(fd)
        final = self.path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        _fsync_dir(final.parent)


class BlobWriter:
    def __init__(self, store: BlobStore, max_bytes: int) -> None:
        self.store, self.max_bytes = store, max_bytes
        self.digest, self.size = hashlib.sha256(), 0
        self._temp = store._temp_file()

    def __enter__(self) -> "BlobWriter":
        self.fd, self.tmp = self._temp.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._temp.__exit__(*exc)

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(f"file is larger than the limit of {self.max_bytes} bytes")
        self.digest.update(chunk)
        os.write(self.fd, chunk)

    def commit(self) -> str:
        """Make the blob durable under its hash and return the hash."""
        sha256 = self.digest.hexdigest()
        if not self.store._refresh(sha256):
            self.store._commit(self.fd, self.tmp, sha256)
        return sha256


class _TempFile:
    """A temp file under <root>/tmp, removed on exit unless it was renamed into place."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "tmp"

    def __enter__(self) -> tuple[int, Path]:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fd, name = tempfile.mkstemp(dir=self.dir, prefix="upload-")
        self.tmp = Path(name)
        return self.fd, self.tmp

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)
        self.tmp.unlink(missing_ok=True)


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
