"""Opening the stores the settings name, in one place: the job ledger and the blob store, each on
SQLite or a local folder in the embedded mode and on Redis when the service is distributed."""

from __future__ import annotations

from musicxai.config import Settings
from musicxai.service.ledger import JobLedger
from musicxai.service.redis_ledger import RedisJobLedger
from musicxai.service.sqlite_ledger import SqliteJobLedger
from musicxai.service.storage import BlobStore, LocalBlobStore, RedisBlobStore


def redis_client(settings: Settings):
    """A client of ``settings.redis_url`` whose calls fail within the settings' timeouts, never hang."""
    import redis

    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_socket_timeout_s,
        socket_connect_timeout=settings.redis_connect_timeout_s,
    )


def open_ledger(settings: Settings) -> JobLedger:
    if settings.embedded:
        return SqliteJobLedger(settings.data_dir / "jobs.sqlite")
    return RedisJobLedger(redis_client(settings))


def open_blob_store(settings: Settings) -> BlobStore:
    if settings.embedded:
        return LocalBlobStore(
            settings.data_dir / "blobs", ttl_s=settings.blob_ttl_s, max_bytes=settings.max_store_bytes
        )
    return RedisBlobStore(redis_client(settings), ttl_s=settings.blob_ttl_s)
