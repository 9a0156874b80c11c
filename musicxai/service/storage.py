"""Blob storage for uploaded clips and explanation artifacts, reachable from API and workers: a cache
with a bound, not a wall.

Past its cap the store evicts what was used least recently, never what is *pinned*: the clips and
artifacts of unfinished jobs. A pinned key is kept (and never expires) until it is unpinned; the
sweeper keeps the pins equal to what the job ledger says is unfinished (:meth:`reconcile`), and a
job pins its clip when it is admitted. The store refuses a write (507) only when pinned data alone
fills it. Two backends, one behaviour:

- a local folder (the embedded mode, :mod:`musicxai.service.local_store`);
- Redis (distributed, :mod:`musicxai.service.redis_store`): its own instance with
  ``maxmemory-policy volatile-lru``.

Keys are content-addressed or job-scoped, so writing twice writes the same bytes; nothing
half-written is ever visible.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from musicxai.errors import ParameterError, StorageFullError

_KEY = re.compile(r"^[a-z]+(/[A-Za-z0-9._-]+)+$")


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise ParameterError(f"blob key {key!r} is not a valid storage key")
    return key


@dataclass(frozen=True)
class StoreStats:
    used_bytes: int
    cap_bytes: int | None  # None: the store has no cap of its own (Redis without maxmemory)
    evicted_keys: int  # since the store was created (local) or the Redis server started


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, *, pinned: bool = False) -> None:
        """Store ``data``; ``pinned`` keeps it until :meth:`unpin` (a running job's artifacts)."""

    def get(self, key: str) -> bytes | None:
        """The bytes, or None when absent; a read is a use (least recently used goes first)."""

    def touch(self, key: str) -> bool:
        """A use without a read; whether the key is there."""

    def exists(self, key: str) -> bool:
        """Whether the key is there, without counting as a use."""

    def pin(self, keys: Iterable[str]) -> list[str]:
        """Keep these keys past any eviction and lifetime; returns those already gone."""

    def unpin(self, keys: Iterable[str]) -> None:
        """Let these keys be evicted again, and expire after the store's lifetime."""

    def reconcile(self, wanted: Callable[[], set[str]]) -> None:
        """Make the pins exactly ``wanted()``, read *after* the current pins, so a key pinned while this
        runs by a job the ledger already holds is never unpinned."""

    def expire(self, *, now: float | None = None) -> int:
        """Delete unpinned keys unused for the store's lifetime; returns how many."""

    def stats(self) -> StoreStats: ...


def full(detail: str) -> StorageFullError:
    return StorageFullError(
        f"The clip and artifact store is full ({detail}): everything it holds belongs to explanation jobs "
        "still queued or running, so nothing can be evicted; try again once some of them finish."
    )


def clip_key(sha256: str, owner: str | None = None) -> str:
    """Where a clip is kept: shared by content, or in the folder of the API key that uploaded it."""
    return f"clips/{sha256}" if owner is None else f"keys/{owner}/clips/{sha256}"


def artifact_key(job_id: str, name: str) -> str:
    return f"jobs/{job_id}/{name}"
