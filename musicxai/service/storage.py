"""Blob storage for uploaded clips and explanation artifacts, reachable from API and workers.

Redis (with a TTL) when the service is distributed; a local directory in the embedded mode, whose
files the API's sweeper deletes once they are older than the same TTL, and which refuses a write
that would take it past its size cap. Keys are content-addressed or job-scoped, so writing twice
writes the same bytes. A store without room raises :class:`~musicxai.errors.StorageFullError`
(507): an upload is refused, a job fails with that reason; nothing half-written is ever visible.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

from musicxai.errors import ParameterError, StorageFullError

USAGE_RESCAN_S = 5.0  # other processes write to the same folder: recount its size this often
_KEY = re.compile(r"^[a-z]+(/[A-Za-z0-9._-]+)+$")


def _check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ParameterError(f"blob key {key!r} is not a valid storage key")
    return key


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def exists(self, key: str) -> bool: ...
    def expire(self, *, now: float | None = None) -> int: ...


def _full(detail: str) -> StorageFullError:
    return StorageFullError(f"The clip and artifact store is full ({detail}); try again once old results expire.")


class LocalBlobStore:
    """Files under ``root``, kept ``ttl_s`` seconds and at most ``max_bytes`` in all; writes are
    atomic (temp file + rename)."""

    def __init__(self, root: Path, *, ttl_s: float, max_bytes: int) -> None:
        self.root, self.ttl_s, self.max_bytes = Path(root), ttl_s, max_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._counted_at = -USAGE_RESCAN_S
        self._usage = 0

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def _files(self):
        for folder, _, names in os.walk(self.root):
            for name in names:
                yield Path(folder) / name

    def usage(self) -> int:
        """Bytes in the store: counted again every ``USAGE_RESCAN_S``, plus this process's writes since."""
        with self._lock:
            if time.monotonic() - self._counted_at >= USAGE_RESCAN_S:
                self._usage = sum(p.stat().st_size for p in self._files() if p.is_file())
                self._counted_at = time.monotonic()
            return self._usage

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if self.usage() + len(data) > self.max_bytes:
            raise _full(f"its cap of {self.max_bytes} bytes is reached")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise _full("the disk is full") from exc
            raise
        with self._lock:
            self._usage += len(data)

    def expire(self, *, now: float | None = None) -> int:
        """Delete files (and temp files of crashed writes) older than the TTL; returns how many."""
        cutoff = (time.time() if now is None else now) - self.ttl_s
        removed = 0
        for path in self._files():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another process removed it first
                continue
        if removed:
            with self._lock:
                self._counted_at = -USAGE_RESCAN_S
        return removed

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class RedisBlobStore:
    """Values in Redis under ``musicxai:blob:<key>`` with a TTL refreshed on every write."""

    def __init__(self, client, *, ttl_s: int, prefix: str = "musicxai:blob:") -> None:
        self.client, self.ttl_s, self.prefix = client, ttl_s, prefix

    def put(self, key: str, data: bytes) -> None:
        import redis

        try:
            self.client.set(self.prefix + _check_key(key), data, ex=self.ttl_s)
        except redis.exceptions.OutOfMemoryError as exc:  # maxmemory reached under noeviction
            raise _full("Redis is at its memory limit") from exc

    def get(self, key: str) -> bytes | None:
        return self.client.get(self.prefix + _check_key(key))

    def exists(self, key: str) -> bool:
        return bool(self.client.exists(self.prefix + _check_key(key)))

    def expire(self, *, now: float | None = None) -> int:
        """Nothing to do: Redis drops each value when its TTL ends."""
        return 0


def clip_key(sha256: str, owner: str | None = None) -> str:
    """Where a clip is kept: shared by content, or in the folder of the API key that uploaded it."""
    return f"clips/{sha256}" if owner is None else f"keys/{owner}/clips/{sha256}"


def artifact_key(job_id: str, name: str) -> str:
    return f"jobs/{job_id}/{name}"
