"""Blob storage for uploaded clips and explanation artifacts, reachable from API and workers.

Redis (with a TTL) when the service is distributed; a local directory in the embedded mode.
Keys are content-addressed or job-scoped, so writing twice writes the same bytes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from musicxai.config import Settings
from musicxai.errors import ParameterError

_KEY = re.compile(r"^[a-z]+(/[A-Za-z0-9._-]+)+$")


def _check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ParameterError(f"blob key {key!r} is not a valid storage key")
    return key


class BlobStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    """Files under ``root``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

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
        self.client.set(self.prefix + _check_key(key), data, ex=self.ttl_s)

    def get(self, key: str) -> bytes | None:
        return self.client.get(self.prefix + _check_key(key))

    def exists(self, key: str) -> bool:
        return bool(self.client.exists(self.prefix + _check_key(key)))


def redis_client(settings: Settings):
    import redis

    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_socket_timeout_s,
        socket_connect_timeout=settings.redis_connect_timeout_s,
    )


def open_blob_store(settings: Settings) -> BlobStore:
    if settings.embedded:
        return LocalBlobStore(settings.data_dir / "blobs")
    return RedisBlobStore(redis_client(settings), ttl_s=settings.blob_ttl_s)


def clip_key(sha256: str) -> str:
    return f"clips/{sha256}"


def artifact_key(job_id: str, name: str) -> str:
    return f"jobs/{job_id}/{name}"
