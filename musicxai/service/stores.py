"""Opening the stores the settings name, in one place: the job ledger and the blob store, each on
SQLite or a local folder in the embedded mode and on Redis when the service is distributed, where the
blobs may (and should) have a Redis instance of their own."""

from __future__ import annotations

import logging

from musicxai.config import Settings
from musicxai.service.ledger import JobLedger
from musicxai.service.local_store import LocalBlobStore
from musicxai.service.redis_ledger import RedisJobLedger
from musicxai.service.redis_store import RedisBlobStore
from musicxai.service.sqlite_ledger import SqliteJobLedger
from musicxai.service.storage import BlobStore

log = logging.getLogger(__name__)
EVICTING_POLICIES = ("volatile-lru", "volatile-lfu")  # evict keys with a lifetime, never the pinned ones


def redis_client(settings: Settings, url: str | None = None):
    """A client of ``url`` (default ``settings.redis_url``) whose calls fail within the settings'
    timeouts, never hang."""
    import redis

    return redis.Redis.from_url(
        url or settings.redis_url,
        socket_timeout=settings.redis_socket_timeout_s,
        socket_connect_timeout=settings.redis_connect_timeout_s,
    )


def open_ledger(settings: Settings) -> JobLedger:
    if settings.embedded:
        return SqliteJobLedger(settings.data_dir / "jobs.sqlite", retention_s=settings.record_ttl_s)
    return RedisJobLedger(redis_client(settings), retention_s=settings.record_ttl_s)


def open_blob_store(settings: Settings) -> BlobStore:
    if settings.embedded:
        return LocalBlobStore(
            settings.data_dir / "blobs", ttl_s=settings.blob_ttl_s, max_bytes=settings.max_store_bytes
        )
    store = RedisBlobStore(redis_client(settings, settings.blob_redis_url), ttl_s=settings.blob_ttl_s)
    try:
        policy = store.eviction_policy()
    except Exception:  # unreachable now: the first request will say so
        policy = None
    if policy is not None and policy not in EVICTING_POLICIES:
        log.warning(
            "the blob store's Redis has maxmemory-policy %s: at its memory limit it %s; give clips and "
            "artifacts their own Redis with volatile-lru (MUSICXAI_BLOB_REDIS_URL)",
            policy,
            "refuses every new upload" if policy == "noeviction" else "may evict what unfinished jobs need",
        )
    return store
