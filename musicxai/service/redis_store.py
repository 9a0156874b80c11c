"""The clip and artifact store of the distributed mode: values in a Redis of their own.

Redis counts and evicts: with ``maxmemory-policy volatile-lru`` it evicts, past ``maxmemory``, the
least recently used of the keys that have a lifetime. An unpinned value is written with one;
pinning removes it (``PERSIST``), so no eviction takes what an unfinished job needs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

from musicxai.service.storage import StoreStats, check_key, full

# KEYS: the keys to pin, then the set of pinned keys -> the keys already gone
PIN_SCRIPT = """
local missing = {}
local pins = KEYS[#KEYS]
for i = 1, #KEYS - 1 do
  if redis.call('PERSIST', KEYS[i]) == 1 or redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('SADD', pins, KEYS[i])
  else
    table.insert(missing, KEYS[i])
  end
end
return missing
"""


class RedisBlobStore:
    """Values in their own Redis under ``musicxai:blob:<key>``: unpinned ones with a lifetime of
    ``ttl_s`` (renewed by a write), so that ``maxmemory-policy volatile-lru`` may evict them; pinned
    ones without, listed in a set so the sweeper can reconcile them."""

    def __init__(self, client, *, ttl_s: int, prefix: str = "musicxai:blob:") -> None:
        self.client, self.ttl_s, self.prefix = client, ttl_s, prefix
        self.pins = prefix + ".pins"
        self._pin = client.register_script(PIN_SCRIPT)

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        import redis

        try:
            yield
        except redis.exceptions.OutOfMemoryError as exc:  # nothing left that volatile-lru may evict
            raise full("Redis is at its memory limit") from exc

    def put(self, key: str, data: bytes, *, pinned: bool = False) -> None:
        with self._writing(), self.client.pipeline(transaction=False) as pipe:
            if pinned:
                pipe.set(self._key(key), data)
                pipe.sadd(self.pins, self._key(key))
            else:
                pipe.set(self._key(key), data, ex=self.ttl_s)
            pipe.execute()

    def get(self, key: str) -> bytes | None:
        return self.client.get(self._key(key))

    def touch(self, key: str) -> bool:
        return bool(self.client.touch(self._key(key)))

    def exists(self, key: str) -> bool:
        return bool(self.client.exists(self._key(key)))

    def pin(self, keys: Iterable[str]) -> list[str]:
        full = [self._key(k) for k in keys]
        if not full:
            return []
        with self._writing():
            missing = self._pin(keys=[*full, self.pins])
        return [m.decode()[len(self.prefix) :] for m in missing]

    def unpin(self, keys: Iterable[str]) -> None:
        full = [self._key(k) for k in keys]
        # no MULTI: over maxmemory (pinned blobs filling it, when unpinning matters most) Redis refuses a
        # whole transaction, while EXPIRE and SREM alone are allowed
        with self.client.pipeline(transaction=False) as pipe:
            for key in full:
                pipe.expire(key, self.ttl_s)
                pipe.srem(self.pins, key)
            pipe.execute()

    def reconcile(self, wanted: Callable[[], set[str]]) -> None:
        current = {m.decode()[len(self.prefix) :] for m in self.client.smembers(self.pins)}
        keep = wanted()
        self.unpin(current - keep)
        self.pin(keep - current)

    def expire(self, *, now: float | None = None) -> int:
        """Nothing to do: Redis drops each unpinned value when its lifetime ends."""
        return 0

    def stats(self) -> StoreStats:
        memory, counts = self.client.info("memory"), self.client.info("stats")
        return StoreStats(
            used_bytes=int(memory["used_memory"]),
            cap_bytes=int(memory.get("maxmemory") or 0) or None,
            evicted_keys=int(counts["evicted_keys"]),
        )

    def eviction_policy(self) -> str | None:
        """The server's ``maxmemory-policy``; None where CONFIG is not allowed (managed Redis)."""
        import redis

        try:
            return self.client.config_get("maxmemory-policy").get("maxmemory-policy")
        except redis.exceptions.ResponseError:
            return None
