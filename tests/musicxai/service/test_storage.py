"""The clip and artifact store is a cache with a bound: past its cap the least recently used blobs go,
pinned ones never; it refuses a write only when pinned blobs alone fill it. The same behaviour from
the local folder and from a Redis with volatile-lru; a full disk and bad keys are refused cleanly."""

import errno
import os
import time

import pytest

from musicxai.errors import ParameterError, StorageFullError
from musicxai.service import local_store
from musicxai.service.local_store import LocalBlobStore
from musicxai.service.redis_store import RedisBlobStore
from tests.support.services import RedisServer

BLOB = 100_000  # bytes per test blob
REDIS_MEMORY = "4mb"  # a Redis with ~3 MB of room past its own needs: a few dozen blobs


def files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".pins" not in p.parts)


@pytest.fixture(scope="module")
def blob_redis(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("blob-redis"), maxmemory=REDIS_MEMORY).start()
    yield server
    server.stop()


@pytest.fixture(params=["local", "redis"])
def store(request, tmp_path, monkeypatch):
    """A store with room for a few dozen blobs."""
    if request.param == "local":
        monkeypatch.setattr(local_store, "USAGE_RESCAN_S", 0.0)  # count what another process may have written
        return LocalBlobStore(tmp_path, ttl_s=3600, max_bytes=20 * BLOB)
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("blob_redis").url)
    client.flushdb()
    return RedisBlobStore(client, ttl_s=3600)


@pytest.fixture
def room(store) -> int:
    """How many test blobs the empty store holds before it evicts: counted on the local store's cap,
    measured on Redis (its allocator rounds each value up and adds its key's own memory)."""
    if isinstance(store, LocalBlobStore):
        return store.max_bytes // BLOB
    before, n = store.stats().evicted_keys, 0
    while store.stats().evicted_keys == before:
        store.put(f"probe/{n}", blob(n))
        n += 1
    store.client.flushdb()
    return n - 1


@pytest.fixture
def tick(store):
    """Wait until a later use is told apart from an earlier one: Redis's LRU clock counts seconds."""
    return lambda: time.sleep(1.1 if isinstance(store, RedisBlobStore) else 0.01)


@pytest.fixture
def slack(store) -> float:
    """The share of the least recently used that may survive an eviction: none from the local store, a
    few from Redis, whose LRU compares a sample of keys, not all of them."""
    return 0.25 if isinstance(store, RedisBlobStore) else 0.0


def blob(i: int) -> bytes:
    return bytes([i % 251]) * BLOB


def put_all(store, names, *, pinned: bool = False) -> None:
    for i, name in enumerate(names):
        store.put(name, blob(i), pinned=pinned)


def test_writing_past_the_cap_evicts_the_oldest_and_keeps_the_newest(store, room, tick, slack):
    n, evicted_before = room, store.stats().evicted_keys
    old, new = [f"clips/old{i}" for i in range(n // 2)], [f"clips/new{i}" for i in range(n)]
    put_all(store, old)
    tick()
    put_all(store, new)
    assert sum(store.exists(k) for k in old) <= slack * len(old)
    newest = new[n // 2 :]
    assert sum(store.exists(k) for k in newest) >= (1 - slack) * len(newest)
    assert store.get(new[-1]) == blob(len(new) - 1)
    kept = sum(store.exists(k) for k in old + new)
    assert store.stats().evicted_keys - evicted_before == len(old) + len(new) - kept


def test_a_read_is_a_use_so_a_clip_read_often_outlives_newer_ones(store, room, tick):
    n = room
    old, new = [f"clips/old{i}" for i in range(n // 2)], [f"clips/new{i}" for i in range(n // 2 + n // 5)]
    put_all(store, old)
    tick()
    assert store.get(old[0]) == blob(0)  # kept in use, as an explained clip's repeated reads are
    tick()
    put_all(store, new)
    assert store.exists(old[0]) and not all(store.exists(k) for k in old[1:])  # Redis samples which old ones go
    assert all(store.exists(k) for k in new)


def test_pinned_blobs_are_never_evicted_and_unpinned_ones_go_like_the_rest(store, room, tick):
    n = room
    store.put("clips/needed", blob(1))
    assert store.pin(["clips/needed", "clips/never-stored"]) == ["clips/never-stored"]
    store.put("jobs/j1/audio.wav", blob(2), pinned=True)  # a running job's artifact
    tick()
    put_all(store, [f"clips/a{i}" for i in range(2 * n)])
    assert store.get("clips/needed") == blob(1) and store.get("jobs/j1/audio.wav") == blob(2)
    store.unpin(["clips/needed", "jobs/j1/audio.wav"])
    tick()
    put_all(store, [f"clips/b{i}" for i in range(2 * n)])
    assert not store.exists("clips/needed") and not store.exists("jobs/j1/audio.wav")


def test_a_write_is_refused_only_when_pinned_blobs_alone_fill_the_store(store, room):
    n = room
    with pytest.raises(StorageFullError, match="still queued or running"):
        put_all(store, [f"clips/p{i}" for i in range(2 * n)], pinned=True)
    pinned = [i for i in range(2 * n) if store.exists(f"clips/p{i}")]
    assert n - 2 <= len(pinned) <= n
    store.unpin([f"clips/p{i}" for i in pinned])  # their jobs finished
    store.put("clips/new", blob(3))
    assert store.get("clips/new") == blob(3)


def test_reconciling_makes_the_pins_what_unfinished_jobs_need(store, room, tick):
    n = room
    for name in ("a", "b", "c"):
        store.put(f"clips/{name}", blob(1))
    store.pin(["clips/a", "clips/b"])
    store.reconcile(lambda: {"clips/b", "clips/c", "clips/gone"})  # a finished, c's job admitted meanwhile
    tick()
    put_all(store, [f"clips/new{i}" for i in range(2 * n)])
    assert [store.exists(f"clips/{name}") for name in "abc"] == [False, True, True]


def test_a_full_disk_is_storage_full_and_the_temp_file_is_gone(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path, ttl_s=3600, max_bytes=10**9)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local_store.os, "replace", no_space)
    with pytest.raises(StorageFullError, match="disk is full"):
        store.put("jobs/j1/heatmap.png", b"png")
    assert files(tmp_path) == []


def test_files_unused_past_the_ttl_are_expired_and_pinned_or_fresh_ones_kept(tmp_path):
    store = LocalBlobStore(tmp_path, ttl_s=100, max_bytes=10**6)
    store.put("clips/old", b"old")
    store.put("clips/old-but-needed", b"old", pinned=True)
    store.put("jobs/j1/audio.wav", b"new")
    (tmp_path / "jobs" / "j1" / ".tmp-crashed").write_bytes(b"half")  # a write that died before its rename
    now = os.stat(tmp_path / "clips" / "old").st_mtime
    for stale in ("clips/old", "clips/old-but-needed", "jobs/j1/.tmp-crashed"):
        os.utime(tmp_path / stale, (now - 500, now - 500))
    assert store.expire(now=now + 1) == 2
    assert files(tmp_path) == ["clips/old-but-needed", "jobs/j1/audio.wav"]
    assert store.get("clips/old") is None


def test_keys_that_leave_the_store_are_refused(tmp_path):
    store = LocalBlobStore(tmp_path, ttl_s=100, max_bytes=10**6)
    for key in ("../etc/passwd", "clips/../../x", "/abs/path", "clips/a b", ".pins/clips/x"):
        with pytest.raises(ParameterError):
            store.put(key, b"x")
