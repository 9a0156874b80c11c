"""The local clip and artifact store: a size cap and a full disk refuse a write with
StorageFullError and leave nothing half-written; files past the TTL are swept away."""

import errno
import os

import pytest

from musicxai.errors import ParameterError, StorageFullError
from musicxai.service import storage
from musicxai.service.storage import LocalBlobStore


def files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_write_past_the_size_cap_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "USAGE_RESCAN_S", 0.0)  # count what another process may have written
    store = LocalBlobStore(tmp_path, ttl_s=3600, max_bytes=1000)
    store.put("clips/a", b"x" * 600)
    with pytest.raises(StorageFullError, match="cap of 1000 bytes"):
        store.put("clips/b", b"y" * 600)
    assert files(tmp_path) == ["clips/a"] and store.get("clips/b") is None
    (tmp_path / "clips" / "a").unlink()  # e.g. the sweeper, in another process
    store.put("clips/b", b"y" * 600)
    assert store.get("clips/b") == b"y" * 600


def test_a_full_disk_is_storage_full_and_the_temp_file_is_gone(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path, ttl_s=3600, max_bytes=10**9)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", no_space)
    with pytest.raises(StorageFullError, match="disk is full"):
        store.put("jobs/j1/heatmap.png", b"png")
    assert files(tmp_path) == []


def test_files_past_the_ttl_are_expired_and_fresh_ones_kept(tmp_path):
    store = LocalBlobStore(tmp_path, ttl_s=100, max_bytes=10**6)
    store.put("clips/old", b"old")
    store.put("jobs/j1/audio.wav", b"new")
    (tmp_path / "jobs" / "j1" / ".tmp-crashed").write_bytes(b"half")  # a write that died before its rename
    now = os.stat(tmp_path / "clips" / "old").st_mtime
    for stale in (tmp_path / "clips" / "old", tmp_path / "jobs" / "j1" / ".tmp-crashed"):
        os.utime(stale, (now - 500, now - 500))
    assert store.expire(now=now + 1) == 2
    assert files(tmp_path) == ["jobs/j1/audio.wav"]
    assert store.get("clips/old") is None


def test_keys_that_leave_the_store_are_refused(tmp_path):
    store = LocalBlobStore(tmp_path, ttl_s=100, max_bytes=10**6)
    for key in ("../etc/passwd", "clips/../../x", "/abs/path", "clips/a b"):
        with pytest.raises(ParameterError):
            store.put(key, b"x")
