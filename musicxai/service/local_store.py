"""The clip and artifact store of the embedded mode: files in a folder, a cache with a bound.

A pinned key has a marker file under ``.pins/``; a read touches the file, so its modification time is
its last use; an eviction deletes the files used least recently down to ``LOW_WATER`` of the cap,
under a lock shared by every process writing there (the API and its worker). Writes are a temporary
file renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from musicxai.errors import StorageFullError
from musicxai.service.storage import StoreStats, check_key, full

log = logging.getLogger(__name__)
USAGE_RESCAN_S = 5.0  # other processes write to the same folder: recount its size this often
LOW_WATER = 0.9  # an eviction frees room down to this share of the cap, so it runs rarely
PINS = ".pins"  # a marker file per pinned key, under this folder


class LocalBlobStore:
    """Files under ``root``, at most ``max_bytes`` in all (least recently used evicted first, pinned
    ones never), unpinned ones deleted ``ttl_s`` after their last use; writes are atomic (temp file +
    rename)."""

    def __init__(self, root: Path, *, ttl_s: float, max_bytes: int) -> None:
        self.root, self.ttl_s, self.max_bytes = Path(root), ttl_s, max_bytes
        self.pins = self.root / PINS
        self.pins.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # this process's usage count
        self._evicting = threading.Lock()  # with the folder's file lock: one eviction at a time
        self._counted_at = -USAGE_RESCAN_S
        self._usage = 0

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _pin_path(self, key: str) -> Path:
        return self.pins / check_key(key)

    def _entries(self) -> Iterator[tuple[str, Path]]:
        """(key, path) of every stored blob; temp files of crashed writes have no key (``""``)."""
        for folder, dirs, names in os.walk(self.root):
            if Path(folder) == self.root:
                dirs[:] = [d for d in dirs if d != PINS]
            for name in names:
                path = Path(folder) / name
                key = "" if name.startswith(".") else str(path.relative_to(self.root))
                yield key, path

    def _pinned(self) -> set[str]:
        return {str(p.relative_to(self.pins)) for p in self.pins.rglob("*") if p.is_file()}

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One evicting (or reconciling) process at a time, across every process using the folder."""
        with self._evicting, open(self.root / ".lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def usage(self) -> int:
        """Bytes in the store: counted again every ``USAGE_RESCAN_S``, plus this process's writes since."""
        with self._lock:
            if time.monotonic() - self._counted_at >= USAGE_RESCAN_S:
                self._usage = sum(_size(p) for key, p in self._entries() if key)
                self._counted_at = time.monotonic()
            return self._usage

    def put(self, key: str, data: bytes, *, pinned: bool = False) -> None:
        path = self._path(key)
        if pinned:  # first, so that no eviction can take it between the write and the pin
            self._mark(key)
        if self.usage() + len(data) > self.max_bytes:
            self._evict(len(data))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFullError(
                    "The clip and artifact store's disk is full; try again once old results are evicted."
                ) from exc
            raise
        with self._lock:
            self._usage += len(data)

    def _evict(self, incoming: int) -> None:
        """Delete the least recently used unpinned blobs until ``incoming`` bytes fit under LOW_WATER of
        the cap; :class:`StorageFullError` when the pinned ones alone leave no room for them."""
        with self._exclusive():
            pinned = self._pinned()
            stored = [(_mtime(p), _size(p), key, p) for key, p in self._entries() if key]
            used = sum(size for _, size, _, _ in stored)
            entries = sorted(entry for entry in stored if entry[2] not in pinned)
            target = LOW_WATER * self.max_bytes - incoming
            evicted = 0
            for _, size, _, path in entries:
                if used <= target:
                    break
                with contextlib.suppress(FileNotFoundError):  # another process took it first
                    path.unlink()
                    used -= size
                    evicted += 1
            if evicted:
                self._count_evictions(evicted)
                log.info("store: %d least recently used blobs evicted, %d bytes held", evicted, used)
            with self._lock:
                self._usage, self._counted_at = used, time.monotonic()
            if used + incoming > self.max_bytes:
                raise full(f"{used} of its {self.max_bytes} bytes are pinned")

    def _count_evictions(self, n: int) -> None:
        counter = self.root / ".evictions"
        previous = int(counter.read_text() or 0) if counter.exists() else 0
        counter.write_text(str(previous + n))

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        _use(path)
        return data

    def touch(self, key: str) -> bool:
        return _use(self._path(key))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _mark(self, key: str) -> None:
        marker = self._pin_path(key)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()

    def pin(self, keys: Iterable[str]) -> list[str]:
        missing = []
        for key in keys:
            self._mark(key)
            if not self.exists(key):
                self._pin_path(key).unlink(missing_ok=True)
                missing.append(key)
        return missing

    def unpin(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._pin_path(key).unlink(missing_ok=True)
            _use(self._path(key))  # its lifetime runs from now, as Redis's EXPIRE does

    def reconcile(self, wanted: Callable[[], set[str]]) -> None:
        with self._exclusive():
            current = self._pinned()
            keep = wanted()
            self.unpin(current - keep)
            self.pin(keep - current)

    def expire(self, *, now: float | None = None) -> int:
        """Delete unpinned files (and temp files of crashed writes) unused for the lifetime."""
        cutoff = (time.time() if now is None else now) - self.ttl_s
        pinned = self._pinned()
        removed = 0
        for key, path in self._entries():
            if key in pinned or _mtime(path) >= cutoff:
                continue
            with contextlib.suppress(FileNotFoundError):  # another process removed it first
                path.unlink()
                removed += 1
        if removed:
            with self._lock:
                self._counted_at = -USAGE_RESCAN_S
        return removed

    def stats(self) -> StoreStats:
        counter = self.root / ".evictions"
        evicted = int(counter.read_text() or 0) if counter.exists() else 0
        return StoreStats(used_bytes=self.usage(), cap_bytes=self.max_bytes, evicted_keys=evicted)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _use(path: Path) -> bool:
    """Mark a file used now (its modification time is its last use); whether it is there."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _use(path: Path) -> bool:
    """Mark a file used now (its modification time is its last use); whether it is there."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True
