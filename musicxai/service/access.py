"""Optional API keys and each key's share of the service.

A key is a random token handed to one client; the service holds only its sha256
(``MUSICXAI_API_KEYS=name:sha256,…``), so a settings file or a log that leaks leaks no key. A fast
hash is enough because keys are 256 random bits, not passwords a person chose: nothing is learned
from the hash by guessing. Requests are counted per key in moving windows by the ``limits``
library, in Redis when the service is distributed (all API processes share one count per key) and
in memory in the embedded mode; if Redis stops answering, each process counts on its own until it
answers again, so a Redis outage neither opens the service to a flood nor refuses every request.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from musicxai.config import parse_api_keys

log = logging.getLogger(__name__)
KEY_PREFIX = "mxk_"


def new_key() -> str:
    """A fresh key: 32 random bytes, URL-safe, recognisable by its prefix in a secret scanner."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKeys:
    """The accepted keys, by the sha256 of each, with the name that owns its jobs and counts."""

    names_by_hash: dict[str, str]

    @classmethod
    def parse(cls, entries: str) -> ApiKeys:
        """``name:sha256,name:sha256`` (the ``MUSICXAI_API_KEYS`` format); an empty string means keys are off."""
        return cls(parse_api_keys(entries))

    def __bool__(self) -> bool:
        return bool(self.names_by_hash)

    def identify(self, key: str) -> str | None:
        """The name of ``key``, or ``None`` when it is not one of ours."""
        return self.names_by_hash.get(hash_key(key))


@dataclass(frozen=True)
class Exceeded:
    limit: RateLimitItem
    kind: str  # "requests" or "uploads": which budget it is
    retry_after_s: int


class RateLimits:
    """Moving-window budgets per key: ``requests`` for every call, ``uploads`` on top for the calls
    that send a clip (each costs a decode and a model run, or queues a job)."""

    def __init__(self, *, requests: str, uploads: str, storage_uri: str | None = None) -> None:
        self.requests, self.uploads = parse_many(requests), parse_many(uploads)
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared = self.local
        if storage_uri is not None:
            storage = storage_from_string(
                storage_uri, key_prefix="musicxai:limits", socket_timeout=1.0, socket_connect_timeout=1.0
            )
            self.shared = MovingWindowRateLimiter(storage)

    def hit(self, name: str, *, upload: bool) -> Exceeded | None:
        """Count one request of key ``name``; ``None`` if it is within budget, else the budget it
        exceeds and the seconds until it has room again."""
        items = [(item, "requests") for item in self.requests]
        items += [(item, "uploads") for item in self.uploads] if upload else []
        try:
            return _hit(self.shared, items, name)
        except Exception as exc:  # the shared store (Redis) is down: count in this process meanwhile
            log.warning("rate-limit store unreachable (%s); counting per process", exc)
            return _hit(self.local, items, name)


def _hit(limiter: MovingWindowRateLimiter, items: list[tuple[RateLimitItem, str]], name: str) -> Exceeded | None:
    for item, kind in items:
        if not limiter.hit(item, name):
            reset = limiter.get_window_stats(item, name).reset_time
            return Exceeded(item, kind, max(1, math.ceil(reset - time.time())))
    return None
